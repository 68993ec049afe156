package org.fusedbert.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;
import org.fusedbert.api.Activation;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.cuda.GpuDevice;
import org.fusedbert.tests.TestDevices.Candidate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A thousand allocate / launch / free cycles through {@link DeviceBackend} leave the GPU's free
 * memory where it started (the device-level twin is {@code GpuDeviceTest}). GPU devices only: the
 * simulator has no device memory to count.
 */
@Tag("leak")
class DeviceLeakTest {
    static Stream<Candidate> devices() {
        return TestDevices.all().filter(c -> !c.name().equals("sim"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void freeMemoryReturnsToItsStart(Candidate candidate) {
        DeviceBackend backend = TestDevices.backend(candidate);
        assumeTrue(backend.device() instanceof GpuDevice<?, ?>, candidate + " is not a GPU device");
        GpuDevice<?, ?> gpu = (GpuDevice<?, ?>) backend.device();
        Runnable cycle = () -> {
            try (Tensor a = backend.allocate(DType.FLOAT32, 256, 512);
                 Tensor w = backend.allocate(DType.FLOAT32, 512, 256);
                 Tensor bias = backend.allocate(DType.FLOAT32, 256);
                 Tensor c = backend.allocate(DType.FLOAT32, 256, 256);
                 Tensor sums = backend.allocate(DType.FLOAT32, 256)) {
                backend.fill(a, 0.5);
                backend.fill(w, 0.25);
                backend.matmul(a, false, w, false, bias, Activation.RELU, false, c);
                backend.biasGradient(c, sums, false);
            }
        };
        cycle.run();  // kernels load lazily and GEMMs plan on first use
        backend.synchronize();
        int liveBefore = gpu.liveAllocations();
        long before = gpu.memoryInfo().free();
        for (int i = 0; i < 1000; i++) {
            cycle.run();
        }
        backend.synchronize();
        long after = gpu.memoryInfo().free();
        System.out.println("LEAK " + candidate + "-backend freeBefore=" + before + " freeAfter=" + after
                + " delta=" + (before - after) + " liveAllocations=" + gpu.liveAllocations());
        assertEquals(liveBefore, gpu.liveAllocations(), "allocations still live after 1000 cycles");
        assertEquals(before, after, "free device memory after 1000 cycles");
    }
}
