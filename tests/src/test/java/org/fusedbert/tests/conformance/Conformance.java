package org.fusedbert.tests.conformance;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.cpu.CpuBackend;
import org.junit.jupiter.api.Assertions;

/**
 * Helpers of the conformance suites (a device's {@code DeviceBackend} against {@code CpuBackend}):
 * fresh random inputs, poisoned outputs, and comparisons with a stated tolerance whose failure
 * names the operation, device, shape, output, worst element and both values.
 *
 * <p>Tolerances (float32): an element passes when
 * {@code |actual - expected| <= rtol * (|expected| + rms(expected))}; the RMS term judges elements
 * near zero against the tensor's typical magnitude instead of their own (cancellation makes tiny
 * elements' relative error meaningless). NaN or infinity where the reference is finite always
 * fails, which is what catches an element a kernel never wrote over the poison. Integer outputs
 * (masks, argmax, gathered indices, counts) must be exactly equal.
 */
public final class Conformance {
    /** Elementwise operations, copies with arithmetic, optimizer updates. */
    public static final double ELEMENTWISE = 1e-5;
    /** Residual + dropout + layernorm, forward and backward. */
    public static final double LAYERNORM = 1e-5;
    /** Softmax and sigmoid cross-entropy (long exp/log sums). */
    public static final double CROSS_ENTROPY = 1e-4;
    /** Fused attention. */
    public static final double ATTENTION = 1e-4;
    /**
     * Fused attention's backward on TF32 tensor cores (a TF32 device's choice): product inputs
     * rounded to a 10-bit mantissa (2^-11 relative each; dP from split operands, near fp32), judged
     * with each element's root-sum-square of terms beside |expected| and the RMS (see
     * {@link Where#assertCloseWithTerms}). The simulator's worst element over 30 seeded cases was
     * 1.4e-3 of that scale; 1e-2 leaves room for the GPU's own accumulation order and still fails
     * a sum that loses a single one of 256 similar terms (1/16 of the scale).
     */
    public static final double ATTENTION_TF32 = 1e-2;
    /** Reductions over many rows (column sums, table gradients), judged like elementwise results. */
    public static final double REDUCTION = 1e-5;

    /** Int32 poison: no kernel legitimately writes it in these suites. */
    public static final int INT_POISON = 0x7fffffff;

    private static final Backend REFERENCE = new CpuBackend();
    private static final long BASE_SEED = Long.getLong("fusedbert.conformance.seed", System.nanoTime());

    private Conformance() {
    }

    /**
     * Where a comparison happens, for failure messages: operation, device, shape description and
     * the seed that reproduces the inputs ({@code -Dfusedbert.conformance.seed=...}).
     */
    public record Where(String op, String device, String shape, long seed) {
        /** Compares float outputs with relative tolerance {@code rtol} (see the class comment). */
        public void assertClose(String output, float[] expected, float[] actual, double rtol) {
            Conformance.assertClose(this, output, expected, actual, rtol);
        }

        /**
         * Compares float outputs of sums of products with reduced-precision operands: {@code terms}
         * holds each element's root-sum-square of products (see {@link Conformance#assertClose(Where,
         * String, float[], float[], double[], double)}).
         */
        public void assertCloseWithTerms(String output, float[] expected, float[] actual, double[] terms,
                                         double rtol) {
            Conformance.assertClose(this, output, expected, actual, terms, rtol);
        }

        /** Compares integer outputs exactly. */
        public void assertExact(String output, int[] expected, int[] actual) {
            Conformance.assertExact(this, output, expected, actual);
        }

        /** Compares float outputs for exactly equal values (copies, selections); 0 equals -0. */
        public void assertIdentical(String output, float[] expected, float[] actual) {
            Conformance.assertIdentical(this, output, expected, actual);
        }

        @Override
        public String toString() {
            return op + " on " + device + " " + shape + " (seed " + seed + ")";
        }
    }

    /** The CPU reference backend, shared by all suites (it holds no resources). */
    public static Backend reference() {
        return REFERENCE;
    }

    /** A fresh seed for one test case: the run's base seed mixed with the case's name. */
    public static long seed(String caseName) {
        return BASE_SEED ^ (caseName.hashCode() * 0x9E3779B97F4A7C15L);
    }

    /** A generator for one case. */
    public static SplittableRandom random(long seed) {
        return new SplittableRandom(seed);
    }

