package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fusedbert.data.DataOrigin;
import org.fusedbert.data.ImdbFixture;
import org.fusedbert.model.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint records the data it was trained on, and {@code evaluate}, {@code finetune} and
 * {@code pretrain --resume} use it when no data option is given; given other data, they run on
 * it with a one-line warning. Tiny models on 48 synthetic reviews or the 4+4-review aclImdb fixture.
 */
class CheckpointDataTest {
    private static final String SYNTHETIC_48 = "synthetic (seed 5, 48 train + 48 test reviews)";

    @TempDir
    Path tmp;

    /** {@code command} with a tiny model on the CPU, one epoch of each phase, the cache in the temp folder. */
    private String[] tiny(String command, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--backend", "cpu", "--cache-dir",
                tmp.resolve("cache").toString()));
        if (!command.equals("evaluate")) {
            args.addAll(List.of("--loss-every", "4"));
        }
        if (command.equals("train") || command.equals("pretrain")) {
            args.addAll(List.of("--max-len", "24", "--hidden", "16", "--heads", "2", "--ff-dim", "24",
                    "--batch-size", "8", "--mlm-epochs", "1"));
        }
        if (command.equals("train") || command.equals("finetune")) {
            args.addAll(List.of("--frozen-epochs", "0", "--unfrozen-epochs", "1", "--validation-split", "0"));
        }
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static CliRun ok(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.code(), run.err() + run.out());
        return run;
    }

    private static long warnings(CliRun run) {
        return run.out().lines().filter(l -> l.startsWith("warning:")).count();
    }

    @Test
    void aSyntheticRunsCheckpointIsEvaluatedAndFineTunedOnItsOwnCorpus() {
        Path run = tmp.resolve("synthetic");
        ok(tiny("train", "--synthetic-reviews", "48", "--synthetic-seed", "5", "--run-dir", run.toString()));
        assertEquals(DataOrigin.synthetic(5, 48), Checkpoint.load(run.resolve("checkpoint")).data());

        CliRun eval = ok(tiny("evaluate", "--checkpoint", run.toString()));
        assertTrue(eval.out().contains("data: " + SYNTHETIC_48 + " (the checkpoint's)"), eval.out());
        assertTrue(eval.out().contains("of 48 reviews from " + SYNTHETIC_48), eval.out());
        assertEquals(0, warnings(eval), eval.out());

        CliRun tuned = ok(tiny("finetune", "--checkpoint", run.toString(), "--run-dir", tmp.resolve("ft").toString()));
        assertTrue(tuned.out().contains("data: " + SYNTHETIC_48 + " (the checkpoint's)"), tuned.out());
        assertEquals(0, warnings(tuned), tuned.out());
        assertEquals(DataOrigin.synthetic(5, 48), Checkpoint.load(tmp.resolve("ft/checkpoint")).data(),
                "a fine-tuned checkpoint records what it was fine-tuned on");

        // The same data named explicitly: no warning.
        CliRun same = ok(tiny("evaluate", "--checkpoint", run.toString(), "--synthetic-reviews", "48",
                "--synthetic-seed", "5"));
        assertEquals(0, warnings(same), same.out());
        assertFalse(same.out().contains("the checkpoint's"), same.out());

        // Other data: runs on it, with one warning naming what the checkpoint was trained on.
        CliRun other = ok(tiny("evaluate", "--checkpoint", run.toString(), "--synthetic-reviews", "40"));
        assertEquals(1, warnings(other), other.out());
        assertTrue(other.out().contains("warning: the checkpoint was trained on " + SYNTHETIC_48 + ", not on this data"),
                other.out());
        assertTrue(other.out().contains("of 40 reviews from synthetic (seed 42, 40 train"), other.out());
    }

    @Test
    void anImdbRunsCheckpointIsEvaluatedOnItsArchiveAndWarnsOnOtherData() throws Exception {
        Path archive = ImdbFixture.standard().writeArchive(tmp.resolve("imdb.tar.gz")).toAbsolutePath();
        Path run = tmp.resolve("imdb");
        ok(tiny("train", "--data", archive.toString(), "--run-dir", run.toString()));
        assertEquals(DataOrigin.imdb(archive, false), Checkpoint.load(run.resolve("checkpoint")).data());

        // The reviewer's case: plain evaluate resolved the synthetic corpus and printed 0.5 silently.
        CliRun eval = ok(tiny("evaluate", "--checkpoint", run.toString()));
        assertTrue(eval.out().contains("data: imdb " + archive + " (the checkpoint's)"), eval.out());
        assertTrue(eval.out().contains("of 4 reviews from imdb " + archive), eval.out());
        assertEquals(0, warnings(eval), eval.out());

        CliRun synthetic = ok(tiny("evaluate", "--checkpoint", run.toString(), "--synthetic-reviews", "16"));
        assertTrue(synthetic.out().contains("warning: the checkpoint was trained on imdb " + archive
                + ", not on this data"), synthetic.out());
        assertTrue(synthetic.out().contains("of 16 reviews from synthetic"), synthetic.out());

        CliRun tuned = ok(tiny("finetune", "--checkpoint", run.toString(), "--synthetic-reviews", "16", "--run-dir",
                tmp.resolve("ft").toString()));
        assertEquals(1, warnings(tuned), tuned.out());
        assertTrue(tuned.out().contains("warning: the checkpoint was trained on imdb " + archive), tuned.out());
        assertEquals(DataOrigin.synthetic(42, 16), Checkpoint.load(tmp.resolve("ft/checkpoint")).data());

        // The archive is gone and no other IMDB copy exists: refused, not judged on synthetic reviews.
        Files.move(archive, tmp.resolve("moved.tar.gz"));
        CliRun nowhere = CliRun.of(tiny("evaluate", "--checkpoint", run.toString()));
        assertTrue(nowhere.failedWithOneLine(), nowhere.toString());
        assertTrue(nowhere.err().contains("gone, and no other IMDB copy was found; pass --data"), nowhere.err());
        // Another copy in the cache: one notice, then that copy.
        ImdbFixture.standard().writeFolder(tmp.resolve("cache"));
        CliRun gone = ok(tiny("evaluate", "--checkpoint", run.toString()));
        assertEquals(1, warnings(gone), gone.out());
        assertTrue(gone.out().contains("warning: the checkpoint was trained on imdb " + archive
                + ", which no longer exists; using the IMDB copy found instead"), gone.out());
        assertTrue(gone.out().contains("(found in the cache)"), gone.out());
    }

    @Test
    void theReverseCaseWarnsToo() throws Exception {
        Path archive = ImdbFixture.standard().writeArchive(tmp.resolve("imdb.tar.gz")).toAbsolutePath();
        Path run = tmp.resolve("synthetic");
        ok(tiny("train", "--synthetic-reviews", "48", "--synthetic-seed", "5", "--run-dir", run.toString()));
        CliRun eval = ok(tiny("evaluate", "--checkpoint", run.toString(), "--data", archive.toString()));
        assertTrue(eval.out().contains("data: imdb " + archive + " (from --data)"), eval.out());
        assertTrue(eval.out().contains("warning: the checkpoint was trained on " + SYNTHETIC_48 + ", not on this data"),
                eval.out());
    }

    @Test
    void pretrainResumesOnItsRecordedDataAndOldCheckpointsKeepTheOptions() throws Exception {
        Path run = tmp.resolve("stopped");
        ok(tiny("pretrain", "--synthetic-reviews", "48", "--synthetic-seed", "5", "--max-steps", "3", "--run-dir",
                run.toString()));
        CliRun resumed = ok(tiny("pretrain", "--resume", run.toString()));
        assertTrue(resumed.out().contains("data: " + SYNTHETIC_48 + " (the checkpoint's)"), resumed.out());
        assertTrue(resumed.out().contains("resuming") && resumed.out().contains("pretrain: done"), resumed.out());

        // Other data: warned of, then refused by the resume's own check of its examples.
        Path other = tmp.resolve("other");
        ok(tiny("pretrain", "--synthetic-reviews", "48", "--synthetic-seed", "5", "--max-steps", "3", "--run-dir",
                other.toString()));
        CliRun refused = CliRun.of(tiny("pretrain", "--resume", other.toString(), "--synthetic-reviews", "40"));
        assertTrue(refused.failedWithOneLine(), refused.toString());
        assertTrue(refused.out().contains("warning: the checkpoint was trained on " + SYNTHETIC_48), refused.out());

        // A checkpoint from before the record: the data options as before, no warning, and the record written.
        Files.delete(other.resolve("checkpoint").resolve(Checkpoint.DATA_FILE));
        assertNull(Checkpoint.load(other.resolve("checkpoint")).data());
        CliRun old = ok(tiny("pretrain", "--resume", other.toString(), "--synthetic-reviews", "48", "--synthetic-seed",
                "5"));
        assertEquals(0, warnings(old), old.out());
        assertFalse(old.out().contains("the checkpoint's"), old.out());
        assertEquals(DataOrigin.synthetic(5, 48), Checkpoint.load(other.resolve("checkpoint")).data());
    }
}
