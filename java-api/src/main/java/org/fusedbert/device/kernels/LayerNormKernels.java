package org.fusedbert.device.kernels;

import org.fusedbert.api.Checks;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceScratch;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/layernorm.cu}: residual add + Philox dropout + layernorm, forward
 * and backward (see {@code fb_layernorm_*} in {@code native/include/fusedbert/kernels.h}).
 *
 * <p>Variant choice: hidden sizes that are a multiple of 4, at most 1024, on 16-byte aligned
 * tensors take the float4 register kernels ({@code _v4x1} .. {@code _v4x8}, the smallest that
 * holds the row); any other hidden size up to {@link #MAX_GENERIC_HIDDEN} takes the scalar kernel
 * that caches rows in shared memory. Tensors are taken as validated by
 * {@link org.fusedbert.api.OpChecks}; this class checks only what the kernels themselves need.
 */
public final class LayerNormKernels {
    /** Largest hidden size of the float4 register variants (8 float4 per lane). */
    public static final int MAX_VECTOR_HIDDEN = 1024;
    /** Largest hidden size the scalar variants serve (one warp's 2H floats in 48 KiB of shared memory). */
    public static final int MAX_GENERIC_HIDDEN = 6144;
    /** Mirrors {@code FB_LAYERNORM_MAX_BLOCKS}: the backward's grid, hence its number of partials, is capped. */
    static final int MAX_BLOCKS = 512;
    private static final int SHARED_LIMIT = 48 * 1024;
    private static final int VECTOR_WARPS = 8;

    private final Device device;
    private final DeviceScratch scratch;
    private final ElementwiseKernels elementwise;

    public LayerNormKernels(Device device, DeviceScratch scratch, ElementwiseKernels elementwise) {
        this.device = device;
        this.scratch = scratch;
        this.elementwise = elementwise;
    }

    /**
     * The float4 variant's chunk count (float4 per lane: 1, 2, 4 or 8) for this hidden size, or 0
     * when the scalar kernel must run.
     */
    static int vectorChunks(int hidden, boolean aligned) {
        if (!aligned || hidden % 4 != 0 || hidden > MAX_VECTOR_HIDDEN || hidden == 0) {
            return 0;
        }
        int chunks = ceilPow2(Geometry.ceilDiv(hidden / 4, 32));
        return Math.max(1, chunks);
    }

    /** Warps per block of the scalar kernels, given the shared floats each warp needs per hidden unit. */
    static int genericWarps(String op, int hidden, int floatsPerHidden) {
        if (hidden > MAX_GENERIC_HIDDEN) {
            throw Checks.fail(op, "hidden size", "at most " + MAX_GENERIC_HIDDEN, hidden);
        }
        int perWarp = Math.max(1, hidden * floatsPerHidden * 4);
        return Math.max(1, Math.min(8, SHARED_LIMIT / perWarp));
    }

    private static int ceilPow2(int x) {
        int p = 1;
        while (p < x) {
            p <<= 1;
        }
        return p;
    }

    /** {@code Backend.addDropoutLayerNormForward} on the device. */
    public void forward(Tensor residual, Tensor sublayer, Tensor gamma, Tensor beta, float eps, Dropout dropout,
                        Tensor out, Tensor mean, Tensor rstd) {
        String op = "addDropoutLayerNormForward";
        int hidden = residual.dim(-1);
        int rows = Geometry.intSize(op, "rows", Geometry.rows(residual));
        if (rows == 0 || hidden == 0) {
            return;
        }
        int chunks = vectorChunks(hidden, Geometry.aligned16(residual, sublayer, gamma, beta, out));
        String kernel;
        Dim3 grid, block;
        int shared;
        if (chunks > 0) {
            kernel = "fb_layernorm_forward_v4x" + chunks;
            block = Dim3.of(32 * VECTOR_WARPS);
            grid = Dim3.of(Geometry.ceilDiv(rows, VECTOR_WARPS));
            shared = 0;
        } else {
            int warps = genericWarps(op, hidden, 1);
            kernel = "fb_layernorm_forward";
            block = Dim3.of(32 * warps);
            grid = Dim3.of(Geometry.ceilDiv(rows, warps));
            shared = warps * hidden * 4;
        }
        try (KernelArgs args = new KernelArgs()
                .pointer(residual.address()).pointer(sublayer.address()).pointer(gamma.address())
                .pointer(beta.address()).pointer(out.address()).pointer(mean.address()).pointer(rstd.address())
                .i32(rows).i32(hidden).f32(eps)
                .f32(dropout.rate()).i64(dropout.seed()).i32(dropout.site())
                .pointer(dropout.active() ? dropout.stepCounter().address() : 0L)) {
            device.launch(kernel, grid, block, shared, args);
        }
    }

    /** {@code Backend.addDropoutLayerNormBackward} on the device. */
    public void backward(Tensor dOut, Tensor residual, Tensor sublayer, Tensor gamma, Tensor mean, Tensor rstd,
                         Dropout dropout, Tensor dResidual, Tensor dSublayer, Tensor dGamma, Tensor dBeta) {
        String op = "addDropoutLayerNormBackward";
        int hidden = residual.dim(-1);
        int rows = Geometry.intSize(op, "rows", Geometry.rows(residual));
        if (rows == 0 || hidden == 0) {
            return;
        }
        int chunks = vectorChunks(hidden,
                Geometry.aligned16(dOut, residual, sublayer, gamma, dResidual, dSublayer));
        String kernel;
        int warps, shared;
        if (chunks > 0) {
            kernel = "fb_layernorm_backward_v4x" + chunks;
            warps = VECTOR_WARPS;
            shared = 2 * hidden * 4;
        } else {
            kernel = "fb_layernorm_backward";
            warps = genericWarps(op, hidden, 2);
            shared = warps * 2 * hidden * 4;
        }
        int blocks = Math.min(Geometry.ceilDiv(rows, warps), MAX_BLOCKS);
        long partials = blocks > 1 ? scratch.reserve((long) blocks * 2 * hidden * 4) : 0L;
        try (KernelArgs args = new KernelArgs()
                .pointer(dOut.address()).pointer(residual.address()).pointer(sublayer.address())
                .pointer(gamma.address()).pointer(mean.address()).pointer(rstd.address())
                .pointer(dResidual.address()).pointer(dSublayer.address()).pointer(partials)
                .pointer(dGamma.address()).pointer(dBeta.address())
                .i32(rows).i32(hidden)
                .f32(dropout.rate()).i64(dropout.seed()).i32(dropout.site())
                .pointer(dropout.active() ? dropout.stepCounter().address() : 0L)) {
            device.launch(kernel, Dim3.of(blocks), Dim3.of(32 * warps), shared, args);
        }
        if (blocks > 1) {
            // partials[block] = dGamma part | dBeta part, each H wide: two strided column reductions.
            elementwise.reducePartials(partials, blocks, 2 * hidden, hidden, dGamma.address(), true);
            elementwise.reducePartials(partials + 4L * hidden, blocks, 2 * hidden, hidden, dBeta.address(), true);
        }
    }
}
