package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fusedbert.model.RunSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole {@code train} job on the device path (DeviceBackend on the simulator, every kind of
 * step captured once and replayed, evaluation too) against the same job on the CPU: the same
 * losses and accuracies, as the reports print them.
 */
class DeviceTrainTest {
    @TempDir
    Path tmp;

    private RunSummary train(String backend) throws Exception {
        Path run = tmp.resolve(backend);
        CliRun r = CliRun.of("train", "--backend", backend, "--cache-dir", tmp.resolve("cache").toString(), "--run-dir",
                run.toString(), "--synthetic-reviews", "48", "--max-len", "32", "--hidden", "32", "--heads", "2",
                "--ff-dim", "32", "--batch-size", "8", "--mlm-epochs", "2", "--frozen-epochs", "1", "--unfrozen-epochs",
                "2", "--loss-every", "3");
        assertEquals(0, r.code(), r.err() + r.out());
        return RunSummary.read(run);
    }

    @Test
    void capturedTrainingOnTheSimulatorMatchesTheCpu() throws Exception {
        RunSummary cpu = train("cpu");
        RunSummary sim = train("sim");
        assertEquals("sim", sim.backend());
        assertTrue(sim.device().toLowerCase(java.util.Locale.ROOT).contains("sim"), sim.device());
        assertClose(cpu.mlmLosses(), sim.mlmLosses(), 1e-4);
        for (int e = 0; e < cpu.classifierEpochs().size(); e++) {
            assertEquals(cpu.classifierEpochs().get(e).trainLoss(), sim.classifierEpochs().get(e).trainLoss(), 1e-4);
            assertEquals(cpu.classifierEpochs().get(e).testAccuracy(), sim.classifierEpochs().get(e).testAccuracy());
        }
        assertEquals(cpu.probeTop().get(0).split(" ")[0], sim.probeTop().get(0).split(" ")[0]);
    }

    private static void assertClose(List<Double> expected, List<Double> actual, double tol) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), tol, "epoch " + (i + 1));
        }
    }
}
