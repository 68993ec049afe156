package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fusedbert.model.FineTuneRecipe;
import org.fusedbert.model.RunSummary;
import org.fusedbert.model.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --recipe} and the options that change it: {@code seed} runs the seed's schedule, the
 * default holds out validation reviews and keeps the best epoch (whose parameters the checkpoint
 * then holds), in the run summary and the metrics.
 */
class RecipeTest {
    @TempDir
    Path tmp;

    private CliRun train(String runDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--cache-dir",
                tmp.resolve("cache").toString(), "--run-dir", tmp.resolve(runDir).toString(), "--synthetic-reviews", "48",
                "--max-len", "32", "--hidden", "32", "--heads", "2", "--ff-dim", "32", "--batch-size", "8",
                "--mlm-epochs", "1", "--loss-every", "3"));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static FineTuneOptions options(String recipe) {
        FineTuneOptions o = new FineTuneOptions();
        o.recipe = recipe;
        return o;
    }

    @Test
    void optionsChangeTheNamedRecipeAndSayWhich() {
        assertEquals(FineTuneRecipe.validated(1e-3f), options("validated").resolve(1e-3f, null, null));
        assertEquals(FineTuneRecipe.seed(5e-4f), options("seed").resolve(5e-4f, null, null));
        assertEquals(FineTuneRecipe.seed(1e-3f).withEpochs(2, 2), options("seed").resolve(1e-3f, 2, 2),
                "a quick configuration's epochs are not a change of recipe");

        FineTuneOptions lower = options("seed");
        lower.unfrozenLearningRate = 2e-4f;
        lower.frozenEpochs = 5;
        FineTuneRecipe r = lower.resolve(1e-3f, null, null);
        assertEquals("seed with --unfrozen-lr 0.0002", r.name());
        assertEquals(2e-4f, r.unfrozenLearningRate());
        assertEquals(1e-3f, r.frozenLearningRate());

        FineTuneOptions noSplit = options("validated");
        noSplit.validationSplit = 0.0;
        FineTuneRecipe none = noSplit.resolve(1e-3f, null, null);
        assertEquals(0.0, none.validationFraction());
        assertTrue(!none.restoreBest(), "no split, nothing to restore from");
        assertEquals("validated with --validation-split 0.0", none.name());

        FineTuneOptions lastEpoch = options("validated");
        lastEpoch.restoreBest = false;
        lastEpoch.patience = 2;
        FineTuneRecipe r2 = lastEpoch.resolve(1e-3f, null, null);
        assertEquals("validated with --no-restore-best --patience 2", r2.name());
        assertEquals(0.1, r2.validationFraction());
    }

    @Test
    void theSeedRecipeRunsTheSeedsScheduleAndKeepsTheLastEpoch() throws Exception {
        CliRun run = train("seed", "--backend", "cpu", "--recipe", "seed");
        assertEquals(0, run.code(), run.err() + run.out());
        assertTrue(run.out().contains("5 frozen + 5 unfrozen classifier epochs, recipe seed, seed 42"), run.out());
        assertTrue(!run.out().contains("validation accuracy"), run.out());
        RunSummary s = RunSummary.read(tmp.resolve("seed"));
        assertEquals(FineTuneRecipe.seed(1e-3f), s.recipe());
        assertEquals(0, s.validationSize());
        assertNull(s.kept());
        assertEquals(10, s.classifierEpochs().size());
        s.classifierEpochs().forEach(e -> assertNull(e.validationAccuracy()));
        assertEquals(s.classifierEpochs().get(9).testAccuracy(), s.testAccuracy());
        String metrics = Files.readString(tmp.resolve("seed/metrics.jsonl"));
        assertTrue(!metrics.contains("validation_accuracy") && !metrics.contains("\"kept\""), metrics);
    }

    /** The default recipe with an unfrozen learning rate too high to improve on the frozen epoch. */
    private RunSummary trainValidated(String backend) throws Exception {
        CliRun run = train(backend, "--backend", backend, "--frozen-epochs", "1", "--unfrozen-epochs", "3",
                "--unfrozen-lr", "0.03", "--validation-split", "0.25");
        assertEquals(0, run.code(), run.err() + run.out());
        assertTrue(run.out().contains("fine-tuning: 12 of the 48 training reviews held out for validation"), run.out());
        return RunSummary.read(tmp.resolve(backend));
    }

    @Test
    void theDefaultRecipeValidatesEveryEpochAndTheCheckpointHoldsTheKeptEpoch() throws Exception {
        RunSummary s = trainValidated("cpu");
        assertEquals("validated with --frozen-epochs 1 --unfrozen-epochs 3 --unfrozen-lr 0.03 --validation-split 0.25",
                s.recipe().name());
        assertEquals(12, s.validationSize());
        assertEquals(4, s.classifierEpochs().size());
        Trainer.ClassifierEpoch kept = s.kept();
        assertNotNull(kept);
        assertTrue(!kept.sameEpoch(s.classifierEpochs().get(3)), "an earlier epoch was put back: " + kept);
        for (Trainer.ClassifierEpoch e : s.classifierEpochs()) {
            assertNotNull(e.validationAccuracy());
            assertTrue(e.validationAccuracy() <= kept.validationAccuracy(), e + " beats the kept " + kept);
        }
        assertTrue(s.classifierEpochs().contains(kept));
        assertEquals(kept.testAccuracy(), s.testAccuracy(), "the test accuracy is the kept epoch's");
        String metrics = Files.readString(tmp.resolve("cpu/metrics.jsonl"));
        assertTrue(metrics.contains("\"validation_accuracy\":"), metrics);
        assertTrue(metrics.contains("\"event\":\"kept\""), metrics);

        // The checkpoint holds the kept epoch's parameters: evaluating it gives that epoch's test accuracy.
        CliRun eval = CliRun.of("evaluate", "--backend", "cpu", "--checkpoint", tmp.resolve("cpu").toString(),
                "--cache-dir", tmp.resolve("cache").toString(), "--synthetic-reviews", "48");
        assertEquals(0, eval.code(), eval.err());
        Matcher m = Pattern.compile("test accuracy: ([0-9.]+)").matcher(eval.out());
        assertTrue(m.find(), eval.out());
        assertEquals(kept.testAccuracy(), Double.parseDouble(m.group(1)), 1e-4, eval.out());
    }

    @Test
    void theSimulatorWithCapturedStepsKeepsTheSameEpochAsTheCpu() throws Exception {
        RunSummary cpu = trainValidated("cpu");
        RunSummary sim = trainValidated("sim");
        assertEquals("sim", sim.backend());
        assertEquals(cpu.kept().phase(), sim.kept().phase());
        assertEquals(cpu.kept().epoch(), sim.kept().epoch());
        for (int e = 0; e < cpu.classifierEpochs().size(); e++) {
            assertEquals(cpu.classifierEpochs().get(e).validationAccuracy(),
                    sim.classifierEpochs().get(e).validationAccuracy(), "epoch " + (e + 1));
        }
        assertEquals(cpu.testAccuracy(), sim.testAccuracy());
    }

    @Test
    void inconsistentRecipeOptionsAreOneLine() {
        CliRun unknown = train("unknown", "--backend", "cpu", "--recipe", "keras");
        assertTrue(unknown.failedWithOneLine(), unknown.toString());
        assertTrue(unknown.err().contains("--recipe: expected seed or validated but was keras"), unknown.err());
        CliRun restore = train("restore", "--backend", "cpu", "--recipe", "seed", "--restore-best");
        assertTrue(restore.failedWithOneLine(), restore.toString());
        assertTrue(restore.err().contains("--restore-best: expected a validation split"), restore.err());
    }
}
