package org.fusedbert.api;

import java.util.Arrays;

/**
 * Argument checks shared by every backend, so that the CPU reference and the devices reject bad
 * input with the same message: {@code "<op>: <argument> expected <what> but was <found>"}.
 */
public final class Checks {
    private Checks() {
    }

    /** The message format every check uses. */
    public static IllegalArgumentException fail(String op, String arg, Object expected, Object actual) {
        return new IllegalArgumentException(op + ": " + arg + " expected " + expected + " but was " + actual);
    }

    /** {@code t} is non-null, open, of {@code backend}, of {@code dtype} and exactly of {@code shape}. */
    public static void tensor(String op, String arg, Tensor t, Backend backend, DType dtype, int... shape) {
        present(op, arg, t, backend, dtype);
        if (!Arrays.equals(t.shape(), shape)) {
            throw fail(op, arg, "shape " + Arrays.toString(shape), Arrays.toString(t.shape()));
        }
    }

    /** Like {@link #tensor} but only the element count must match (a [B, L, H] may pass as [B*L, H]). */
    public static void elements(String op, String arg, Tensor t, Backend backend, DType dtype, long numel) {
        present(op, arg, t, backend, dtype);
        if (t.numel() != numel) {
            throw fail(op, arg, numel + " elements", t.numel() + " (shape " + Arrays.toString(t.shape()) + ")");
        }
    }

    /** {@code t} is non-null, open, of {@code backend} and of {@code dtype}. */
    public static void present(String op, String arg, Tensor t, Backend backend, DType dtype) {
        if (t == null) {
            throw fail(op, arg, "a tensor", "null");
        }
        if (t.isClosed()) {
            throw fail(op, arg, "an open tensor", "closed");
        }
        if (t.backend() != backend) {
            throw fail(op, arg, "a tensor of backend " + backend.name(), "one of "
                    + (t.backend().name().equals(backend.name()) ? "another " + backend.name() + " instance"
                    : t.backend().name()));
        }
        if (t.dtype() != dtype) {
            throw fail(op, arg, dtype, t.dtype());
        }
    }

    /** {@code t} has {@code rank} dimensions. */
    public static void rank(String op, String arg, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw fail(op, arg, rank + " dimensions", t.rank() + " (shape " + Arrays.toString(t.shape()) + ")");
        }
    }

    /** {@code lo <= value <= hi}. */
    public static void range(String op, String arg, long value, long lo, long hi) {
        if (value < lo || value > hi) {
            throw fail(op, arg, "a value in [" + lo + ", " + hi + "]", value);
        }
    }

    /** {@code a} and {@code b} do not overlap in memory (views of one storage may, if their bytes are disjoint). */
    public static void distinct(String op, String argA, Tensor a, String argB, Tensor b) {
        if (a.storage() == b.storage()) {
            long a0 = a.byteOffset(), a1 = a0 + a.byteSize(), b0 = b.byteOffset(), b1 = b0 + b.byteSize();
            if (a0 < b1 && b0 < a1) {
                throw fail(op, argB, "memory disjoint from " + argA, "overlapping it");
            }
        }
    }
}
