package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.model.ParameterLayout.Phase;
import org.junit.jupiter.api.Test;

/**
 * The classifier phases by recipe on the CPU: the best epoch by validation accuracy is put back
 * (checked against the parameters downloaded after every epoch), patience ends a phase, and the
 * seed's recipe keeps the last epoch.
 */
class FineTuneTest {
    private static final BertConfig CONFIG = new BertConfig(40, 12, 16, 2, 24, 1, 0.1f, 1e-6f, 8, 3e-3f, 8, false);
    /**
     * {@code n} rows whose label decides their vocabulary: positives draw ids from [2, 17),
     * negatives from [17, 32); {@code flipped} gives each row the other label.
     */
    private static Examples labelledRows(int n, long seed, boolean flipped) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = CONFIG.maxLen();
        int[] ids = new int[n * len];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            int used = 4 + r.nextInt(len - 4);
            for (int l = 0; l < used; l++) {
                ids[i * len + l] = (labels[i] == 1 ? 2 : 17) + r.nextInt(15);
            }
        }
        if (flipped) {
            for (int i = 0; i < n; i++) {
                labels[i] = 1 - labels[i];
            }
        }
        return Examples.of(ids, labels, len);
    }

    /** One fine-tuning from the same initialization (validated on rows with flipped labels); the parameters after every epoch go into {@code snapshots}. */
    private static Trainer.FineTuneResult fineTune(FineTuneRecipe recipe, Map<String, float[]> snapshots,
                                                   float[][] finalParameters) {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG);
             BertModel model = new BertModel(p, 3, CONFIG.batchSize(), true)) {
            p.initialize(11);
            Trainer trainer = new Trainer(model, 5, new Trainer.Options(4, -1, 0), null, line -> { },
                    (task, total) -> Progress.lines(task, total, line -> { }, Long.MAX_VALUE), Trainer.StepRunner.EAGER);
            trainer.onClassifierEpoch(e -> snapshots.put(e.phase() + " " + e.epoch(), p.download()));
            Examples train = labelledRows(128, 1, false);
            try (ResidentData tr = trainer.upload("train", train, true);
                 ResidentData va = recipe.validates() ? trainer.upload("validation", labelledRows(32, 2, true), true) : null;
                 ResidentData te = trainer.upload("test", labelledRows(40, 3, false), true)) {
                Trainer.FineTuneResult result = trainer.fineTune(tr, va, te, recipe);
                finalParameters[0] = p.download();
                return result;
            }
        }
    }

    /**
     * The validation reviews carry the opposite labels, so every epoch that learns the training
     * labels validates worse: the best epoch is the first, whatever comes after.
     */
    private static FineTuneRecipe unlearningSchedule() {
        return new FineTuneRecipe("test", 1, 3, 1e-3f, 1e-2f, 0.1, true, 0);
    }

    @Test
    void putsBackTheParametersOfTheEpochWithTheBestValidationAccuracy() {
        Map<String, float[]> snapshots = new LinkedHashMap<>();
        float[][] last = new float[1][];
        Trainer.FineTuneResult result = fineTune(unlearningSchedule(), snapshots, last);
        assertEquals(4, result.epochs().size());
        Trainer.ClassifierEpoch best = result.epochs().get(0);
        for (Trainer.ClassifierEpoch e : result.epochs()) {
            best = e.validationAccuracy() > best.validationAccuracy() ? e : best;
        }
        Trainer.ClassifierEpoch lastEpoch = result.epochs().get(3);
        assertTrue(lastEpoch.validationAccuracy() < best.validationAccuracy(),
                "the schedule must end worse than its best epoch: " + result.epochs());
        assertEquals(best, result.kept());
        assertArrayEquals(snapshots.get(best.phase() + " " + best.epoch()), last[0],
                "final parameters are the kept epoch's " + best);
        // The test accuracy is measured again on the parameters put back: the kept epoch's own.
        assertEquals(best.testAccuracy(), result.testAccuracy());
    }

    @Test
    void patienceEndsAPhaseAfterEpochsWithoutABetterValidationAccuracy() {
        Map<String, float[]> snapshots = new LinkedHashMap<>();
        float[][] last = new float[1][];
        FineTuneRecipe recipe = unlearningSchedule().withEpochs(1, 4).withValidation(0.1, true, 1);
        Trainer.FineTuneResult result = fineTune(recipe, snapshots, last);
        assertEquals(List.of("FROZEN 1", "UNFROZEN 1"), new ArrayList<>(snapshots.keySet()),
                "one unfrozen epoch without a gain, then the phase ends: " + result.epochs());
        assertEquals(Phase.FROZEN, result.kept().phase());
        assertArrayEquals(snapshots.get(result.kept().phase() + " " + result.kept().epoch()), last[0]);
    }

    @Test
    void theSeedRecipeKeepsTheLastEpochAndValidatesNothing() {
        Map<String, float[]> snapshots = new LinkedHashMap<>();
        float[][] last = new float[1][];
        FineTuneRecipe seed = FineTuneRecipe.seed(1e-2f).withEpochs(1, 2);
        Trainer.FineTuneResult result = fineTune(seed, snapshots, last);
        assertEquals(List.of("FROZEN 1", "UNFROZEN 1", "UNFROZEN 2"), new ArrayList<>(snapshots.keySet()));
        assertNull(result.kept());
        result.epochs().forEach(e -> assertNull(e.validationAccuracy()));
        assertArrayEquals(snapshots.get("UNFROZEN 2"), last[0]);
        assertEquals(result.epochs().get(2).testAccuracy(), result.testAccuracy());
    }

    @Test
    void recipesNameTheSeedScheduleAndRefuseInconsistentSettings() {
        FineTuneRecipe seed = FineTuneRecipe.named("seed", 1e-3f);
        assertEquals(new FineTuneRecipe("seed", 5, 5, 1e-3f, 1e-3f, 0, false, 0), seed);
        FineTuneRecipe validated = FineTuneRecipe.named("validated", 1e-3f);
        assertEquals(new FineTuneRecipe("validated", 5, 5, 1e-3f, 1e-3f, 0.1, true, 0), validated);
        assertTrue(seed.describe().contains("5 frozen epochs at lr 0.001 + 5 unfrozen at lr 0.001, no validation split"),
                seed.describe());
        IllegalArgumentException restore = assertThrows(IllegalArgumentException.class,
                () -> seed.withValidation(0, true, 0));
        assertEquals("--restore-best: expected a validation split (--validation-split > 0) but was 0",
                restore.getMessage());
        assertThrows(IllegalArgumentException.class, () -> seed.withValidation(0, false, 2));
        assertThrows(IllegalArgumentException.class, () -> seed.withValidation(0.7, false, 0));
        assertThrows(IllegalArgumentException.class, () -> seed.withLearningRates(0f, 1e-3f));
        assertThrows(IllegalArgumentException.class, () -> FineTuneRecipe.named("keras", 1e-3f));
    }
}
