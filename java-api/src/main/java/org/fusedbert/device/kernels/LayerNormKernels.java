package org.fusedbert.device.kernels;

import java.util.List;
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
 * that caches rows in shared memory. The backward's grid is sized by the device's
 * multiprocessors ({@link BackwardVariant#blocks}): every block loops over many rows and writes
 * one dGamma/dBeta partial, which {@code fb_layernorm_backward_finish} adds in a fixed order.
 * Tensors are taken as validated by {@link org.fusedbert.api.OpChecks}; this class checks only
 * what the kernels themselves need.
 */
public final class LayerNormKernels {
    /** Largest hidden size of the float4 register variants (8 float4 per lane). */
    public static final int MAX_VECTOR_HIDDEN = 1024;
    /** Largest hidden size the scalar variants serve (one warp's 2H floats in 48 KiB of shared memory). */
    public static final int MAX_GENERIC_HIDDEN = 6144;
    /** The scalar backward's blocks per multiprocessor (its grid, hence its partials, is capped by it). */
    static final int GENERIC_BLOCKS_PER_MULTIPROCESSOR = 4;
    /** {@code fb_layernorm_backward_finish}'s block: 32 columns by 32 partial slices. */
    private static final Dim3 FINISH_BLOCK = Dim3.of(32, 32);
    private static final int SHARED_LIMIT = 48 * 1024;
    private static final int FORWARD_WARPS = 8;

    /**
     * The launch geometry of {@code fb_layernorm_backward_v4x<chunks>}: one line of
     * {@code FB_LAYERNORM_BACKWARD_GEOMETRY} in {@code kernels.h}.
     *
     * @param chunks      float4 per lane (the row holds at most {@code 128 * chunks} floats)
     * @param rowsPerWarp rows a warp takes per step (their loads in flight together)
     * @param warps       warps per block
     * @param minBlocks   blocks per multiprocessor the kernel's register budget guarantees
     */
    record BackwardVariant(int chunks, int rowsPerWarp, int warps, int minBlocks) {
        String kernel() {
            return "fb_layernorm_backward_v4x" + chunks;
        }

        /** Blocks: enough for one step of every warp, at most what the multiprocessors hold at once. */
        int blocks(int rows, int multiprocessors) {
            return Math.max(1, Math.min(Geometry.ceilDiv(rows, warps * rowsPerWarp), multiprocessors * minBlocks));
        }

        int sharedBytes(int hidden) {
            return warps * 2 * hidden * Float.BYTES;
        }
    }

    /** kernels.h's FB_LAYERNORM_BACKWARD_GEOMETRY, line for line (LayerNormKernelsTest checks). */
    static final List<BackwardVariant> BACKWARD_VARIANTS = List.of(
            new BackwardVariant(1, 4, 4, 4),
            new BackwardVariant(2, 2, 4, 4),
            new BackwardVariant(3, 2, 4, 3),
            new BackwardVariant(4, 1, 4, 4),
            new BackwardVariant(5, 1, 4, 3),
            new BackwardVariant(6, 1, 4, 3),
            new BackwardVariant(7, 1, 4, 2),
            new BackwardVariant(8, 1, 4, 2));

    private final Device device;
    private final DeviceScratch scratch;

    public LayerNormKernels(Device device, DeviceScratch scratch) {
        this.device = device;
        this.scratch = scratch;
    }

    /**
     * The float4 variant's chunk count (float4 per lane, 1 to 8: {@code ceil(hidden / 128)}) for
     * this hidden size, or 0 when the scalar kernel must run.
     */
    static int vectorChunks(int hidden, boolean aligned) {
        if (!aligned || hidden % 4 != 0 || hidden > MAX_VECTOR_HIDDEN || hidden == 0) {
            return 0;
        }
        return Geometry.ceilDiv(hidden / 4, 32);
    }

    /** Warps per block of the scalar kernels, given the shared floats each warp needs per hidden unit. */
    static int genericWarps(String op, int hidden, int floatsPerHidden) {
        if (hidden > MAX_GENERIC_HIDDEN) {
            throw Checks.fail(op, "hidden size", "at most " + MAX_GENERIC_HIDDEN, hidden);
        }
        int perWarp = Math.max(1, hidden * floatsPerHidden * 4);
        return Math.max(1, Math.min(8, SHARED_LIMIT / perWarp));
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
            block = Dim3.of(32 * FORWARD_WARPS);
            grid = Dim3.of(Geometry.ceilDiv(rows, FORWARD_WARPS));
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
        int multiprocessors = device.multiprocessorCount();
        String kernel;
        int warps, shared, blocks;
        if (chunks > 0) {
            BackwardVariant v = BACKWARD_VARIANTS.get(chunks - 1);
            kernel = v.kernel();
            warps = v.warps();
            shared = v.sharedBytes(hidden);
            blocks = v.blocks(rows, multiprocessors);
        } else {
            kernel = "fb_layernorm_backward";
            warps = genericWarps(op, hidden, 2);
            shared = warps * 2 * hidden * 4;
            blocks = Math.min(Geometry.ceilDiv(rows, warps), multiprocessors * GENERIC_BLOCKS_PER_MULTIPROCESSOR);
        }
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
            try (KernelArgs args = new KernelArgs().pointer(partials).i32(blocks).i32(hidden)
                    .pointer(dGamma.address()).pointer(dBeta.address())) {
                device.launch("fb_layernorm_backward_finish", Dim3.of(Geometry.ceilDiv(2 * hidden, 32)), FINISH_BLOCK,
                        0, args);
            }
        }
    }
}
