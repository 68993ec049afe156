package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.fusedbert.api.Activation;
import org.fusedbert.testing.Approx;
import org.fusedbert.testing.Reference64;
import org.fusedbert.testing.Seeds;
import org.fusedbert.testing.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Sgemm} against a float64 triple loop. Tolerance: {@code atol = 1e-5 + 3e-7 k} (float32
 * accumulation of k products of values in [-1, 1]) and {@code rtol = 1e-5}.
 */
class SgemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final Random rnd = Seeds.random("SgemmTest");

    /** Sizes around the blocking: tiny, odd, exact tiles, past MC / KC, past NC, multithreaded by rows and by columns. */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "1,37,5", "13,1,9", "7,9,1", "37,53,71", "8,32,16", "130,40,300", "150,140,270",
        "9,8500,3", "200,17,400", "3,300,700"})
    void allTransposesMatchFloat64(int m, int n, int k) {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            float[] a = Tensors.uniform(rnd, m * k, 1f);
            float[] b = Tensors.uniform(rnd, k * n, 1f);
            float[] c = new float[m * n];
            Sgemm.sgemm(ta, tb, m, n, k, 1f, MemorySegment.ofArray(a), 0, ta ? m : k, MemorySegment.ofArray(b), 0,
                    tb ? k : n, null, Activation.NONE, 0f, MemorySegment.ofArray(c), 0, n);
            double[] expected = Reference64.matmul(Tensors.widen(a), ta, Tensors.widen(b), tb, m, n, k, null, false, null);
            Approx.assertClose("sgemm ta=" + ta + " tb=" + tb, expected, c, 1e-5 + 3e-7 * k, 1e-5);
        }
    }

    @Test
    void epilogueScalesAddsBiasAccumulatesAndAppliesRelu() {
        int m = 45, n = 77, k = 300;
        float alpha = 0.5f, beta = 0.75f;
        float[] a = Tensors.uniform(rnd, m * k, 1f);
        float[] b = Tensors.uniform(rnd, k * n, 1f);
        float[] bias = Tensors.uniform(rnd, n, 2f);
        float[] c0 = Tensors.uniform(rnd, m * n, 3f);
        float[] c = c0.clone();
        Sgemm.sgemm(false, true, m, n, k, alpha, MemorySegment.ofArray(a), 0, k, MemorySegment.ofArray(b), 0, k,
                MemorySegment.ofArray(bias), Activation.RELU, beta, MemorySegment.ofArray(c), 0, n);
        double[] prod = Reference64.matmul(Tensors.widen(a), false, Tensors.widen(b), true, m, n, k, null, false, null);
        double[] expected = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                expected[i * n + j] = Math.max(0, alpha * prod[i * n + j] + bias[j] + beta * (double) c0[i * n + j]);
            }
        }
        Approx.assertClose("alpha/beta/bias/relu", expected, c, 1e-5 + 3e-7 * k, 1e-5);
    }

    @Test
    void betaZeroIgnoresWhatCHeld() {
        int m = 19, n = 40, k = 11;
        float[] a = Tensors.uniform(rnd, m * k, 1f);
        float[] b = Tensors.uniform(rnd, k * n, 1f);
        float[] c = new float[m * n];
        java.util.Arrays.fill(c, Float.NaN);
        Sgemm.sgemm(false, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, k, MemorySegment.ofArray(b), 0, n, null,
                Activation.NONE, 0f, MemorySegment.ofArray(c), 0, n);
        double[] expected = Reference64.matmul(Tensors.widen(a), false, Tensors.widen(b), false, m, n, k, null, false, null);
        Approx.assertClose("beta=0 over NaN", expected, c, 1e-5, 1e-5);
    }

    @Test
    void emptyInnerDimensionLeavesEpilogueOnly() {
        int m = 3, n = 5;
        float[] bias = {1, -2, 3, -4, 5};
        float[] c = Tensors.uniform(rnd, m * n, 1f);
        float[] c0 = c.clone();
        Sgemm.sgemm(false, false, m, n, 0, 1f, MemorySegment.ofArray(new float[0]), 0, 1,
                MemorySegment.ofArray(new float[0]), 0, n, MemorySegment.ofArray(bias), Activation.RELU, 1f,
                MemorySegment.ofArray(c), 0, n);
        for (int i = 0; i < m * n; i++) {
            assertEquals(Math.max(0f, c0[i] + bias[i % n]), c[i], 1e-6f);
        }
    }

    /** Sub-matrices of larger native buffers: offsets and leading dimensions, and nothing outside C is written. */
    @Test
    void offsetsAndLeadingDimensionsOnNativeMemory() {
        int m = 33, n = 70, k = 29, lda = k + 5, ldb = k + 3, ldc = n + 9;
        long aOff = 7, bOff = 11, cOff = 13;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * (aOff + (long) m * lda));
            MemorySegment b = arena.allocate(4L * (bOff + (long) n * ldb));
            MemorySegment c = arena.allocate(4L * (cOff + (long) m * ldc + 4));
            double[] av = new double[m * k], bv = new double[n * k];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    float x = rnd.nextFloat() - 0.5f;
                    a.setAtIndex(F, aOff + (long) i * lda + p, x);
                    av[i * k + p] = x;
                }
            }
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    float x = rnd.nextFloat() - 0.5f;
                    b.setAtIndex(F, bOff + (long) j * ldb + p, x);
                    bv[j * k + p] = x;
                }
            }
            for (long i = 0; i < c.byteSize() / 4; i++) {
                c.setAtIndex(F, i, -7f);
            }
            Sgemm.sgemm(false, true, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, null, Activation.NONE, 0f, c, cOff, ldc);
            double[] expected = Reference64.matmul(av, false, bv, true, m, n, k, null, false, null);
            float[] got = new float[m * n];
            for (long i = 0; i < c.byteSize() / 4; i++) {
                long rel = i - cOff;
                boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
                if (inside) {
                    got[(int) (rel / ldc * n + rel % ldc)] = c.getAtIndex(F, i);
                } else {
                    assertEquals(-7f, c.getAtIndex(F, i), "element " + i + " outside C was written");
                }
            }
            Approx.assertClose("strided sgemm", expected, got, 1e-5, 1e-5);
        }
    }

    @Test
    void repeatedCallsAreBitIdentical() {
        int m = 257, n = 190, k = 611;
        float[] a = Tensors.uniform(rnd, m * k, 1f);
        float[] b = Tensors.uniform(rnd, k * n, 1f);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        Sgemm.sgemm(true, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, m, MemorySegment.ofArray(b), 0, n, null,
                Activation.NONE, 0f, MemorySegment.ofArray(c1), 0, n);
        Sgemm.sgemm(true, false, m, n, k, 1f, MemorySegment.ofArray(a), 0, m, MemorySegment.ofArray(b), 0, n, null,
                Activation.NONE, 0f, MemorySegment.ofArray(c2), 0, n);
        Approx.assertIdentical("second call", c1, c2);
    }

    @Test
    void rejectsBadArguments() {
        MemorySegment s = MemorySegment.ofArray(new float[16]);
        expectMessage("sgemm: m, n, k expected sizes >= 0 but was -1, 2, 2",
                () -> Sgemm.sgemm(false, false, -1, 2, 2, 1f, s, 0, 2, s, 0, 2, null, Activation.NONE, 0f, s, 0, 2));
        expectMessage("sgemm: lda expected >= 3 but was 2",
                () -> Sgemm.sgemm(false, false, 2, 2, 3, 1f, s, 0, 2, s, 0, 2, null, Activation.NONE, 0f, s, 0, 2));
        expectMessage("sgemm: b expected at least 20 floats",
                () -> Sgemm.sgemm(false, false, 2, 4, 5, 1f, s, 0, 5, s, 0, 4, null, Activation.NONE, 0f, s, 0, 4));
        expectMessage("sgemm: act expected an activation but was null",
                () -> Sgemm.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 2, null, null, 0f, s, 0, 2));
        expectMessage("sgemm: bias expected at least 4 floats but was 2 floats",
                () -> Sgemm.sgemm(false, false, 2, 4, 2, 1f, s, 0, 2, s, 0, 4, MemorySegment.ofArray(new float[2]),
                        Activation.NONE, 0f, s, 0, 4));
        expectMessage("sgemm: c offset expected >= 0 but was -1",
                () -> Sgemm.sgemm(false, false, 2, 2, 2, 1f, s, 0, 2, s, 0, 2, null, Activation.NONE, 0f, s, -1, 2));
        expectMessage("sgemm: a expected a memory segment but was null",
                () -> Sgemm.sgemm(false, false, 2, 2, 2, 1f, null, 0, 2, s, 0, 2, null, Activation.NONE, 0f, s, 0, 2));
    }

    static void expectMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "message '" + e.getMessage() + "' does not start with '"
                + prefix + "'");
    }
}
