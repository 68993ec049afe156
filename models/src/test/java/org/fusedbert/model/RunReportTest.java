package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
    @Test
    void reportsMedianStepTimeEpochSecondsAndAnIncompleteRun(@TempDir Path dir) throws Exception {
        BertConfig config = BertConfig.SEED.toBuilder().batchSize(4).maxLen(10).build(); // 40 tokens per step
        try (MetricsLog log = new MetricsLog(dir)) {
            log.record(new MetricsLog.Metric("start", "pretrain", 1, 0, null, null, null, null, null, 2.0));
            // Windows of 20, 40 (warm-up, skipped), then 10, 20 and 40 ms per step: median 20.
            double[] msPerStep = {20, 10, 20, 40};
            log.record(new MetricsLog.Metric("step", "pretrain", 1, 10, 7.5, null, null, null, 40 / 0.5, 3.0));
            for (int i = 0; i < msPerStep.length; i++) {
                log.record(new MetricsLog.Metric("step", "pretrain", 1, 20 + 10 * i, 7.0, null, null, null,
                        40 / (msPerStep[i] / 1000), 4.0 + i));
            }
            log.record(new MetricsLog.Metric("epoch", "pretrain", 1, 60, 7.2, null, null, null, null, 12.0));
            log.record(new MetricsLog.Metric("epoch", "pretrain", 2, 120, 6.6, null, null, null, null, 19.5));
        }
        new RunSummary("cuda", "NVIDIA H100 (sm_90)", "imdb x", config, 2, List.of(7.2, 6.6), "probe [mask]",
                List.of("movie 0.5", "film 0.2"), List.of(), null, 0, null, null, 30.0, 1 << 20, 1000, false).write(dir);
        String report = RunReport.markdown(dir);
        assertTrue(report.startsWith("# fusedbert `train` run on NVIDIA H100 (sm_90)"), report);
        assertTrue(report.contains("**Incomplete run**"), report);
        assertTrue(report.contains("| ms per MLM step (median) | 20.00 | 423 |"), report);
        assertTrue(report.contains("| s per MLM epoch | 10.0 / 7.5 | - |"), report);
        assertTrue(report.contains("| MLM loss after epoch 1 | 7.20 | 7.01 |"), report);
        assertTrue(report.contains("| MLM loss after epoch 3 | - | 5.87 |"), report);
        assertTrue(report.contains("| test accuracy | - | 84.4% |"), report);
        assertTrue(report.contains("| peak device memory | not measured | - |"), report);
        assertEquals(20.0, RunReport.median(List.of(40.0, 10.0, 20.0)));
    }

    private static void writeFineTunedRun(Path dir, FineTuneRecipe recipe, int validationSize,
                                          List<Trainer.ClassifierEpoch> epochs, Trainer.ClassifierEpoch kept,
                                          double testAccuracy) throws Exception {
        try (MetricsLog log = new MetricsLog(dir)) {
            log.record(new MetricsLog.Metric("start", "pretrain", 1, 0, null, null, null, null, null, 1.0));
            log.record(new MetricsLog.Metric("epoch", "pretrain", 1, 10, 7.0, null, null, null, null, 2.0));
        }
        new RunSummary("cuda", "NVIDIA H200 (sm_90)", "imdb", BertConfig.SEED, 1, List.of(7.0), "probe [mask]",
                List.of("movie 0.9"), epochs, recipe, validationSize, kept, testAccuracy, 15.0, 1 << 20, 1000, true)
                .write(dir);
    }

    @Test
    void reportsTheRecipeTheValidationAccuracyTheKeptEpochAndTheSeedRecipesRun(@TempDir Path dir) throws Exception {
        Path ours = dir.resolve("ours");
        Path seedRecipe = dir.resolve("seed-recipe");
        Trainer.ClassifierEpoch frozen = new Trainer.ClassifierEpoch(ParameterLayout.Phase.FROZEN, 1, 0.5, 0.75, 0.76,
                0.752);
        Trainer.ClassifierEpoch best = new Trainer.ClassifierEpoch(ParameterLayout.Phase.UNFROZEN, 1, 0.3, 0.86, 0.881,
                0.878);
        Trainer.ClassifierEpoch later = new Trainer.ClassifierEpoch(ParameterLayout.Phase.UNFROZEN, 2, 0.2, 0.94, 0.85,
                0.852);
        writeFineTunedRun(ours, FineTuneRecipe.validated(1e-3f).withEpochs(1, 2), 2500, List.of(frozen, best, later),
                best, 0.878);
        Trainer.ClassifierEpoch seedLast = new Trainer.ClassifierEpoch(ParameterLayout.Phase.UNFROZEN, 2, 0.1, 0.99,
                null, 0.821);
        writeFineTunedRun(seedRecipe, FineTuneRecipe.seed(1e-3f).withEpochs(1, 2), 0, List.of(seedLast), null, 0.821);

        String report = RunReport.markdown(ours, java.util.Map.of("seed-recipe", seedRecipe));
        assertTrue(report.contains("| test accuracy (recipe validated) | 87.8% (unfrozen epoch 1, chosen by validation "
                + "accuracy 88.1%) | 84.4% |"), report);
        assertTrue(report.contains("| test accuracy on seed-recipe (recipe seed) | 82.1% (last epoch) | 84.4% |"),
                report);
        assertTrue(report.contains("Recipe validated: 1 frozen epoch at lr 0.001 + 2 unfrozen at lr 0.001, 10% of "
                + "the training reviews held out for validation, the epoch with the best validation accuracy kept "
                + "(2,500 reviews, never trained on)."), report);
        assertTrue(report.contains("Kept: unfrozen epoch 1, chosen by its validation accuracy 88.1%; the test accuracy "
                + "of its parameters: 87.8% (the seed: 84.4%)."), report);
        assertTrue(report.contains("Recipe seed here (run `seed-recipe`): 82.1% test accuracy (last epoch); this run's "
                + "recipe validated: 87.8% (unfrozen epoch 1, chosen by validation accuracy 88.1%); the seed's own "
                + "figure: 84.4%."), report);
        assertTrue(report.contains("| unfrozen | 1 | 0.3000 | 0.8600 | 0.8810 | 0.8780 | kept |"), report);
        assertTrue(report.contains("| unfrozen | 2 | 0.2000 | 0.9400 | 0.8500 | 0.8520 |  |"), report);

        String seedReport = RunReport.markdown(seedRecipe);
        assertTrue(seedReport.contains("Recipe seed: 1 frozen epoch at lr 0.001 + 2 unfrozen at lr 0.001, no "
                + "validation split, the last epoch's parameters kept."), seedReport);
        assertTrue(seedReport.contains("| unfrozen | 2 | 0.1000 | 0.9900 | - | 0.8210 |  |"), seedReport);
        assertTrue(!seedReport.contains("Kept:"), seedReport);
    }

    @Test
    void aRunWithoutSummaryIsOneLineSayingWhichKind(@TempDir Path dir) throws Exception {
        var none = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RunSummary.read(dir));
        org.junit.jupiter.api.Assertions.assertTrue(none.getMessage().endsWith("but missing"), none.getMessage());
        java.nio.file.Files.createDirectories(dir.resolve("checkpoint"));
        var pretrained = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RunSummary.read(dir));
        org.junit.jupiter.api.Assertions.assertTrue(
                pretrained.getMessage().endsWith("pretrain and finetune runs write none; name a train run"), pretrained.getMessage());
    }
}
