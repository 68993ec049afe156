package org.fusedbert.device.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.fusedbert.api.Activation;
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
