package org.fusedbert.device;

import org.fusedbert.api.Activation;

/**
 * One row-major GEMM on device pointers:
 * {@code C[m, n] = act(op(A)[m, k] . op(B)[k, n] + bias[n] + beta * C)} with leading dimensions
 * (elements between rows) {@code lda}, {@code ldb}, {@code ldc}. float32 throughout.
 *
 * @param bias device pointer to {@code n} floats, or 0 for none
 * @param beta 0 (overwrite) or 1 (accumulate)
 */
public record GemmSpec(boolean transA, boolean transB, int m, int n, int k,
                       long a, int lda, long b, int ldb, long bias, Activation activation, float beta,
                       long c, int ldc) {
    public GemmSpec {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("GemmSpec: sizes expected >= 0 but were m=" + m + " n=" + n + " k=" + k);
        }
    }
}
