package org.fusedbert.device.kernels;

import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceScratch;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/cross_entropy.cu}: masked softmax cross-entropy fused with its
 * gradient (three launches: count the labelled rows, per-row loss with dlogits written over the
 * logits, mean of the row losses; no host round trip), and sigmoid + binary cross-entropy.
 */
public final class CrossEntropyKernels {
    private static final int SINGLE_BLOCK = 1024;

    private final Device device;
    private final DeviceScratch scratch;

    public CrossEntropyKernels(Device device, DeviceScratch scratch) {
        this.device = device;
        this.scratch = scratch;
    }

    /** Threads per row: enough that each handles a few float4 of a large vocabulary. */
    static int rowBlock(int vocab) {
        if (vocab >= 16384) {
            return 512;
        }
        if (vocab >= 2048) {
            return 256;
        }
        return 128;
    }

    /** {@code Backend.softmaxCrossEntropy}: logits [rows, vocab] replaced by dlogits, mean loss into {@code loss[0]}. */
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss) {
        int vocab = logits.dim(-1);
        int rows = Geometry.intSize("softmaxCrossEntropy", "rows", Geometry.rows(logits));
        long[] region = scratch.reserve(4, 4L * Math.max(1, rows));
        long count = region[0], rowLoss = region[1];
        try (KernelArgs args = new KernelArgs().pointer(labels.address()).i32(rows).pointer(count)) {
            device.launch("fb_cross_entropy_count", Dim3.of(1), Dim3.of(SINGLE_BLOCK), 0, args);
        }
        if (rows > 0 && vocab > 0) {
            try (KernelArgs args = new KernelArgs().pointer(logits.address()).pointer(labels.address()).pointer(count)
                    .pointer(rowLoss).i32(rows).i32(vocab)) {
                device.launch("fb_cross_entropy_forward_backward", Dim3.of(rows), Dim3.of(rowBlock(vocab)), 0, args);
            }
        }
        try (KernelArgs args = new KernelArgs().pointer(rowLoss).pointer(count).i32(rows).pointer(loss.address())) {
            device.launch("fb_cross_entropy_mean_loss", Dim3.of(1), Dim3.of(SINGLE_BLOCK), 0, args);
        }
    }

    /** {@code Backend.sigmoidBinaryCrossEntropy}; {@code dLogits} may be null. */
    public void sigmoidBinaryCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss, Tensor dLogits) {
        int batch = Geometry.intSize("sigmoidBinaryCrossEntropy", "batch", logits.numel());
        try (KernelArgs args = new KernelArgs().pointer(logits.address()).pointer(labels.address())
                .pointer(probs.address()).pointer(loss.address()).pointer(Geometry.address(dLogits)).i32(batch)) {
            device.launch("fb_cross_entropy_sigmoid_binary", Dim3.of(1), Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
