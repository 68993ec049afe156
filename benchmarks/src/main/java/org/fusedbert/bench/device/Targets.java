package org.fusedbert.bench.device;

import org.fusedbert.api.Backend;
import org.fusedbert.device.Device;
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
            return Target.onDevice(device, () -> deviceBackend(device));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    // DeviceBackend lands with the kernels; until then a device target says it is missing.
    private static Backend deviceBackend(Device device) {
        try {
            Class<?> c = Class.forName("org.fusedbert.device.DeviceBackend");
            return (Backend) c.getConstructor(Device.class).newInstance(device);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("no DeviceBackend in this build (the kernels have not landed)");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DeviceBackend(" + device.name() + "): " + e.getCause(), e);
        }
    }
}
