package org.fusedbert.bench.device;

import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.cuda.CudaDevice;
import org.fusedbert.device.jcuda.JCudaDevice;
import org.fusedbert.device.sim.SimDevice;

/** Opens the implementations under test by name. */
final class Targets {
    private Targets() {
    }

    /**
     * {@code cuda} (FFM), {@code jcuda}, {@code sim} or {@code cpu}.
     *
     * @throws IllegalStateException with the reason when it cannot open here (no GPU, ...)
     */
    static Target open(String name) {
        return switch (name) {
            case "cpu" -> Target.cpu();
            case "sim" -> onDevice(new SimDevice());
            case "cuda" -> onDevice(CudaDevice.open());
            case "jcuda" -> onDevice(JCudaDevice.open());
            default -> throw new IllegalArgumentException("device-bench: target expected cuda, jcuda, sim or cpu but was " + name);
        };
    }

    private static Target onDevice(Device device) {
        try {
            return Target.onDevice(device, () -> new DeviceBackend(device));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }
}
