package org.fusedbert.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fusedbert.api.Activation;
import org.fusedbert.device.GemmSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The row-major to column-major restatement cuBLASLt gets: executing the column-major description
 * exactly as cuBLASLt defines it (layouts, ops, epilogue, bias per row of D) over the same memory
 * must give the row-major reference result.
 */
class ColumnMajorGemmTest {
    /** "Device memory" for the test: one float array; pointers are float indices + 1 (0 stays null). */
    private static final class Memory {
        final float[] data;
        int next = 1;

        Memory(int size) {
            data = new float[size];
        }

        long put(float[] values) {
            long p = next;
            System.arraycopy(values, 0, data, next, values.length);
            next += values.length;
            return p;
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4} pad={5} bias={6} act={7} beta={8}")
    @CsvSource({
            "false, false, 3, 5, 7, 0, false, NONE, 0",
            "true, false, 4, 1, 9, 2, true, NONE, 0",
            "false, true, 1, 6, 3, 1, true, RELU, 1",
            "true, true, 7, 7, 1, 3, false, RELU, 1",
            "false, false, 17, 33, 65, 5, true, RELU, 1",
            "true, true, 33, 17, 31, 0, true, NONE, 0",
    })
    void columnMajorDescriptionComputesTheRowMajorProduct(boolean transA, boolean transB, int m, int n, int k,
                                                          int pad, boolean withBias, Activation act, float beta) {
        SplittableRandom rnd = new SplittableRandom(m * 1000L + n * 10L + k);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = RandomArrays.uniform(rnd, aRows * lda), b = RandomArrays.uniform(rnd, bRows * ldb), c = RandomArrays.uniform(rnd, m * ldc);
        float[] bias = RandomArrays.uniform(rnd, n);
        Memory mem = new Memory(a.length + b.length + c.length + bias.length + 1);
        long pa = mem.put(a), pb = mem.put(b), pc = mem.put(c), pbias = withBias ? mem.put(bias) : 0;
        GemmSpec spec = new GemmSpec(transA, transB, m, n, k, pa, lda, pb, ldb, pbias, act, beta, pc, ldc);

        float[] expected = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[p * lda + i] : a[i * lda + p];
                    double bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                s += beta * c[i * ldc + j] + (withBias ? bias[j] : 0);
                expected[i * ldc + j] = (float) (act == Activation.RELU ? Math.max(0, s) : s);
            }
        }

        ColumnMajorGemm g = ColumnMajorGemm.of(spec);
        executeAsCublasLt(g, mem.data);
        float[] actual = new float[c.length];
        System.arraycopy(mem.data, (int) pc, actual, 0, c.length);
        for (int i = 0; i < c.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * (1 + Math.abs(expected[i])), "element " + i);
        }
        assertEquals(ColumnMajorGemm.epilogue(withBias, act), g.epilogue());
    }

    /**
     * cuBLASLt's definition: D = epilogue(op(A) op(B) + beta C), A stored column-major rowsA x colsA
     * with leading dimension lda (element (r, c) at r + c * lda), bias indexed by D's row.
     */
    private static void executeAsCublasLt(ColumnMajorGemm g, float[] mem) {
        assertTrue(g.ldc() >= g.m(), "ldc >= rows of D");
        assertTrue(g.lda() >= g.rowsA() && g.ldb() >= g.rowsB(), "ld >= stored rows");
        long opARows = g.opA() == CublasLt.CUBLAS_OP_N ? g.rowsA() : g.colsA();
        long opBCols = g.opB() == CublasLt.CUBLAS_OP_N ? g.colsB() : g.rowsB();
        assertEquals(g.m(), opARows);
        assertEquals(g.n(), opBCols);
        float[] d = new float[(int) (g.m() * g.n())];
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                double s = 0;
                for (int p = 0; p < g.k(); p++) {
                    double av = g.opA() == CublasLt.CUBLAS_OP_N ? mem[(int) (g.a() + i + p * g.lda())]
                            : mem[(int) (g.a() + p + i * g.lda())];
                    double bv = g.opB() == CublasLt.CUBLAS_OP_N ? mem[(int) (g.b() + p + j * g.ldb())]
                            : mem[(int) (g.b() + j + p * g.ldb())];
                    s += av * bv;
                }
                s += g.beta() * mem[(int) (g.c() + i + j * g.ldc())];
                int ep = g.epilogue();
                if (ep == CublasLt.CUBLASLT_EPILOGUE_BIAS || ep == CublasLt.CUBLASLT_EPILOGUE_RELU_BIAS) {
                    s += mem[(int) (g.bias() + i)];
                }
                if (ep == CublasLt.CUBLASLT_EPILOGUE_RELU || ep == CublasLt.CUBLASLT_EPILOGUE_RELU_BIAS) {
                    s = Math.max(0, s);
                }
                d[(int) (i + j * g.m())] = (float) s;
            }
        }
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                mem[(int) (g.c() + i + j * g.ldc())] = d[(int) (i + j * g.m())];
            }
        }
    }


    @Test
    void leadingDimensionsShorterThanARowAreRejectedNamingTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ColumnMajorGemm.of(
                new GemmSpec(false, false, 4, 5, 6, 8, 5, 8, 5, 0, Activation.NONE, 0, 8, 5)));
        assertEquals("gemm: lda expected >= 6 but was 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ColumnMajorGemm.of(
                new GemmSpec(true, true, 4, 5, 6, 8, 4, 8, 5, 0, Activation.NONE, 0, 8, 5)));
        assertEquals("gemm: ldb expected >= 6 but was 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ColumnMajorGemm.of(
                new GemmSpec(false, false, 4, 5, 6, 8, 6, 8, 5, 0, Activation.NONE, 0, 8, 4)));
        assertEquals("gemm: ldc expected >= 5 but was 4", e.getMessage());
    }

    @Test
    void nullPointersAreRejectedAndEmptyOutputsNeedNone() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ColumnMajorGemm.of(
                new GemmSpec(false, false, 2, 2, 2, 0, 2, 8, 2, 0, Activation.NONE, 0, 8, 2)));
        assertEquals("gemm: a expected a device pointer but was 0", e.getMessage());
        assertTrue(ColumnMajorGemm.of(new GemmSpec(false, false, 0, 3, 2, 0, 2, 0, 3, 0, Activation.NONE, 0, 0, 3)).isEmpty());
    }

    @Test
    void alignmentIsTheLargestPowerOfTwoUpTo16DividingPointerAndColumnBytes() {
        assertEquals(16, CublasLtGemm.alignment(0x7f0000001000L, 64));
        assertEquals(4, CublasLtGemm.alignment(0x7f0000001004L, 64));
        assertEquals(4, CublasLtGemm.alignment(0x7f0000001000L, 7));
        assertEquals(8, CublasLtGemm.alignment(0x7f0000001008L, 6));
    }
}