    /** {@code n} values uniform in [-scale, scale). */
    public static float[] uniform(SplittableRandom r, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    /** {@code n} values uniform in [lo, hi). */
    public static int[] ints(SplittableRandom r, int n, int lo, int hi) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(lo, hi);
        }
        return x;
    }

    /** A new tensor of {@code backend} holding {@code data}. */
    public static Tensor tensor(Backend backend, float[] data, int... shape) {
        Tensor t = backend.allocate(DType.FLOAT32, shape);
        return t.copyFrom(data);
    }

    /** A new tensor of {@code backend} holding {@code data}. */
    public static Tensor tensor(Backend backend, int[] data, int... shape) {
        Tensor t = backend.allocate(DType.INT32, shape);
        return t.copyFrom(data);
    }

    /** A new output tensor filled with poison (NaN, or {@link #INT_POISON}). */
    public static Tensor poisoned(Backend backend, DType dtype, int... shape) {
        Tensor t = backend.allocate(dtype, shape);
        poison(t);
        return t;
    }

    /** Overwrites {@code t} with poison so an element the operation fails to write is caught. */
    public static void poison(Tensor t) {
        t.backend().fill(t, t.dtype() == DType.FLOAT32 ? Double.NaN : INT_POISON);
    }

    static void assertClose(Where where, String output, float[] expected, float[] actual, double rtol) {
        assertClose(where, output, expected, actual, null, rtol);
    }

    /**
     * Like {@link #assertClose(Where, String, float[], float[], double)} with a third magnitude per
     * element: {@code |actual - expected| <= rtol * (|expected| + rms(expected) + terms[i])}, where
     * {@code terms[i]} is the root-sum-square of the products summed into element {@code i}. That is
     * the scale of the rounding error a product with reduced-precision operands (TF32: 2^-11 per
     * operand) accumulates over its sum, whatever cancellation leaves of the result: a sum of 256
     * terms of size 1 that cancels to 0.16 still carries errors of the terms' size, which neither
     * {@code |expected|} nor a tensor-wide RMS dominated by other, smaller elements predicts.
     */
    static void assertClose(Where where, String output, float[] expected, float[] actual, double[] terms,
                            double rtol) {
        sameLength(where, output, expected.length, actual.length);
        if (terms != null) {
            sameLength(where, output + " (term scales)", expected.length, terms.length);
        }
        double sumSq = 0;
        for (float e : expected) {
            sumSq += (double) e * e;
        }
        double rms = expected.length == 0 ? 0 : Math.sqrt(sumSq / expected.length);
        int worst = -1, failures = 0;
        double worstRatio = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            double bound = rtol * (Math.abs(e) + rms + (terms == null ? 0 : terms[i]));
            double diff = Math.abs(a - e);
            boolean ok = Double.isFinite(e) ? Double.isFinite(a) && diff <= bound : Double.compare(a, e) == 0;
            double ratio = ok ? diff / Math.max(bound, Double.MIN_NORMAL) : Double.POSITIVE_INFINITY;
            if (!ok) {
                failures++;
            }
            if (worst < 0 || ratio > worstRatio) {
                worst = i;
                worstRatio = ratio;
            }
        }
        report(where, output, maxAbsDiff(expected, actual), failures == 0);
        if (failures > 0) {
            double e = expected[worst], a = actual[worst];
            Assertions.fail(where + ": " + output + " differs from the CPU reference in " + failures + " of "
                    + expected.length + " elements (rtol " + rtol + ", rms " + (float) rms + "); worst at index "
                    + worst + ": expected " + e + " but was " + a + " (|diff| " + (float) Math.abs(a - e)
                    + ", allowed " + (float) (rtol * (Math.abs(e) + rms + (terms == null ? 0 : terms[worst])))
                    + (terms == null ? "" : ", term scale " + (float) terms[worst]) + ")");
        }
    }

    static void assertExact(Where where, String output, int[] expected, int[] actual) {
        sameLength(where, output, expected.length, actual.length);
        int first = -1, failures = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                failures++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
        }
        report(where, output, maxDiff, failures == 0);
        if (failures > 0) {
            Assertions.fail(where + ": " + output + " differs from the CPU reference in " + failures + " of "
                    + expected.length + " elements (exact); first at index " + first + ": expected "
                    + expected[first] + " but was " + actual[first]
                    + (actual[first] == INT_POISON ? " (the poison: never written)" : ""));
        }
    }

    static void assertIdentical(Where where, String output, float[] expected, float[] actual) {
        sameLength(where, output, expected.length, actual.length);
        boolean allSame = true;
        for (int i = 0; i < expected.length; i++) {
            allSame &= expected[i] == actual[i] || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
        }
        report(where, output, maxAbsDiff(expected, actual), allSame);
        for (int i = 0; i < expected.length; i++) {
            boolean same = expected[i] == actual[i] || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
            if (!same) {
                Assertions.fail(where + ": " + output + " differs from the CPU reference (exact) at index " + i
                        + ": expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    /** Largest |actual - expected| (NaN when a finite reference met a non-finite value). */
    static double maxAbsDiff(float[] expected, float[] actual) {
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (Float.isFinite(expected[i]) && !Double.isFinite(d)) {
                return Double.NaN;
            }
            if (Double.isFinite(d)) {
                max = Math.max(max, d);
            }
        }
        return max;
    }

    /**
     * One line per comparison for the GPU report ({@code benchmarks/device/run.sh} collects them):
     * {@code CONFORMANCE <device> <op>:<output> <shape> maxErr=<largest |diff|> PASS|FAIL}.
     */
    static void report(Where where, String output, double maxErr, boolean pass) {
        System.out.println("CONFORMANCE " + where.device() + " " + (where.op() + ":" + output).replace(' ', '_') + " "
                + where.shape() + " maxErr=" + (maxErr == 0 ? "0" : String.format(java.util.Locale.ROOT, "%.3g", maxErr))
                + (pass ? " PASS" : " FAIL"));
    }

    private static void sameLength(Where where, String output, int expected, int actual) {
        if (expected != actual) {
            Assertions.fail(where + ": " + output + " has " + actual + " elements, expected " + expected);
        }
    }

    /** A shape for messages, e.g. {@code [3, 7, 128]}. */
    public static String shape(int... dims) {
        return Arrays.toString(dims);
    }
}
