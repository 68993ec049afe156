package org.fusedbert.device.kernels;

import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/** Launches {@code native/kernels/pooling.cu}: global max pooling over the sequence, forward and backward. */
public final class PoolingKernels {
    private final Device device;

    public PoolingKernels(Device device) {
        this.device = device;
    }

    /** {@code Backend.maxPoolForward}: x [B, L, H] to out and argmax [B, H]. */
    public void maxForward(Tensor x, Tensor out, Tensor argmax) {
        int batch = x.dim(0), length = x.dim(1), hidden = x.dim(2);
        if ((long) batch * hidden == 0 || length == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(x.address()).pointer(out.address()).pointer(argmax.address())
                .i32(batch).i32(length).i32(hidden)) {
            device.launch("fb_pooling_max_forward", Geometry.gridStride((long) batch * hidden),
                    Dim3.of(Geometry.THREADS), 0, args);
        }
    }

    /** {@code Backend.maxPoolBackward}: dx [B, L, H] overwritten. */
    public void maxBackward(Tensor dOut, Tensor argmax, Tensor dx) {
        int batch = dx.dim(0), length = dx.dim(1), hidden = dx.dim(2);
        long total = (long) batch * length * hidden;
        if (total == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(dOut.address()).pointer(argmax.address())
                .pointer(dx.address()).i32(batch).i32(length).i32(hidden)) {
            device.launch("fb_pooling_max_backward", Geometry.gridStride(total), Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
