package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fusedbert.model.Checkpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's folder: a new run refuses one that holds a run, says why one cannot be made, and a run
 * that fails or is interrupted before its first checkpoint leaves nothing behind and leaves
 * runs/latest on the last run with a checkpoint. Runs go below a temporary runs folder (the
 * {@code fusedbert.runs} property), never the repository's.
 */
class RunFolderTest {
    private static final List<String> TINY = List.of("--backend", "cpu", "--synthetic-reviews", "48", "--max-len",
            "24", "--hidden", "16", "--heads", "2", "--ff-dim", "24", "--batch-size", "8");

    @TempDir
    Path tmp;
    private Path runs;
    private String savedRuns;

    @BeforeEach
    void runsBelowTmp() {
        runs = tmp.resolve("runs");
        savedRuns = System.getProperty(RunOptions.RUNS_PROPERTY);
        System.setProperty(RunOptions.RUNS_PROPERTY, runs.toString());
    }

    @AfterEach
    void restoreRuns() {
        if (savedRuns == null) {
            System.clearProperty(RunOptions.RUNS_PROPERTY);
        } else {
            System.setProperty(RunOptions.RUNS_PROPERTY, savedRuns);
        }
    }

    private CliRun cli(String command, String... extra) {
        return cli(command, tmp.resolve("cache"), extra);
    }

