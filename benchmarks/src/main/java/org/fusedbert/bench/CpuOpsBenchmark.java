package org.fusedbert.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CpuBackend} operations other than matmul at the seed model's shapes: attention with
 * B=32, L=256, 8 heads of 16 (sequence lengths spread over [128, 256]), residual + dropout(0.1) +
 * layernorm over [8192, 128], the MLM cross-entropy over [1229, 30000], and one Adam step over
 * 4.5M parameters.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CpuOpsBenchmark {
    private static final int BATCH = 32;
    private static final int LENGTH = 256;
    private static final int HEADS = 8;
    private static final int HEAD_DIM = 16;
    private static final int HIDDEN = HEADS * HEAD_DIM;
    private static final int ROWS = BATCH * LENGTH;
    private static final int MASKED_ROWS = 1229;
    private static final int VOCAB = 30000;
    private static final int PARAMS = 4_500_000;

    private CpuBackend cpu;
    private Tensor qkv;
    private Tensor lengths;
    private Tensor attnOut;
    private Tensor lse;
    private Tensor delta;
    private Tensor dqkv;
    private Tensor residual;
    private Tensor sublayer;
    private Tensor gamma;
    private Tensor beta;
    private Tensor lnOut;
    private Tensor mean;
    private Tensor rstd;
    private Tensor dResidual;
    private Tensor dSublayer;
    private Tensor dGamma;
    private Tensor dBeta;
    private Tensor step;
    private Dropout dropout;
    private Tensor logits;
    private Tensor logitsWork;
    private Tensor labels;
    private Tensor loss;
    private Tensor params;
    private Tensor grads;
    private Tensor m;
    private Tensor v;
    private Tensor adamStep;

    @Setup(Level.Trial)
    public void setUp() {
        cpu = new CpuBackend();
        Random rnd = new Random(7);
        qkv = uniform(rnd, BATCH, LENGTH, 3 * HIDDEN);
        int[] lens = new int[BATCH];
        for (int b = 0; b < BATCH; b++) {
            lens[b] = LENGTH / 2 + rnd.nextInt(LENGTH / 2 + 1);
        }
        lengths = cpu.allocate(DType.INT32, BATCH).copyFrom(lens);
        attnOut = cpu.allocate(DType.FLOAT32, BATCH, LENGTH, HIDDEN);
        lse = cpu.allocate(DType.FLOAT32, BATCH, HEADS, LENGTH);
        delta = cpu.allocate(DType.FLOAT32, BATCH, HEADS, LENGTH);
        dqkv = cpu.allocate(DType.FLOAT32, BATCH, LENGTH, 3 * HIDDEN);
        cpu.attentionForward(qkv, lengths, HEADS, (float) (1 / Math.sqrt(HEAD_DIM)), attnOut, lse);

        residual = uniform(rnd, ROWS, HIDDEN);
        sublayer = uniform(rnd, ROWS, HIDDEN);
        gamma = uniform(rnd, HIDDEN);
        beta = uniform(rnd, HIDDEN);
        lnOut = cpu.allocate(DType.FLOAT32, ROWS, HIDDEN);
        mean = cpu.allocate(DType.FLOAT32, ROWS);
        rstd = cpu.allocate(DType.FLOAT32, ROWS);
        dResidual = cpu.allocate(DType.FLOAT32, ROWS, HIDDEN);
        dSublayer = cpu.allocate(DType.FLOAT32, ROWS, HIDDEN);
        dGamma = cpu.allocate(DType.FLOAT32, HIDDEN);
        dBeta = cpu.allocate(DType.FLOAT32, HIDDEN);
        step = cpu.allocate(DType.INT32, 1);
        dropout = new Dropout(0.1f, 42L, 1, step);
        cpu.addDropoutLayerNormForward(residual, sublayer, gamma, beta, 1e-6f, dropout, lnOut, mean, rstd);

        logits = uniform(rnd, MASKED_ROWS, VOCAB);
        logitsWork = cpu.allocate(DType.FLOAT32, MASKED_ROWS, VOCAB);
        int[] y = new int[MASKED_ROWS];
        for (int i = 0; i < y.length; i++) {
            y[i] = rnd.nextInt(VOCAB);
        }
        labels = cpu.allocate(DType.INT32, MASKED_ROWS).copyFrom(y);
        loss = cpu.allocate(DType.FLOAT32, 1);

        params = uniform(rnd, PARAMS);
        grads = uniform(rnd, PARAMS);
        m = cpu.allocate(DType.FLOAT32, PARAMS);
        v = cpu.allocate(DType.FLOAT32, PARAMS);
        adamStep = cpu.allocate(DType.INT32, 1);
    }

    private Tensor uniform(Random rnd, int... shape) {
        float[] x = new float[Math.toIntExact(Tensor.countElements(shape))];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 2f - 1f;
        }
        return cpu.allocate(DType.FLOAT32, shape).copyFrom(x);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {qkv, lengths, attnOut, lse, delta, dqkv, residual, sublayer, gamma, beta, lnOut,
            mean, rstd, dResidual, dSublayer, dGamma, dBeta, step, logits, logitsWork, labels, loss, params, grads, m, v,
            adamStep}) {
            t.close();
        }
        cpu.close();
    }

    @Benchmark
    public Tensor attentionForward() {
        cpu.attentionForward(qkv, lengths, HEADS, (float) (1 / Math.sqrt(HEAD_DIM)), attnOut, lse);
        return attnOut;
    }

    /** dOut is the forward output itself: any tensor of the right shape costs the same. */
    @Benchmark
    public Tensor attentionBackward() {
        cpu.attentionBackward(qkv, lengths, HEADS, (float) (1 / Math.sqrt(HEAD_DIM)), attnOut, lse, attnOut, delta, dqkv);
        return dqkv;
    }

    @Benchmark
    public Tensor layerNormForward() {
        cpu.addDropoutLayerNormForward(residual, sublayer, gamma, beta, 1e-6f, dropout, lnOut, mean, rstd);
        return lnOut;
    }

    /** dOut is the forward output itself. */
    @Benchmark
    public Tensor layerNormBackward() {
        cpu.addDropoutLayerNormBackward(lnOut, residual, sublayer, gamma, mean, rstd, dropout, dResidual, dSublayer,
                dGamma, dBeta);
        return dResidual;
    }

    /** Includes restoring the logits (a 147 MB copy), since the loss overwrites them with the gradient. */
    @Benchmark
    public Tensor softmaxCrossEntropy() {
        cpu.copy(logits, logitsWork);
        cpu.softmaxCrossEntropy(logitsWork, labels, loss);
        return loss;
    }

    @Benchmark
    public Tensor adamStep() {
        cpu.adamStep(params, grads, m, v, adamStep, AdamConfig.KERAS);
        return params;
    }
}
