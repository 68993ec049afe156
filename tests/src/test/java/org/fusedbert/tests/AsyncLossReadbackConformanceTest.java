package org.fusedbert.tests;

import static org.fusedbert.tests.TrainingStepConformanceTest.SEED;
import static org.fusedbert.tests.TrainingStepConformanceTest.TINY;
import static org.fusedbert.tests.TrainingStepConformanceTest.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.CapturingStepRunner;
import org.fusedbert.model.EpochOrder;
import org.fusedbert.model.Parameters;
import org.fusedbert.model.Progress;
import org.fusedbert.model.ResidentData;
import org.fusedbert.model.Trainer;
import org.fusedbert.testing.GpuLikeDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link Trainer} on the resident-data graph path as a GPU's host sees it: every step kind
 * captured once and replayed, the losses read back asynchronously every step. A
 * {@link GpuLikeDevice} around the device fails any host wait (synchronize, blocking copy) from
 * the first step of an epoch (or evaluation pass) until its last step is issued; on the simulator
 * its reads also lag, so the progress lines show a loss some steps old. The losses reported agree
 * with the CPU's.
 */
class AsyncLossReadbackConformanceTest {
    private static final int TRAIN = 24;
    private static final int TEST = 10;

    /** What a run reported: pretraining epoch means, classifier epochs, progress and summary lines. */
    private record Run(List<Double> pretrainLosses, List<Trainer.ClassifierEpoch> classifier, List<String> lines) {
    }

    private static Run train(Backend be, Trainer.StepRunner runner) {
        List<String> lines = new ArrayList<>();
        List<Double> pretrain = new ArrayList<>();
        try (Parameters params = new Parameters(be, TINY);
             BertModel model = new BertModel(params, SEED, TINY.batchSize(), true)) {
            params.initialize(SEED);
            Trainer trainer = new Trainer(model, SEED, new Trainer.Options(1, -1, 0), null, lines::add,
                    (task, total) -> Progress.lines(task, total, lines::add, 0), runner);
            try (ResidentData data = trainer.upload("pretrain", examples(TRAIN), false)) {
                trainer.pretrain(data, 3, Trainer.Position.START, new Trainer.PretrainHooks() {
                    @Override
                    public void afterEpoch(int epoch, double meanLoss) {
                        pretrain.add(meanLoss);
                    }
                });
            }
            try (ResidentData train = trainer.upload("train", examples(TRAIN), true);
                 ResidentData test = trainer.upload("test", examples(TEST), true)) {
                List<Trainer.ClassifierEpoch> classifier = trainer.fineTune(train, test, 1, 1);
                return new Run(pretrain, classifier, lines);
            }
        }
    }

    /** Forbids host waits from the first step of each epoch or evaluation pass until its last step is issued. */
    private static Trainer.StepRunner epochsWithoutHostWaits(GpuLikeDevice device, Trainer.StepRunner inner) {
        Map<String, Integer> issued = new HashMap<>();
        return (key, step) -> {
            int steps = EpochOrder.stepsPerEpoch(key.startsWith("evaluate/") ? TEST : TRAIN, TINY.batchSize());
            int n = issued.merge(key, 1, Integer::sum);
            device.forbidHostWaits(key + ", step " + ((n - 1) % steps + 1) + " of " + steps + " of its epoch");
            inner.run(key, step);
            if (n % steps == 0) {
                device.forbidHostWaits(null);
            }
        };
    }

    @ParameterizedTest
    @MethodSource("org.fusedbert.tests.TestDevices#all")
    void insideAnEpochTheHostOnlyIssuesWorkAndTheLossesItReportsAreTheCpus(TestDevices.Candidate candidate) {
        Run cpu;
        try (Backend be = new CpuBackend()) {
            cpu = train(be, Trainer.StepRunner.EAGER);
        }
        boolean sim = candidate.name().equals("sim");
        // The simulator's copies are done when issued: make them lag as a GPU's do behind queued steps.
        GpuLikeDevice device = new GpuLikeDevice(TestDevices.backend(candidate).device(), sim ? 2 : 0);
        Run dev;
        try (DeviceBackend be = new DeviceBackend(device);
             CapturingStepRunner graphs = new CapturingStepRunner(device::capture)) {
            dev = train(be, epochsWithoutHostWaits(device, graphs));
        }
        int steps = 5 * EpochOrder.stepsPerEpoch(TRAIN, TINY.batchSize());
        assertTrue(device.asyncCopies() >= steps / 4, "the losses came back asynchronously: " + device.asyncCopies());
        // At most 4 reads in flight, and the epoch end's: slots are reused, not allocated per read.
        assertTrue(device.pinnedAllocations() <= 5, "pinned slots for " + device.asyncCopies() + " reads: "
                + device.pinnedAllocations());
        for (int e = 0; e < 3; e++) {
            assertEquals(cpu.pretrainLosses().get(e), dev.pretrainLosses().get(e), 1e-4, "MLM epoch " + (e + 1));
        }
        assertEquals(cpu.classifier().size(), dev.classifier().size());
        for (int e = 0; e < cpu.classifier().size(); e++) {
            assertEquals(cpu.classifier().get(e).trainLoss(), dev.classifier().get(e).trainLoss(), 1e-4,
                    "classifier epoch " + (e + 1));
        }
        if (sim) {
            // Reads done at their third poll: after step 3 the latest loss read is step 1's, after step 5 step 2's.
            assertTrue(dev.lines().stream().anyMatch(l -> l.matches("pretrain 2/3: 3/6 steps, loss \\d+\\.\\d{4} at step 1, .*")),
                    String.join("\n", dev.lines()));
            assertTrue(dev.lines().stream().anyMatch(l -> l.matches("pretrain 2/3: 5/6 steps, loss \\d+\\.\\d{4} at step 2, .*")),
                    String.join("\n", dev.lines()));
        }
        assertTrue(dev.lines().stream().anyMatch(l -> l.matches("classifier 1/1: 6/6 steps, loss \\d+\\.\\d{4} at step 6, .*")),
                String.join("\n", dev.lines()));
    }
}
