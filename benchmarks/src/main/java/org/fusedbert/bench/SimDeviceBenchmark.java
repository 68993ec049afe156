package org.fusedbert.bench;

import java.util.concurrent.TimeUnit;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Storage;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmSpec;
import org.fusedbert.device.KernelArgs;
import org.fusedbert.device.sim.SimDevice;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the CPU simulator costs: a launch of 1000 blocks x 256 threads with nine barriers each
 * (the self-test block sum), one with 12 warp collectives per thread, an empty-ish launch (the
 * fixed overhead per kernel), and the reference GEMM at a BERT-base projection's shape.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SimDeviceBenchmark {
    private static final int BLOCKS = 1000;
    private static final int THREADS = 256;

    private SimDevice device;
    private KernelArgs blockSumArgs;
    private KernelArgs warpArgs;
    private KernelArgs tinyArgs;
    private GemmSpec gemm;

    @Setup
    public void setUp() {
        device = new SimDevice();
        int n = BLOCKS * THREADS * 4;
        Storage in = device.allocate(4L * n);
        device.fill32(in.address(), Float.floatToIntBits(0.5f), n);
        blockSumArgs = new KernelArgs().pointer(in.address()).pointer(device.allocate(4L * BLOCKS).address())
                .pointer(device.allocate(4L * BLOCKS).address()).i32(n);
        warpArgs = new KernelArgs().pointer(in.address()).pointer(device.allocate(4L * BLOCKS * THREADS * 12).address())
                .i32(32);
        tinyArgs = new KernelArgs().pointer(device.allocate(4L * 32 * 6).address());
        int m = 1024, k = 768, cols = 768;
        gemm = new GemmSpec(false, true, m, cols, k, device.allocate(4L * m * k).address(), k,
                device.allocate(4L * cols * k).address(), k, device.allocate(4L * cols).address(), Activation.NONE, 0f,
                device.allocate(4L * m * cols).address(), cols);
    }

    @TearDown
    public void tearDown() {
        blockSumArgs.close();
        warpArgs.close();
        tinyArgs.close();
        device.close();
    }

    /** 256,000 threads, nine __syncthreads each. */
    @Benchmark
    public void blockSum1000x256() {
        device.launch("fb_selftest_block_sum", Dim3.of(BLOCKS), Dim3.of(THREADS), 0, blockSumArgs);
    }

    /** 256,000 threads, twelve warp collectives each. */
    @Benchmark
    public void warpOps1000x256() {
        device.launch("fb_selftest_warp_ops", Dim3.of(BLOCKS), Dim3.of(THREADS), 0, warpArgs);
    }

    /** One block of one warp: the per-launch overhead (FFM call, pool wake-up, fiber switches). */
    @Benchmark
    public void tinyLaunch() {
        device.launch("fb_selftest_indices", Dim3.of(1), Dim3.of(32), 0, tinyArgs);
    }

    /** C[1024, 768] = A[1024, 768] . B[768, 768]^T + bias: 1.2 GFLOP. */
    @Benchmark
    public void gemm1024x768x768() {
        device.gemm(gemm);
    }
}
