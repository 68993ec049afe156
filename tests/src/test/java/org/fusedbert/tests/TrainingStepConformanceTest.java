package org.fusedbert.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.sim.SimDevice;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.CapturingStepRunner;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.Examples;
import org.fusedbert.model.FillMask;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.Parameters;
import org.fusedbert.model.ResidentData;
import org.fusedbert.model.Trainer;
import org.fusedbert.tests.TestDevices.Candidate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole training steps of a tiny BERT on {@code DeviceBackend(SimDevice)} against the CPU
 * reference, and the captured step against the uncaptured one: the model's code is the same on
 * both backends, so this is where the kernels, their order and the model's use of them meet.
 */
class TrainingStepConformanceTest {
    /** Head dim 16 (the attention kernels' smallest), odd FF and vocabulary, padding, dropout on. */
    static final BertConfig TINY = BertConfig.SEED.toBuilder().vocabSize(61).maxLen(24).hidden(32).heads(2)
            .ffDim(40).batchSize(4).classifierHidden(8).build();
    static final long SEED = 11;

    /** {@code n} reviews-like rows: real ids then padding, some [UNK]; labels alternate. */
    static Examples examples(int n) {
        SplittableRandom r = new SplittableRandom(3);
        int len = TINY.maxLen();
        int[] ids = new int[n * len];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int real = 3 + r.nextInt(len - 2);
            for (int l = 0; l < real; l++) {
                ids[i * len + l] = r.nextDouble() < 0.05 ? 1 : 2 + r.nextInt(TINY.vocabSize() - 3);
            }
            labels[i] = i % 2;
        }
        return Examples.of(ids, labels, len);
    }

    /** Losses of {@code steps} MLM steps, then as many unfrozen classifier steps, on {@code be}. */
    private static float[] train(Backend be, int steps, Trainer.StepRunner runner) {
        return train(be, steps, runner, SEED);
    }

    /** The same with {@code seed} for the initial weights, masks, dropout and order (the data stays). */
    private static float[] train(Backend be, int steps, Trainer.StepRunner runner, long seed) {
        float[] losses = new float[2 * steps];
        try (Parameters params = new Parameters(be, TINY);
             BertModel model = new BertModel(params, seed, TINY.batchSize(), true);
             ResidentData data = new ResidentData("data", be, examples(steps * TINY.batchSize()), true, TINY.batchSize())) {
            params.initialize(seed);
            int[] order = org.fusedbert.model.EpochOrder.permutation(seed, 0, 0, data.size());
            model.startPhase(Phase.PRETRAIN, AdamConfig.KERAS);
            data.startEpoch(order, 0);
            for (int s = 0; s < steps; s++) {
                runner.run("pretrain", () -> model.pretrainStep(data));
            }
            System.arraycopy(data.readLosses(0, steps), 0, losses, 0, steps);
            model.startPhase(Phase.UNFROZEN, AdamConfig.KERAS);
            data.startEpoch(order, 0);
            for (int s = 0; s < steps; s++) {
                runner.run("classifier", () -> model.classifierStep(data, true));
            }
            System.arraycopy(data.readLosses(0, steps), 0, losses, steps, steps);
        }
        return losses;
    }

    @Test
    void fiveStepsOnTheSimulatorMatchTheCpuLosses() {
        float[] cpu;
        try (Backend be = new CpuBackend()) {
            cpu = train(be, 5, Trainer.StepRunner.EAGER);
        }
        float[] sim;
        try (SimDevice device = new SimDevice(); DeviceBackend be = new DeviceBackend(device)) {
            sim = train(be, 5, Trainer.StepRunner.EAGER);
        }
        for (int i = 0; i < cpu.length; i++) {
            assertEquals(cpu[i], sim[i], 1e-4, (i < 5 ? "MLM step " : "classifier step ") + (i % 5 + 1));
        }
        assertTrue(cpu[4] != cpu[0], "the steps train");
    }

    /** fill-mask's candidates on a backend, from freshly initialized parameters. */
    private static java.util.List<java.util.List<FillMask.Candidate>> fillMask(Backend be, String text) {
        java.util.List<String> vocabulary = new java.util.ArrayList<>(java.util.List.of("", "[UNK]"));
        for (int i = 2; i < TINY.vocabSize() - 1; i++) {
            vocabulary.add("w" + i);
        }
        vocabulary.add("[mask]");
        TextVectorizer vectorizer = TextVectorizer.of(vocabulary, TINY.maxLen());
        try (Parameters params = new Parameters(be, TINY); BertModel model = new BertModel(params, SEED, 2, false)) {
            params.initialize(SEED);
            return FillMask.predict(model, vectorizer, text, 3);
        }
    }

    @Test
    void fillMaskOnTheSimulatorMatchesTheCpu() {
        String text = "w5 w9 [mask] w12 w3 [mask] w7";
        java.util.List<java.util.List<FillMask.Candidate>> cpu;
        try (Backend be = new CpuBackend()) {
            cpu = fillMask(be, text);
        }
        try (SimDevice device = new SimDevice(); DeviceBackend be = new DeviceBackend(device)) {
            java.util.List<java.util.List<FillMask.Candidate>> sim = fillMask(be, text);
            assertEquals(2, sim.size(), "one list per [mask], not one per row of the head's capacity");
            for (int m = 0; m < 2; m++) {
                for (int k = 0; k < 3; k++) {
                    assertEquals(cpu.get(m).get(k).token(), sim.get(m).get(k).token());
                    assertEquals(cpu.get(m).get(k).probability(), sim.get(m).get(k).probability(), 1e-5);
                }
            }
        }
    }

    /**
     * TF32 GEMMs (a GPU's default) train like fp32 ones: over 30 MLM and 30 classifier steps (on the
     * simulator, whose GEMMs round their operands to TF32 as cuBLASLt's fast-TF32 mode does; on a
     * GPU, cuBLASLt itself), the losses stay far closer to fp32's than two fp32 runs under different
     * seeds are to each other (the run-to-run noise), yet differ from them (the rounding took effect).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void tf32GemmsTrainLikeFp32WithinRunToRunNoise(Candidate candidate) {
        int steps = 30;
        DeviceBackend be = TestDevices.backend(candidate);
        float[] fp32 = train(be, steps, Trainer.StepRunner.EAGER);
        float[] otherSeed = train(be, steps, Trainer.StepRunner.EAGER, SEED + 1);
        float[] tf32;
        TestDevices.gemmPrecision(be.device(), GemmPrecision.TF32);
        try {
            tf32 = train(be, steps, Trainer.StepRunner.EAGER);
        } finally {
            TestDevices.gemmPrecision(be.device(), GemmPrecision.FP32);
        }
        assertFalse(Arrays.equals(fp32, tf32), candidate + ": TF32 changed nothing");
        double precision = meanAbsoluteDifference(fp32, tf32), noise = meanAbsoluteDifference(fp32, otherSeed);
        System.out.printf("%s: tf32 vs fp32: mean |loss difference| %.3g; two seeds: %.3g%n", candidate, precision,
                noise);
        assertTrue(precision < 0.1 * noise,
                candidate + ": TF32 against fp32 " + precision + ", seed against seed " + noise);
    }

    private static double meanAbsoluteDifference(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs(a[i] - b[i]);
        }
        return sum / a.length;
    }

    /** On the simulator (recorded launches) and on each GPU (CUDA graphs from stream capture). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void theCapturedStepMatchesTheUncapturedStepExactlyFor20Steps(Candidate candidate) {
        DeviceBackend be = TestDevices.backend(candidate);
        float[] eager = train(be, 20, Trainer.StepRunner.EAGER);
        float[] captured;
        try (CapturingStepRunner runner = new CapturingStepRunner(be.device()::capture)) {
            captured = train(be, 20, runner);
            // The classifier's first, eager step dropped the pretraining graph (scratch may move).
            assertEquals(1, runner.graphCount(), candidate + ": the classifier step's graph");
        }
        assertArrayEquals(eager, captured, candidate + ": captured against eager losses");
    }
}
