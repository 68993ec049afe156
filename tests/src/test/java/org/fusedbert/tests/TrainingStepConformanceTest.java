package org.fusedbert.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.sim.SimDevice;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.CapturingStepRunner;
import org.fusedbert.model.Examples;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.Parameters;
import org.fusedbert.model.ResidentData;
import org.fusedbert.model.Trainer;
import org.junit.jupiter.api.Test;

/**
 * Whole training steps of a tiny BERT on {@code DeviceBackend(SimDevice)} against the CPU
 * reference, and the captured step against the uncaptured one: the model's code is the same on
 * both backends, so this is where the kernels, their order and the model's use of them meet.
 */
class TrainingStepConformanceTest {
    /** Head dim 16 (the attention kernels' smallest), odd FF and vocabulary, padding, dropout on. */
    private static final BertConfig TINY = BertConfig.SEED.toBuilder().vocabSize(61).maxLen(24).hidden(32).heads(2)
            .ffDim(40).batchSize(4).classifierHidden(8).build();
    private static final long SEED = 11;

    /** {@code n} reviews-like rows: real ids then padding, some [UNK]; labels alternate. */
    private static Examples examples(int n) {
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
        float[] losses = new float[2 * steps];
        try (Parameters params = new Parameters(be, TINY);
             BertModel model = new BertModel(params, SEED, TINY.batchSize(), true);
             ResidentData data = new ResidentData("data", be, examples(steps * TINY.batchSize()), true, TINY.batchSize())) {
            params.initialize(SEED);
            int[] order = org.fusedbert.model.EpochOrder.permutation(SEED, 0, 0, data.size());
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

    @Test
    void theCapturedStepMatchesTheUncapturedStepExactlyFor20Steps() {
        try (SimDevice device = new SimDevice(); DeviceBackend be = new DeviceBackend(device)) {
            float[] eager = train(be, 20, Trainer.StepRunner.EAGER);
            float[] captured;
            try (CapturingStepRunner runner = new CapturingStepRunner(device::capture)) {
                captured = train(be, 20, runner);
                assertEquals(2, runner.graphCount(), "one graph per kind of step");
            }
            assertArrayEquals(eager, captured);
        }
    }
}
