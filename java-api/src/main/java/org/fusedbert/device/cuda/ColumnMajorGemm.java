package org.fusedbert.device.cuda;

import org.fusedbert.api.Activation;
import org.fusedbert.device.GemmSpec;

/**
 * A row-major {@link GemmSpec} restated as the column-major product cuBLASLt computes.
 *
 * <p>A row-major {@code [r, c]} matrix with leading dimension {@code ld} is, byte for byte, the
 * column-major {@code [c, r]} matrix with the same {@code ld}: its transpose. So the row-major
 * {@code C = op(A) op(B)} is computed as the column-major {@code C^T = op(B)^T op(A)^T}: cuBLASLt's
 * first operand is our B, its second our A, its {@code m} our {@code n} and its {@code n} our
 * {@code m}; the transpose flags carry over unchanged, and a bias over our columns is a bias over
 * its rows, which is what {@code CUBLASLT_EPILOGUE_BIAS} adds.
 *
 * @param opA      cuBLASLt's transa ({@code CUBLAS_OP_N} or {@code CUBLAS_OP_T}), for the matrix at {@code a}
 * @param rowsA    rows of the stored column-major matrix at {@code a} (before op)
 * @param colsA    its columns
 * @param m        rows of D
 * @param n        columns of D
 * @param k        the inner dimension
 * @param epilogue a {@code CUBLASLT_EPILOGUE_*} value
 */
record ColumnMajorGemm(int opA, long rowsA, long colsA, long lda, long a,
                       int opB, long rowsB, long colsB, long ldb, long b,
                       long m, long n, long k, long ldc, long c, long bias, int epilogue, float beta) {

    static ColumnMajorGemm of(GemmSpec s) {
        // Row-major storage extents: A is [m, k] (or [k, m] when transposed), B is [k, n] (or [n, k]), C is [m, n].
        int aRowLength = s.transA() ? s.m() : s.k();
        int bRowLength = s.transB() ? s.k() : s.n();
        requireLeading("lda", s.lda(), aRowLength);
        requireLeading("ldb", s.ldb(), bRowLength);
        requireLeading("ldc", s.ldc(), s.n());
        if (s.m() > 0 && s.n() > 0) {
            requirePointer("c", s.c());
            if (s.k() > 0) {
                requirePointer("a", s.a());
                requirePointer("b", s.b());
            }
        }
        int epilogue = epilogue(s.bias() != 0, s.activation());
        // cuBLASLt's first operand is our B: stored column-major as [bRowLength, rows of B].
        int opFirst = s.transB() ? CublasLt.CUBLAS_OP_T : CublasLt.CUBLAS_OP_N;
        long firstRows = bRowLength;
        long firstCols = s.transB() ? s.n() : s.k();
        int opSecond = s.transA() ? CublasLt.CUBLAS_OP_T : CublasLt.CUBLAS_OP_N;
        long secondRows = aRowLength;
        long secondCols = s.transA() ? s.k() : s.m();
        return new ColumnMajorGemm(opFirst, firstRows, firstCols, s.ldb(), s.b(),
                opSecond, secondRows, secondCols, s.lda(), s.a(),
                s.n(), s.m(), s.k(), s.ldc(), s.c(), s.bias(), epilogue, s.beta());
    }

    /** The epilogue for a bias (present or not) and an activation. */
    static int epilogue(boolean bias, Activation activation) {
        boolean relu = activation == Activation.RELU;
        if (bias) {
            return relu ? CublasLt.CUBLASLT_EPILOGUE_RELU_BIAS : CublasLt.CUBLASLT_EPILOGUE_BIAS;
        }
        return relu ? CublasLt.CUBLASLT_EPILOGUE_RELU : CublasLt.CUBLASLT_EPILOGUE_DEFAULT;
    }

    /** Whether D has no elements (nothing to compute). */
    boolean isEmpty() {
        return m == 0 || n == 0;
    }

    private static void requireLeading(String name, int ld, int rowLength) {
        if (ld < Math.max(1, rowLength)) {
            throw new IllegalArgumentException("gemm: " + name + " expected >= " + Math.max(1, rowLength) + " but was " + ld);
        }
    }

    private static void requirePointer(String name, long pointer) {
        if (pointer == 0) {
            throw new IllegalArgumentException("gemm: " + name + " expected a device pointer but was 0");
        }
    }
}
