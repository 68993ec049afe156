package org.fusedbert.device.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.fusedbert.api.Activation;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.GemmSpec;
import org.junit.jupiter.api.Test;

/** The simulator's reference GEMM against a plain double-precision triple loop. */
class SimGemmTest extends SimDeviceTestBase {
    private final Random random = new Random();

    @Test
    void everyTransposeCombinationAtOddSizes() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                check(ta, tb, 7, 33, 19, 0, false, 0f);
                check(ta, tb, 65, 257, 300, 3, true, 1f);
            }
        }
    }

    @Test
    void degenerateShapes() {
        check(false, false, 1, 1, 1, 0, false, 0f);
        check(false, true, 3, 5, 0, 0, true, 1f);   // k = 0: C = act(bias + beta C)
        check(true, false, 130, 17, 513, 1, false, 1f);
    }

    /**
     * Under TF32 every operand is rounded to 10 mantissa bits, to nearest with ties away from zero
     * (what cvt.rna.tf32.f32 and cuBLASLt's fast-TF32 compute do), before fp32 products and sums:
     * the result matches doubles over the rounded operands to fp32 accuracy, and the unrounded
     * ones only to TF32's; a ties case pins the rounding direction. Set back to fp32, it is exact again.
     */
    @Test
    void tf32RoundsTheOperandsToNearestTiesAway() {
        // 1 x 1 x 1 products by 1: the rounded operand itself (to even, or truncation, would give 1).
        assertEquals(1f + 0x1p-10f, tf32Product(1f + 0x1p-11f), "a tie rounds away from zero");
        assertEquals(-(1f + 0x1p-10f), tf32Product(-(1f + 0x1p-11f)), "a negative tie too");
        assertEquals(1f, tf32Product(1f + 0x1p-12f), "below half a TF32 ulp rounds down");
        assertEquals(1f + 0x1p-10f, tf32Product(1f + 0x1p-11f + 0x1p-20f), "above half rounds up");
        assertEquals(Float.POSITIVE_INFINITY, tf32Product(Float.POSITIVE_INFINITY));

        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int m = 37, n = 45, k = 300;  // a full 16-column B panel (the copied path) and tails
                float[] a = randoms(m * k), b = randoms(k * n);
                int lda = ta ? m : k, ldb = tb ? k : n;
                device.gemmPrecision(GemmPrecision.TF32);
                long pc = zeros(4L * m * n);
                try {
                    device.gemm(new GemmSpec(ta, tb, m, n, k, floats(a), lda, floats(b), ldb, 0, Activation.NONE, 0f,
                            pc, n));
                } finally {
                    device.gemmPrecision(GemmPrecision.FP32);
                }
                float[] got = readFloats(pc, m * n);
                double worstRounded = 0, worstExact = 0;
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double rounded = 0, exact = 0;
                        for (int p = 0; p < k; p++) {
                            float av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                            rounded += (double) tf32(av) * tf32(bv);
                            exact += (double) av * bv;
                        }
                        worstRounded = Math.max(worstRounded, Math.abs(got[i * n + j] - rounded));
                        worstExact = Math.max(worstExact, Math.abs(got[i * n + j] - exact));
                    }
                }
                String what = (ta ? "T" : "N") + (tb ? "T" : "N");
                assertTrue(worstRounded < 1e-5 * Math.sqrt(k), what + ": against rounded operands " + worstRounded);
                assertTrue(worstExact > 100 * worstRounded, what + ": TF32 visible against fp32 (" + worstExact
                        + " vs " + worstRounded + ")");
                assertTrue(worstExact < 4 * 0x1p-11 * Math.sqrt(k), what + ": within TF32's error " + worstExact);
            }
        }
        check(false, true, 33, 17, 65, 1, true, 1f);  // back on fp32
    }

    /** {@code x * 1} by a TF32 GEMM of one element. */
    private float tf32Product(float x) {
        long pc = zeros(4);
        device.gemmPrecision(GemmPrecision.TF32);
        try {
            device.gemm(new GemmSpec(false, false, 1, 1, 1, floats(x), 1, floats(1f), 1, 0, Activation.NONE, 0f, pc, 1));
        } finally {
            device.gemmPrecision(GemmPrecision.FP32);
        }
        return readFloats(pc, 1)[0];
    }

    /** cvt.rna.tf32.f32 by its definition: the nearest float with 10 mantissa bits, ties away from zero. */
    private static float tf32(float v) {
        if (!Float.isFinite(v) || v == 0) {
            return v;
        }
        double ulp = Math.ulp(v) * 0x1p13;  // 13 fewer mantissa bits
        double q = Math.abs(v) / ulp;
        double kept = Math.floor(q) + (q - Math.floor(q) >= 0.5 ? 1 : 0);
        return (float) Math.copySign(kept * ulp, v);
    }

    @Test
    void invalidLeadingDimensionIsRejected() {
        long a = zeros(4 * 6), b = zeros(4 * 6), c = zeros(4 * 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.gemm(
                new GemmSpec(false, false, 2, 2, 3, a, 2, b, 2, 0, Activation.NONE, 0f, c, 2)));
        assertTrue(e.getMessage().contains("lda expected >= 3 but was 2"), e.getMessage());
        IllegalArgumentException beta = assertThrows(IllegalArgumentException.class, () -> device.gemm(
                new GemmSpec(false, false, 2, 2, 3, a, 3, b, 2, 0, Activation.NONE, 0.5f, c, 2)));
        assertTrue(beta.getMessage().contains("beta expected 0 or 1"), beta.getMessage());
    }

    /** One GEMM with leading dimensions padded by {@code pad}, bias when {@code relu}, against doubles. */
    private void check(boolean ta, boolean tb, int m, int n, int k, int pad, boolean withBias, float beta) {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = Math.max(1, aCols + pad), ldb = Math.max(1, bCols + pad), ldc = n + pad;
        float[] a = randoms(Math.max(aRows * lda, 1));
        float[] b = randoms(Math.max(bRows * ldb, 1));
        float[] bias = randoms(n);
        float[] c = randoms(m * ldc);
        long pc = floats(c);
        Activation act = withBias ? Activation.RELU : Activation.NONE;
        device.gemm(new GemmSpec(ta, tb, m, n, k, floats(a), lda, floats(b), ldb,
                withBias ? floats(bias) : 0, act, beta, pc, ldc));
        float[] got = readFloats(pc, m * ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < ldc; j++) {
                if (j >= n) {
                    assertEquals(c[i * ldc + j], got[i * ldc + j], "padding must stay untouched");
                    continue;
                }
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * lda + i] : a[i * lda + p];
                    double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                if (withBias) {
                    s += bias[j];
                }
                s += beta * c[i * ldc + j];
                if (act == Activation.RELU) {
                    s = Math.max(0, s);
                }
                assertEquals(s, got[i * ldc + j], 1e-5 * Math.sqrt(k + 1) + 1e-6 * Math.abs(s),
                        "C[" + i + "," + j + "] of " + (ta ? "T" : "N") + (tb ? "T" : "N") + " m=" + m + " n=" + n
                                + " k=" + k);
            }
        }
    }

    private float[] randoms(int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }
}
