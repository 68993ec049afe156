package org.fusedbert.device.kernels;

import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/mlm.cu}: BERT masking of a batch (Philox, bit-identical to
 * {@link MaskingSpec#draw}), sequence lengths, the gather of labelled rows in position order and
 * its inverse scatter. Everything stays on the device, including the gathered count.
 */
public final class MlmKernels {
    private static final int SINGLE_BLOCK = 1024;
    private static final int WARPS_PER_BLOCK = 8;

    private final Device device;

    public MlmKernels(Device device) {
        this.device = device;
    }

    /** {@code Backend.mlmMask}. */
    public void mask(Tensor ids, MaskingSpec spec, Tensor stepCounter, Tensor maskedIds, Tensor labels) {
        int count = Geometry.intSize("mlmMask", "ids", ids.numel());
        if (count == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(ids.address()).i32(count).i64(spec.seed())
                .f32(spec.selectRate()).f32(spec.maskRate()).f32(spec.randomRate()).i32(spec.maskId())
                .pointer(stepCounter.address()).pointer(maskedIds.address()).pointer(labels.address())) {
            device.launch("fb_mlm_mask", Dim3.of(Geometry.ceilDiv(count, Geometry.THREADS)),
                    Dim3.of(Geometry.THREADS), 0, args);
        }
    }

    /** {@code Backend.sequenceLengths}. */
    public void sequenceLengths(Tensor ids, Tensor lengths) {
        int batch = ids.dim(0), length = ids.dim(1);
        if (batch == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(ids.address()).i32(batch).i32(length)
                .pointer(lengths.address())) {
            device.launch("fb_mlm_sequence_lengths", Dim3.of(Geometry.ceilDiv(batch, WARPS_PER_BLOCK)),
                    Dim3.of(32 * WARPS_PER_BLOCK), 0, args);
        }
    }

    /** {@code Backend.gatherLabelledRows}. */
    public void gatherLabelledRows(Tensor hidden, Tensor labels, Tensor rows, Tensor rowLabels, Tensor rowIndex,
                                   Tensor count) {
        int n = Geometry.intSize("gatherLabelledRows", "labels", labels.numel());
        int capacity = Geometry.intSize("gatherLabelledRows", "rowIndex", rowIndex.numel());
        int hiddenSize = hidden.dim(-1);
        try (KernelArgs args = new KernelArgs().pointer(labels.address()).i32(n).i32(capacity)
                .pointer(rowLabels.address()).pointer(rowIndex.address()).pointer(count.address())) {
            device.launch("fb_mlm_gather_index", Dim3.of(1), Dim3.of(SINGLE_BLOCK), 0, args);
        }
        copyRows("fb_mlm_gather_rows", hidden.address(), rowIndex, capacity, hiddenSize, rows.address());
    }

    /** {@code Backend.scatterRows}: zero-fills {@code dHidden}, then writes the gathered rows back. */
    public void scatterRows(Tensor dRows, Tensor rowIndex, Tensor dHidden) {
        device.fill32(dHidden.address(), 0, dHidden.numel());
        copyRows("fb_mlm_scatter_rows", dRows.address(), rowIndex,
                Geometry.intSize("scatterRows", "rowIndex", rowIndex.numel()), dHidden.dim(-1), dHidden.address());
    }

    private void copyRows(String kernel, long from, Tensor rowIndex, int capacity, int hiddenSize, long to) {
        long work = (long) capacity * (hiddenSize % 4 == 0 ? hiddenSize / 4 : hiddenSize);
        if (work == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(from).pointer(rowIndex.address()).i32(capacity)
                .i32(hiddenSize).pointer(to)) {
            device.launch(kernel, Geometry.gridStride(work), Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
