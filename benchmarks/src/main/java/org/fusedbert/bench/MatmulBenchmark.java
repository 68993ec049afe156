package org.fusedbert.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.fusedbert.api.Activation;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CpuBackend#matmul} (the blocked Vector-API {@code Sgemm}) on fp32: the 1024^3 square
 * product that OpenBLAS is compared at, and the seed model's shapes: the encoder projections
 * {@code [8192,128] x [128,128]} (B=32, L=256, H=128), the MLM vocabulary projection
 * {@code [1229,128] x [128,30000]} (15% of 8192 tokens) and its two backward products.
 *
 * <p>{@code shape} is {@code m x n x k} with {@code op(a)} [m, k], {@code op(b)} [k, n], then
 * {@code NN}, {@code TN} or {@code NT} for the transposes. One operation is {@code 2 m n k} flops:
 * GFLOP/s = 2mnk / (ms/op * 1e6); {@code benchmarks/scripts/cpu-matmul-vs-numpy.sh} prints them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MatmulBenchmark {
    @Param({"1024x1024x1024:NN", "8192x128x128:NN", "1229x30000x128:NN", "128x30000x1229:TN", "1229x128x30000:NT"})
    public String shape;

    private CpuBackend cpu;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    private boolean transposeA;
    private boolean transposeB;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split(":");
        String[] mnk = parts[0].split("x");
        int m = Integer.parseInt(mnk[0]), n = Integer.parseInt(mnk[1]), k = Integer.parseInt(mnk[2]);
        transposeA = parts[1].charAt(0) == 'T';
        transposeB = parts[1].charAt(1) == 'T';
        cpu = new CpuBackend();
        Random rnd = new Random(1);
        a = random(rnd, transposeA ? new int[] {k, m} : new int[] {m, k});
        b = random(rnd, transposeB ? new int[] {n, k} : new int[] {k, n});
        c = cpu.allocate(DType.FLOAT32, m, n);
    }

    private Tensor random(Random rnd, int[] shape) {
        float[] x = new float[shape[0] * shape[1]];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() - 0.5f;
        }
        return cpu.allocate(DType.FLOAT32, shape).copyFrom(x);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        cpu.close();
    }

    @Benchmark
    public Tensor matmul() {
        cpu.matmul(a, transposeA, b, transposeB, null, Activation.NONE, false, c);
        return c;
    }
}