    private CliRun cli(String command, Path cache, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--cache-dir", cache.toString()));
        args.addAll(TINY);
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void aNewRunRefusesAFolderHoldingARunBeforeAnyWork() throws Exception {
        Path old = tmp.resolve("old");
        CliRun train = cli("train", "--run-dir", old.toString(), "--mlm-epochs", "1", "--frozen-epochs", "0",
                "--unfrozen-epochs", "1", "--validation-split", "0");
        assertEquals(0, train.code(), train.err() + train.out());
        List<byte[]> before = snapshot(old);

        Path freshCache = tmp.resolve("fresh-cache");
        String expected = "--run-dir " + old + ": expected a new or empty folder but it holds a run (checkpoint/, "
                + "metrics.jsonl, run.json); choose another folder or remove it";
        for (CliRun r : List.of(cli("pretrain", freshCache, "--run-dir", old.toString(), "--max-steps", "5"),
                cli("train", freshCache, "--run-dir", old.toString()),
                CliRun.of("finetune", "--backend", "cpu", "--cache-dir", freshCache.toString(), "--synthetic-reviews",
                        "48", "--checkpoint", old.toString(), "--run-dir", old.toString()))) {
            assertTrue(r.failedWithOneLine(), r.toString());
            assertTrue(r.err().contains(expected), r.err());
        }
        assertFalse(Files.exists(freshCache), "data was prepared before the run folder was checked");
        List<byte[]> after = snapshot(old);
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i), "the old run's file " + i + " changed");
        }

        Path onlyMetrics = Files.createDirectories(tmp.resolve("only-metrics"));
        Files.writeString(onlyMetrics.resolve("metrics.jsonl"), "");
        CliRun refused = cli("pretrain", "--run-dir", onlyMetrics.toString());
        assertTrue(refused.failedWithOneLine(), refused.toString());
        assertTrue(refused.err().contains("it holds a run (metrics.jsonl)"), refused.err());

        // An empty folder is new to a run (benchmarks/device/run.sh makes its seed run's so), and
        // --run-dir naming the resumed run's own folder continues it.
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun into = cli("pretrain", "--run-dir", empty.toString(), "--mlm-epochs", "2", "--max-steps", "3");
        assertEquals(0, into.code(), into.err() + into.out());
        CliRun resumed = CliRun.of("pretrain", "--backend", "cpu", "--cache-dir", tmp.resolve("cache").toString(),
                "--synthetic-reviews", "48", "--resume", empty.toString(), "--run-dir", empty.toString(),
                "--max-steps", "6");
        assertEquals(0, resumed.code(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("at epoch 1 step 3"), resumed.out());
        assertFalse(Files.exists(runs), "a run with --run-dir made runs/");
    }

    private static List<byte[]> snapshot(Path run) throws Exception {
        List<byte[]> files = new ArrayList<>();
        for (String f : List.of("metrics.jsonl", "run.json", "checkpoint/" + Checkpoint.MODEL_FILE)) {
            files.add(Files.readAllBytes(run.resolve(f)));
        }
        return files;
    }

    @Test
    void aRunThatFailsBeforeItsFirstCheckpointLeavesNothingAndKeepsLatest() throws Exception {
        CliRun good = cli("pretrain", "--mlm-epochs", "1");
        assertEquals(0, good.code(), good.err() + good.out());
        Path goodRun = latestRun();
        assertTrue(Files.isDirectory(goodRun.resolve("checkpoint")), goodRun.toString());

        CliRun unsup = cli("train", "--pretrain-splits", "unsup");
        assertTrue(unsup.failedWithOneLine(), unsup.toString());
        assertTrue(unsup.err().contains("expected splits with reviews but [UNSUP] have none"), unsup.err());
        CliRun tooFew = cli("train", "--limit", "1");
        assertTrue(tooFew.failedWithOneLine(), tooFew.toString());
        assertEquals(Set.of("latest", goodRun.getFileName().toString()), entries(runs));
        assertEquals(goodRun, latestRun());
        CliRun fill = CliRun.of("fill-mask", "--backend", "cpu", "a [mask] film");
        assertEquals(0, fill.code(), fill.err() + fill.out());

        // With --run-dir: the folders the run made go; a folder it found with files of its own stays as it is.
        Path nested = tmp.resolve("a/b/c");
        CliRun failedNested = cli("train", "--pretrain-splits", "unsup", "--run-dir", nested.toString());
        assertTrue(failedNested.failedWithOneLine(), failedNested.toString());
        assertFalse(Files.exists(tmp.resolve("a")), "the failed run left " + tmp.resolve("a"));
        Path found = Files.createDirectories(tmp.resolve("found"));
        Files.writeString(found.resolve("notes.txt"), "mine");
        CliRun failedFound = cli("train", "--pretrain-splits", "unsup", "--run-dir", found.toString());
        assertTrue(failedFound.failedWithOneLine(), failedFound.toString());
        assertEquals(Set.of("metrics.jsonl", "notes.txt"), entries(found));
        // An empty folder it found is emptied again, so the next run may use it.
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliRun failedEmpty = cli("train", "--pretrain-splits", "unsup", "--run-dir", empty.toString());
        assertTrue(failedEmpty.failedWithOneLine(), failedEmpty.toString());
        assertEquals(Set.of(), entries(empty));
        CliRun retry = cli("pretrain", "--mlm-epochs", "1", "--max-steps", "1", "--run-dir", empty.toString());
        assertEquals(0, retry.code(), retry.err() + retry.out());
        Path made = tmp.resolve("made");
        CliRun failedMade = cli("train", "--pretrain-splits", "unsup", "--run-dir", made.toString());
        assertTrue(failedMade.failedWithOneLine(), failedMade.toString());
        assertFalse(Files.exists(made), "the failed run left " + made);

        // A new run moves runs/latest once it has a checkpoint (a second run in the same second gets a suffix).
        CliRun next = cli("pretrain", "--mlm-epochs", "2", "--max-steps", "2");
        assertEquals(0, next.code(), next.err() + next.out());
        assertNotEquals(goodRun, latestRun());
        assertTrue(Files.isDirectory(latestRun().resolve("checkpoint")));
        assertEquals(3, entries(runs).size(), entries(runs).toString());
    }

    private Path latestRun() throws Exception {
        Path latest = runs.resolve("latest");
        assertTrue(Files.isSymbolicLink(latest), latest + " is not a link");
        return runs.resolve(Files.readSymbolicLink(latest));
    }

    private static Set<String> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aRunFolderThatCannotBeMadeSaysWhyBeforeAnyWork() throws Exception {
        Path file = Files.writeString(tmp.resolve("README.md"), "text");
        assertUnusable(file, file + " is a file (a file is in the way)");
        assertUnusable(file.resolve("run"), file + " is a file (a file is in the way)");
        if (Files.isDirectory(Path.of("/proc/self"))) {
            assertUnusable(Path.of("/proc/x"), "/proc takes no new folders");
        }
        Path locked = Files.createDirectories(tmp.resolve("locked"));
        if (locked.toFile().setWritable(false, false) && !Files.isWritable(locked)) {  // not as root
            assertUnusable(locked.resolve("run"), "permission denied in " + locked);
        }
        locked.toFile().setWritable(true, false);
    }

    private void assertUnusable(Path runDir, String why) {
        Path cache = tmp.resolve("unused-cache");
        CliRun r = cli("train", cache, "--run-dir", runDir.toString());
        assertTrue(r.failedWithOneLine(), r.toString());
        assertTrue(r.err().contains("--run-dir " + runDir + ": expected a folder this run can create but " + why),
                r.err());
        assertFalse(r.err().contains(") ("), "the reason is said once: " + r.err());
        assertFalse(Files.exists(cache), "data was prepared before the run folder was made");
    }

    /**
     * Ctrl-C (SIGINT, in a separate JVM) during the first pretraining epoch: the shutdown hook
     * removes the new run's folder, and runs/latest stays on the previous run.
     */
    @Test
    void ctrlCBeforeTheFirstCheckpointLeavesNothingAndKeepsLatest() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(null);
        assumeTrue(java != null && Files.isDirectory(Path.of("/proc/self")), "needs a Unix kill -INT");
        Path old = Files.createDirectories(runs.resolve("old/checkpoint")).getParent();
        Files.createSymbolicLink(runs.resolve("latest"), old.getFileName());

        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-D" + RunOptions.RUNS_PROPERTY + "=" + runs);
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName(), "pretrain", "--cache-dir", tmp.resolve("cache").toString(), "--backend", "cpu",
                "--synthetic-reviews", "2000", "--max-len", "24", "--hidden", "16", "--heads", "2", "--ff-dim", "24",
                "--batch-size", "2", "--mlm-epochs", "1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        boolean sent = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.append(line).append('\n');
                if (!sent && line.contains("MLM epochs over")) {  // the run folder is made, the epoch begins
                    assertEquals(Set.of("latest", "old", runFolderName(out)), entries(runs), out.toString());
                    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                    sent = true;
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertTrue(sent, out.toString());
        assertNotEquals(0, p.exitValue(), out.toString());
        assertEquals(Set.of("latest", "old"), entries(runs), out.toString());
        assertEquals(Path.of("old"), Files.readSymbolicLink(runs.resolve("latest")));
    }

    private static String runFolderName(CharSequence out) {
        return out.toString().lines().filter(l -> l.startsWith("run: ")).map(l -> Path.of(l.substring(5))
                .getFileName().toString()).findFirst().orElse("(no run line)");
    }
}
