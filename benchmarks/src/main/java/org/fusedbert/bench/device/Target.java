package org.fusedbert.bench.device;

import java.util.OptionalLong;
import java.util.function.Supplier;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.device.cuda.GpuDevice;

/**
 * One implementation under test: a {@link Backend}, how its work is timed (CUDA events on a GPU,
 * the wall clock around a synchronized run elsewhere), and what it can report about device memory.
 */
public final class Target implements AutoCloseable {
    private final String name;
    private final String description;
    private final Backend backend;
    private final Device device;

    Target(String name, String description, Backend backend, Device device) {
        this.name = name;
        this.description = description;
        this.backend = backend;
        this.device = device;
    }

    /** The CPU reference backend (no device): timed by the wall clock. */
    static Target cpu() {
        CpuBackend be = new CpuBackend();
        return new Target("cpu", "CpuBackend (" + Runtime.getRuntime().availableProcessors() + " threads)", be, null);
    }

    /** A backend over {@code device}, closed with it. */
    static Target onDevice(Device device, Supplier<Backend> backend) {
        return new Target(device.name(), device.description(), backend.get(), device);
    }

    /** {@code cuda}, {@code jcuda}, {@code sim} or {@code cpu}. */
    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public Backend backend() {
        return backend;
    }

    /** The device, or null for the CPU backend. */
    public Device device() {
        return device;
    }

    /** Whether this is a real GPU (times come from CUDA events). */
    public boolean isGpu() {
        return device instanceof GpuDevice<?, ?>;
    }

    /** Milliseconds the work {@code work} issues takes on the device. */
    public double millis(Runnable work) {
        if (device instanceof GpuDevice<?, ?> gpu) {
            return gpu.elapsedMillis(work);
        }
        backend.synchronize();
        long t0 = System.nanoTime();
        work.run();
        backend.synchronize();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Device memory in use by everyone (total - free), where the device reports it. */
    public OptionalLong usedDeviceBytes() {
        if (device instanceof GpuDevice<?, ?> gpu) {
            var info = gpu.memoryInfo();
            return OptionalLong.of(info.total() - info.free());
        }
        return OptionalLong.empty();
    }

    /** Whether this target can capture work into a replayable graph. */
    public boolean canCapture() {
        return device != null;
    }

    /** Captures {@code body} (requires {@link #canCapture()}). */
    public DeviceGraph capture(Runnable body) {
        return device.capture(body);
    }

    @Override
    public void close() {
        backend.close();
        if (device != null) {
            device.close();
        }
    }
}
