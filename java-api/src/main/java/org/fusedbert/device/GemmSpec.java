package org.fusedbert.device;

import org.fusedbert.api.Activation;

/**
 * One row-major GEMM on device pointers:
 * {@code C[m, n] = act(op(A)[m, k] . op(B)[k, n] + bias[n] + beta * C)} with leading dimensions
 * (elements between rows) {@code lda}, {@code ldb}, {@code ldc}. float32 throughout.
 *
 * @param transA     whether {@code op(A)} transposes {@code A} (then {@code A} is [k, m] in memory)
 * @param transB     whether {@code op(B)} transposes {@code B} (then {@code B} is [n, k] in memory)
 * @param m          rows of {@code C}
 * @param n          columns of {@code C}
 * @param k          the inner dimension
 * @param a          device pointer to {@code A}
 * @param lda        elements between rows of {@code A} as stored
 * @param b          device pointer to {@code B}
 * @param ldb        elements between rows of {@code B} as stored
 * @param bias       device pointer to {@code n} floats, or 0 for none
 * @param activation applied last (NONE or RELU)
 * @param beta       0 (overwrite {@code C}) or 1 (add the product into it)
 * @param c          device pointer to {@code C}
 * @param ldc        elements between rows of {@code C}
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
