package org.fusedbert.device.kernels;

import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.api.Checks;
import org.fusedbert.api.OpChecks;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/attention.cu}: FlashAttention-style fused multi-head attention,
 * fp32, forward and a deterministic backward ({@code fb_attention_*} in
 * {@code native/include/fusedbert/kernels.h}, section "attention").
 *
 * <p>Variant choice: one kernel per head dimension ({@link #HEAD_DIMS}), each with its own tile
 * shape; the launch geometry ({@link #VARIANTS}) is the ABI header's {@code FB_ATTENTION_GEOMETRY}. The backward is three
 * launches: {@code delta = rowsum(dOut * out)}, then dK/dV (key-block owners) and dQ
 * (query-block owners), which together overwrite all of {@code dqkv} without atomics. On a
 * device whose {@link Device#gemmPrecision()} is {@link GemmPrecision#TF32}, head dimensions in
 * {@link #TF32_HEAD_DIMS} take the tensor-core dK/dV and dQ kernels instead (TF32 products, fp32
 * sums, about 1e-3 relative error, still deterministic); fp32 devices never do.
 *
 * <p>Arguments are checked with {@link OpChecks} (the CPU reference's checks, against the backend
 * that owns {@code qkv}) plus what only the kernels need: a compiled head dimension and grid
 * extents within CUDA's limits. Values of {@code validLengths} are not read here: the kernels clamp
 * them to {@code [0, L]}, so a bad length changes results but never touches memory outside the
 * tensors.
 */
public final class AttentionKernels {
    /** Head dimensions ({@code E / heads}) with a compiled kernel. */
    public static final List<Integer> HEAD_DIMS = List.of(16, 32, 64, 128);
    /** Head dimensions with a TF32 tensor-core backward, used when the device's GEMMs are TF32. */
    public static final List<Integer> TF32_HEAD_DIMS = List.of(64);
    /** CUDA's limit on grid y and z, which carry the heads and the batch. */
    static final int MAX_GRID_YZ = 65535;
    private static final int DELTA_THREADS = 256;

    private AttentionKernels() {
    }

    /**
     * One kernel's launch geometry: a block of {@code threads} owns {@code rows} rows of one
     * (sequence, head) and streams the other operand through shared memory {@code tileRows} rows
     * at a time, with {@code sharedBytes} of dynamic shared memory (the kernel's tiles; over 48 KiB
     * the device opts in). {@code kind} is {@code forward}, {@code backward_dkdv} or
     * {@code backward_dq}.
     */
    record Variant(String kind, int headDim, int rows, int threads, int tileRows, int sharedBytes) {
        String kernel() {
            return "fb_attention_" + kind + "_d" + headDim;
        }

        Dim3 grid(int batch, int seqLen, int heads) {
            return new Dim3(Math.ceilDiv(seqLen, rows), heads, batch);
        }

        Dim3 block() {
            return Dim3.of(threads);
        }
    }

    /** Every kernel's geometry: kernels.h's FB_ATTENTION_GEOMETRY, line for line (AttentionKernelsTest checks). */
    static final List<Variant> VARIANTS = List.of(
            new Variant("forward", 16, 128, 64, 64, 8192),
            new Variant("forward", 32, 128, 64, 32, 8192),
            new Variant("forward", 64, 128, 128, 64, 32768),
            new Variant("forward", 128, 64, 128, 32, 32768),
            new Variant("backward_dkdv", 16, 64, 64, 32, 4096),
            new Variant("backward_dkdv", 32, 64, 64, 32, 8192),
            new Variant("backward_dkdv", 64, 64, 128, 64, 104448),
            new Variant("backward_dkdv", 128, 32, 128, 64, 110592),
            new Variant("backward_dq", 16, 64, 64, 64, 8192),
            new Variant("backward_dq", 32, 64, 64, 64, 16384),
            new Variant("backward_dq", 64, 64, 128, 64, 86016),
            new Variant("backward_dq", 128, 64, 128, 32, 108544),
            new Variant("backward_dkdv_tf32", 64, 64, 128, 64, 104448),
            new Variant("backward_dq_tf32", 64, 64, 128, 64, 104448));

    /** The {@code kind} kernel for {@code headDim} (one of {@link #HEAD_DIMS}). */
    static Variant variant(String kind, int headDim) {
        for (Variant v : VARIANTS) {
            if (v.kind().equals(kind) && v.headDim() == headDim) {
                return v;
            }
        }
        throw new IllegalArgumentException("AttentionKernels: no " + kind + " kernel for head dimension " + headDim);
    }

    /**
     * {@link Backend#attentionForward} on {@code device}: writes {@code out} [B, L, E] and
     * {@code lse} [B, heads, L] from {@code qkv} [B, L, 3E].
     *
     * @param validLengths int32 [B], or {@code null} to attend to all L keys
     */
    public static void forward(Device device, Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out,
                               Tensor lse) {
        String op = "attentionForward";
        OpChecks.attentionForward(owner(op, qkv), qkv, validLengths, heads, scale, out, lse);
        int batch = qkv.dim(0), seqLen = qkv.dim(1);
        int headDim = headDim(op, qkv, heads);
        if (batch == 0 || seqLen == 0) {
            return;
        }
        launch(device, variant("forward", headDim), batch, seqLen, heads, new KernelArgs()
                .pointer(qkv.address()).pointer(address(validLengths)).pointer(out.address()).pointer(lse.address())
                .i32(seqLen).i32(heads).f32(scale));
    }

    /**
     * {@link Backend#attentionBackward} on {@code device}: fills the workspace {@code delta}
     * [B, heads, L] with rowsum(dOut * out), then overwrites {@code dqkv} [B, L, 3E], in TF32 on a
     * TF32 device where {@link #TF32_HEAD_DIMS} has the head dimension.
     *
     * @param validLengths int32 [B], or {@code null}, as in the forward
     */
    public static void backward(Device device, Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out,
                                Tensor lse, Tensor dOut, Tensor delta, Tensor dqkv) {
        String op = "attentionBackward";
        OpChecks.attentionBackward(owner(op, qkv), qkv, validLengths, heads, scale, out, lse, dOut, delta, dqkv);
        int batch = qkv.dim(0), seqLen = qkv.dim(1);
        int headDim = headDim(op, qkv, heads);
        if (batch == 0 || seqLen == 0) {
            return;
        }
        int rows = Math.multiplyExact(batch, seqLen);
        // D/4 lanes per (row, head) segment, a float4 each.
        long deltaThreads = (long) rows * heads * (headDim / 4);
        try (KernelArgs args = new KernelArgs()
                .pointer(out.address()).pointer(dOut.address()).pointer(delta.address())
                .i32(rows).i32(seqLen).i32(heads).i32(headDim)) {
            device.launch("fb_attention_backward_delta",
                    Dim3.of(Math.toIntExact(Math.ceilDiv(deltaThreads, DELTA_THREADS))), Dim3.of(DELTA_THREADS), 0,
                    args);
        }
        String precision = device.gemmPrecision() == GemmPrecision.TF32 && TF32_HEAD_DIMS.contains(headDim)
                ? "_tf32" : "";
        for (Variant variant : List.of(variant("backward_dkdv" + precision, headDim),
                variant("backward_dq" + precision, headDim))) {
            launch(device, variant, batch, seqLen, heads, new KernelArgs()
                    .pointer(qkv.address()).pointer(address(validLengths)).pointer(dOut.address())
                    .pointer(lse.address()).pointer(delta.address()).pointer(dqkv.address())
                    .i32(seqLen).i32(heads).f32(scale));
        }
    }

    private static void launch(Device device, Variant variant, int batch, int seqLen, int heads, KernelArgs args) {
        try (args) {
            device.launch(variant.kernel(), variant.grid(batch, seqLen, heads), variant.block(),
                    variant.sharedBytes(), args);
        }
    }

    /** The backend whose tensors these are; {@code qkv} must be present to name it. */
    private static Backend owner(String op, Tensor qkv) {
        if (qkv == null) {
            throw Checks.fail(op, "qkv", "a tensor", "null");
        }
        return qkv.backend();
    }

    /** {@code E / heads} for a validated {@code qkv}, checked against the compiled kernels and the grid limits. */
    private static int headDim(String op, Tensor qkv, int heads) {
        int headDim = qkv.dim(2) / 3 / heads;
        if (!HEAD_DIMS.contains(headDim)) {
            throw Checks.fail(op, "head dimension (E / heads)", "one of " + HEAD_DIMS, headDim);
        }
        Checks.range(op, "heads", heads, 1, MAX_GRID_YZ);
        Checks.range(op, "batch (qkv dimension 0)", qkv.dim(0), 0, MAX_GRID_YZ);
        return headDim;
    }

    private static long address(Tensor t) {
        return t == null ? 0L : t.address();
    }
}
