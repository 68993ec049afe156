package org.fusedbert.device;

/**
 * How a GPU device computes GEMM products. Inputs, outputs and accumulation are fp32 either way;
 * TF32 rounds the inputs of each product to a 10-bit mantissa on the tensor cores (about 1e-3
 * relative error per product), FP32 keeps full precision at several times the cost.
 */
public enum GemmPrecision {
    /** Full fp32 products ({@code CUBLAS_COMPUTE_32F}); what the conformance suite compares with the CPU. */
    FP32,
    /** TF32 tensor-core products ({@code CUBLAS_COMPUTE_32F_FAST_TF32}); the default for training on a GPU. */
    TF32;

    /** Parses {@code fp32} or {@code tf32} (any case), naming the accepted values otherwise. */
    public static GemmPrecision parse(String text) {
        for (GemmPrecision p : values()) {
            if (p.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision: value expected fp32 or tf32 but was " + text);
    }
}
