package org.fusedbert.device.kernels;

import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/adam.cu}: one fused Adam step over the flat buffers. The step
 * counter stays in device memory: {@code fb_elementwise_increment} advances it, then
 * {@code fb_adam_update} reads the new value in every thread for the bias correction, so a
 * captured graph replays correctly.
 */
public final class AdamKernels {
    private final Device device;
    private final ElementwiseKernels elementwise;

    public AdamKernels(Device device, ElementwiseKernels elementwise) {
        this.device = device;
        this.elementwise = elementwise;
    }

    /** {@code Backend.adamStep}. */
    public void step(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor step, AdamConfig config) {
        elementwise.increment(step);
        long count = params.numel();
        if (count == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(params.address()).pointer(grads.address())
                .pointer(m.address()).pointer(v.address()).pointer(step.address()).i64(count)
                .f32(config.learningRate()).f32(config.beta1()).f32(config.beta2()).f32(config.epsilon())) {
            device.launch("fb_adam_update", Geometry.gridStride((count + 3) / 4), Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
