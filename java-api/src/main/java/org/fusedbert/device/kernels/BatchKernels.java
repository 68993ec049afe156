package org.fusedbert.device.kernels;

import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/batch.cu}: the resident-data path of a step. A batch is gathered
 * from examples in device memory through the epoch's order and a batch index read on the device,
 * and a step's values are stored at its place in a device-side history, so a captured step
 * replays with nothing from the host.
 */
public final class BatchKernels {
    private final Device device;

    public BatchKernels(Device device) {
        this.device = device;
    }

    /** {@code Backend.gatherBatch}. */
    public void gather(Tensor source, Tensor order, Tensor batchIndex, Tensor out) {
        int batch = out.dim(0), width = out.dim(1);
        long work = (long) batch * width;
        if (work == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(source.address()).i32(source.dim(0)).i32(width)
                .pointer(order.address()).pointer(batchIndex.address()).i32(batch).pointer(out.address())) {
            device.launch("fb_batch_gather", Geometry.gridStride(work), Dim3.of(Geometry.THREADS), 0, args);
        }
    }

    /** {@code Backend.storeBatch}. */
    public void store(Tensor values, Tensor batchIndex, Tensor history) {
        int count = Geometry.intSize("storeBatch", "values", values.numel());
        if (count == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(values.address()).i32(count).pointer(batchIndex.address())
                .pointer(history.address()).i64(history.numel())) {
            device.launch("fb_batch_store", Dim3.of(Geometry.ceilDiv(count, Geometry.THREADS)),
                    Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
