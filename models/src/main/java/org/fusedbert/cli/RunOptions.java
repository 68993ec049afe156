package org.fusedbert.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Option;

/** Where a run writes and how it reports ({@code @Mixin RunOptions run;}). */
public final class RunOptions {
    /**
     * The system property that moves the runs folder (and so runs/latest) away from the working
     * directory's {@code runs/}: for tests, which must not touch the repository's own runs.
     */
    static final String RUNS_PROPERTY = "fusedbert.runs";

    /** Runs go below this folder unless {@code --run-dir} says otherwise. */
    static Path runs() {
        return Path.of(System.getProperty(RUNS_PROPERTY, "runs"));
    }

    /** The link to the newest run with a checkpoint, which commands that read a checkpoint default to. */
    static Path latest() {
        return runs().resolve("latest");
    }

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "where metrics.jsonl, loss.png and the checkpoint go: a new folder, or one without a run in it (default: runs/<time>-<command>)")
    Path runDir;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
            description = "seed of initialization, dropout, masking and data order (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--loss-every", paramLabel = "STEPS", defaultValue = "10",
            description = "steps between asynchronous loss reads and progress updates (default: ${DEFAULT-VALUE})")
    int lossEvery;

    /**
     * This run's folder, made now (before a backend opens or data is prepared): {@code --run-dir},
     * which must not hold a run already, or a new {@code runs/<time>-<command>} that runs/latest
     * names once the run has written a checkpoint. Close it when the run ends.
     */
    RunFolder open(String command) {
        return runDir != null ? RunFolder.given(runDir) : RunFolder.underRuns(runs(),
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + command);
    }
}
