package org.fusedbert.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A tensor's values on their way to host memory, started by {@link Backend#readAsync} without
 * waiting for the backend: poll {@link #isDone()}, then read them; {@link #close()} hands the host
 * memory back to the backend for the next read.
 */
public abstract class PendingRead implements AutoCloseable {
    private final DType dtype;
    private final long numel;
    private boolean closed;

    /** A read of {@code numel} elements of {@code dtype}. */
    protected PendingRead(DType dtype, long numel) {
        this.dtype = dtype;
        this.numel = numel;
    }

    /** The source tensor's dtype. */
    public final DType dtype() {
        return dtype;
    }

    /** Number of elements read. */
    public final long numel() {
        return numel;
    }

    /** Whether the values have arrived; never waits. */
    public final boolean isDone() {
        requireOpen("isDone");
        return arrived();
    }

    /** {@code float} element {@code i} of a finished read of a float32 tensor. */
    public final float floatAt(long i) {
        element("floatAt", DType.FLOAT32, i);
        return values().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
    }

    /** {@code int} element {@code i} of a finished read of an int32 tensor. */
    public final int intAt(long i) {
        element("intAt", DType.INT32, i);
        return values().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
    }

    /** Every element of a finished read of a float32 tensor. */
    public final float[] toFloatArray() {
        if (numel > 0) {
            element("toFloatArray", DType.FLOAT32, 0);
        } else {
            requireOpen("toFloatArray");
        }
        return values().asSlice(0, numel * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    /** Hands the host memory back; reading after this throws. Idempotent. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Whether the copy has finished (called only while open). */
    protected abstract boolean arrived();

    /** The host memory holding the values, at offset 0 (read only once {@link #arrived()}). */
    protected abstract MemorySegment values();

    /** Returns the host memory to whoever lent it. */
    protected abstract void release();

    private void requireOpen(String op) {
        if (closed) {
            throw new IllegalStateException("PendingRead." + op + ": read already closed");
        }
    }

    private void element(String op, DType expected, long i) {
        requireOpen(op);
        if (!arrived()) {
            throw new IllegalStateException("PendingRead." + op + ": read expected done (poll isDone() first) but was "
                    + "still in flight");
        }
        if (dtype != expected) {
            throw Checks.fail("PendingRead." + op, "dtype", expected, dtype);
        }
        if (i < 0 || i >= numel) {
            throw Checks.fail("PendingRead." + op, "i", "in [0, " + numel + ")", i);
        }
    }
}
