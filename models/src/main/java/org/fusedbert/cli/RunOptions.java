package org.fusedbert.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Option;

/** Where a run writes and how it reports ({@code @Mixin RunOptions run;}). */
public final class RunOptions {
    /** Runs go below this folder unless {@code --run-dir} says otherwise. */
    static final Path RUNS = Path.of("runs");
    /** The link to the newest run, which commands that read a checkpoint default to. */
    static final Path LATEST = RUNS.resolve("latest");

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "where metrics.jsonl, loss.png and the checkpoint go (default: runs/<time>-<command>)")
    Path runDir;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42",
            description = "seed of initialization, dropout, masking and data order (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--loss-every", paramLabel = "STEPS", defaultValue = "10",
            description = "steps between asynchronous loss reads and progress updates (default: ${DEFAULT-VALUE})")
    int lossEvery;

    /** The run directory, created, and {@code runs/latest} pointed at it. */
    Path createRunDir(String command) {
        Path dir = runDir != null ? runDir
                : RUNS.resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + command);
        try {
            Files.createDirectories(dir);
            if (runDir == null) {
                Files.deleteIfExists(LATEST);
                Files.createSymbolicLink(LATEST, LATEST.getParent().relativize(dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create the run directory: " + e.getMessage(), e);
        }
        return dir;
    }
}
