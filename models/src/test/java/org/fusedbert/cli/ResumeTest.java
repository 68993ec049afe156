package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pretrain --resume} after an interruption ends with bit-identical parameters to an
 * uninterrupted run with the same seed: 2 epochs of 12 steps, interrupted once inside the
 * second epoch and once on an epoch boundary.
 */
class ResumeTest {
    @TempDir
    Path tmp;

    private String[] pretrain(String runDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("pretrain", "--cache-dir", tmp.resolve("cache").toString(),
                "--synthetic-reviews", "48", "--max-len", "24", "--hidden", "16", "--heads", "2", "--ff-dim", "24",
                "--batch-size", "8", "--seed", "7", "--run-dir", tmp.resolve(runDir).toString()));
        args.addAll(List.of(extra));
        if (!args.contains("--mlm-epochs")) {
            args.addAll(List.of("--mlm-epochs", "2"));
        }
        return args.toArray(String[]::new);
    }

    @Test
    void resumedPretrainingEndsBitIdenticalToAnUninterruptedOne() throws Exception {
        CliRun whole = CliRun.of(pretrain("whole"));
        assertEquals(0, whole.code(), whole.err() + whole.out());
        assertTrue(whole.out().contains("12 steps per epoch"), whole.out());

        CliRun first = CliRun.of(pretrain("parts", "--max-steps", "17"));
        assertEquals(0, first.code(), first.err() + first.out());
        assertTrue(first.out().contains("stopped at step 17"), first.out());
        Path ckpt = tmp.resolve("parts/checkpoint");
        Checkpoint.TrainerState state = Checkpoint.load(ckpt).trainerState();
        assertEquals(List.of(1, 5, 17, 17), List.of(state.epoch(), state.stepInEpoch(), state.stepCounter(), state.adamStep()));

        CliRun otherSchedule = CliRun.of("pretrain", "--resume", ckpt.toString(), "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "48", "--mlm-epochs", "5");
        assertTrue(otherSchedule.failedWithOneLine(), otherSchedule.toString());
        assertTrue(otherSchedule.err().contains("--mlm-epochs expected the run's 2 (a resumed run keeps its schedule)"),
                otherSchedule.err());
        CliRun second = CliRun.of("pretrain", "--resume", ckpt.toString(), "--cache-dir", tmp.resolve("cache").toString(),
                "--synthetic-reviews", "48");
        assertEquals(0, second.code(), second.err() + second.out());
        assertTrue(second.out().contains("resuming") && second.out().contains("at epoch 2 step 5"), second.out());
        assertEquals(epochLoss(whole.out(), 2), epochLoss(second.out(), 2),
                "the resumed epoch's mean covers its steps before the interruption too");
        assertFalse(Files.exists(ckpt.resolve(Checkpoint.STATE_FILE)), "a finished pretraining drops its state");
        long windows = Files.readAllLines(tmp.resolve("parts/metrics.jsonl")).stream()
                .filter(l -> l.contains("\"event\":\"step\"")).count();
        assertTrue(windows >= 24 / 10, "the resumed run appended to the interrupted run's metrics: " + windows);
        assertSameParameters(tmp.resolve("whole/checkpoint"), ckpt);

        // Interrupted at an epoch boundary, and resumed from the run folder.
        CliRun boundary = CliRun.of(pretrain("boundary", "--max-steps", "12"));
        assertEquals(0, boundary.code(), boundary.err());
        CliRun rest = CliRun.of("pretrain", "--resume", tmp.resolve("boundary").toString(), "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "48");
        assertEquals(0, rest.code(), rest.err() + rest.out());
        assertSameParameters(tmp.resolve("whole/checkpoint"), tmp.resolve("boundary/checkpoint"));
    }

    @Test
    void resumeRefusesAnotherConfigurationOrAFinishedRun() {
        CliRun stopped = CliRun.of(pretrain("stopped", "--max-steps", "3"));
        assertEquals(0, stopped.code(), stopped.err());
        String ckpt = tmp.resolve("stopped/checkpoint").toString();
        CliRun other = CliRun.of("pretrain", "--resume", ckpt, "--hidden", "32", "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "48");
        assertTrue(other.failedWithOneLine(), other.toString());
        assertTrue(other.err().contains("configuration expected the one given"), other.err());
        CliRun otherSeed = CliRun.of("pretrain", "--resume", ckpt, "--seed", "8", "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "48");
        assertTrue(otherSeed.failedWithOneLine(), otherSeed.toString());
        CliRun otherData = CliRun.of("pretrain", "--resume", ckpt, "--cache-dir", tmp.resolve("cache").toString(),
                "--synthetic-reviews", "64");
        assertTrue(otherData.failedWithOneLine(), otherData.toString());
        assertTrue(otherData.err().contains("data expected what the run was started on"), otherData.err());

        CliRun done = CliRun.of(pretrain("done", "--mlm-epochs", "1"));
        assertEquals(0, done.code(), done.err());
        CliRun again = CliRun.of("pretrain", "--resume", tmp.resolve("done").toString(), "--cache-dir",
                tmp.resolve("cache").toString(), "--synthetic-reviews", "48");
        assertTrue(again.failedWithOneLine(), again.toString());
        assertTrue(again.err().contains("--resume expected an unfinished pretraining"), again.err());
    }

    private static void assertSameParameters(Path expected, Path actual) throws Exception {
        var a = SafeTensors.read(expected.resolve(Checkpoint.MODEL_FILE)).tensors();
        var b = SafeTensors.read(actual.resolve(Checkpoint.MODEL_FILE)).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).floats(), b.get(name).floats(), name);
        }
    }

    /**
     * The README's flow on a machine without IMDB data: {@code pretrain --max-steps} with no options
     * takes the quick configuration on its 2,000-review synthetic corpus, and {@code pretrain
     * --resume} with no data options continues on that corpus (it once resolved the default 25,000
     * reviews and refused the checkpoint as trained on other data); {@code finetune} of it too.
     */
    @Test
    void aQuickRunResumesAndFineTunesWithoutRepeatingItsDataOptions() {
        String cache = tmp.resolve("quick-cache").toString();
        CliRun first = CliRun.of("pretrain", "--backend", "cpu", "--cache-dir", cache, "--run-dir",
                tmp.resolve("quick").toString(), "--max-steps", "3", "--mlm-epochs", "1");
        assertEquals(0, first.code(), first.err() + first.out());
        assertTrue(first.out().contains("2000 train + 2000 test reviews"), first.out());

        CliRun resumed = CliRun.of("pretrain", "--backend", "cpu", "--cache-dir", cache, "--resume",
                tmp.resolve("quick").toString(), "--max-steps", "6");
        assertEquals(0, resumed.code(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("at epoch 1 step 3"), resumed.out());

        CliRun tuned = CliRun.of("finetune", "--backend", "cpu", "--cache-dir", cache, "--checkpoint",
                tmp.resolve("quick").toString(), "--run-dir", tmp.resolve("tuned").toString(), "--limit", "64",
                "--frozen-epochs", "0", "--unfrozen-epochs", "1", "--validation-split", "0");
        assertEquals(0, tuned.code(), tuned.err() + tuned.out());
        assertTrue(tuned.out().contains("2000 train + 2000 test reviews"), tuned.out());
    }

    /** The MLM loss the log gives for {@code epoch} ("pretrain epoch E/N: MLM loss X"). */
    private static String epochLoss(String out, int epoch) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("pretrain epoch " + epoch + "/\\d+: MLM loss ([0-9.]+)")
                .matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    /**
     * A run started with --limit and --pretrain-splits resumes with just --resume (the line it
     * prints), taking both from the run: it once refused its own checkpoint as trained on other data.
     */
    @Test
    void aResumeTakesTheRunsLimitAndSplits() {
        CliRun first = CliRun.of(pretrain("limited", "--limit", "24", "--pretrain-splits", "train", "--max-steps", "2"));
        assertEquals(0, first.code(), first.err() + first.out());
        CliRun resumed = CliRun.of("pretrain", "--resume", tmp.resolve("limited").toString(), "--cache-dir",
                tmp.resolve("cache").toString());
        assertEquals(0, resumed.code(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("over 24 reviews (train)"), resumed.out());
        assertEquals(24, TrainingData.limitOf("vocabulary 0123, train=24, limit 24, seed 7"));
        assertEquals("train,test", TrainingData.splitsOf("vocabulary 0123, train=24 test=24, limit 0, seed 7"));
    }
}
