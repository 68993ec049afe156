package org.fusedbert.bench;

import java.util.concurrent.TimeUnit;
import org.fusedbert.device.Device;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;
import org.fusedbert.device.cuda.CudaDevice;
import org.fusedbert.device.cuda.GpuAvailability;
import org.fusedbert.device.jcuda.JCudaDevice;
import org.fusedbert.device.sim.SimDevice;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host cost of one kernel launch: through FFM ({@link CudaDevice}: cuLaunchKernel via a
 * downcall), through JCuda ({@link JCudaDevice}), and through the simulator's entry
 * ({@link SimDevice}: FFM into libfusedbert_sim, which also runs the kernel on the CPU). Each
 * launches a trivial kernel (one block of 32 threads, one pointer argument): on a GPU
 * {@code fb_elementwise_increment}, in the simulator its self-test {@code fb_selftest_indices}.
 * {@code packAndLaunch} also builds the argument block per launch, as the kernel launch classes do.
 *
 * <p>On a machine without a GPU the cuda and jcuda parameters fail in their set-up, and JMH prints
 * the reason (no driver, no GPU, no fatbin) in place of a result.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LaunchBenchmark {
    /** Launches between two waits for the device: enough to amortize the wait, few enough not to fill the launch queue. */
    static final int BURST = 128;

    @Param({"sim", "cuda", "jcuda"})
    public String device;

    private Device dev;
    private String kernel;
    private long counter;
    private KernelArgs args;

    @Setup
    public void setUp() {
        switch (device) {
            case "sim" -> {
                dev = new SimDevice();
                kernel = "fb_selftest_indices";
                counter = dev.allocate(4L * 32 * 6).address();
            }
            case "cuda" -> {
                GpuAvailability.cudaUnavailableReason().ifPresent(why -> {
                    throw new IllegalStateException("LaunchBenchmark cuda: skipped: " + why);
                });
                dev = CudaDevice.open();
                kernel = "fb_elementwise_increment";
                counter = dev.allocate(4).address();
            }
            case "jcuda" -> {
                JCudaDevice.unavailableReason().ifPresent(why -> {
                    throw new IllegalStateException("LaunchBenchmark jcuda: skipped: " + why);
                });
                dev = JCudaDevice.open();
                kernel = "fb_elementwise_increment";
                counter = dev.allocate(4).address();
            }
            default -> throw new IllegalArgumentException("LaunchBenchmark: device expected sim, cuda or jcuda but was " + device);
        }
        args = new KernelArgs().pointer(counter);
    }

    @TearDown
    public void tearDown() {
        if (args != null) {
            args.close();
        }
        if (dev != null) {
            dev.close();
        }
    }

    /** One launch with a prepared argument block. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void launch() {
        for (int i = 0; i < BURST; i++) {
            dev.launch(kernel, Dim3.of(1), Dim3.of(32), 0, args);
        }
        dev.synchronize();
    }

    /** One launch including building its argument block, as a kernel launch class does. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void packAndLaunch() {
        for (int i = 0; i < BURST; i++) {
            try (KernelArgs a = new KernelArgs().pointer(counter)) {
                dev.launch(kernel, Dim3.of(1), Dim3.of(32), 0, a);
            }
        }
        dev.synchronize();
    }
}
