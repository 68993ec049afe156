package org.fusedbert.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.fusedbert.model.MetricsLog;
import org.fusedbert.model.RunSummary;

/**
 * One run's folder for the length of a training command. It is made (or checked) before a backend
 * opens or data is prepared; {@code runs/latest} is pointed at a default run's folder only once its
 * first checkpoint is written, so that it always names a run with a checkpoint; and a run that ends
 * without a checkpoint (an error, or Ctrl-C through a shutdown hook) removes the folder it made, if
 * it holds only what a run writes, and the parents it made, so that a failed run leaves nothing
 * behind. A folder the run found (an empty {@code --run-dir}) stays, emptied of what the run wrote,
 * so that the next run may use it.
 */
final class RunFolder implements AutoCloseable {
    /** The checkpoint's folder inside a run folder. */
    static final String CHECKPOINT = "checkpoint";
    /** What shows that a folder holds a run: a new run refuses such a folder. */
    private static final List<String> RUN_MARKS = List.of(CHECKPOINT, MetricsLog.METRICS_FILE, RunSummary.FILE);
    /** What a run writes into its folder: a failed run's folder holding anything else stays. */
    private static final List<String> RUN_FILES = List.of(CHECKPOINT, MetricsLog.METRICS_FILE, RunSummary.FILE,
            MetricsLog.CHART_FILE);

    /** The run's folder. */
    final Path dir;
    /** Where runs/latest is, when this run is to be named by it; else null. */
    private final Path latest;
    /** The outermost folder this run made (the run folder or one above it); null when it made none. */
    private final Path madeFrom;
    private final Thread onInterrupt;
    /** Whether the run found its folder empty (an empty {@code --run-dir}): it empties it again if it fails. */
    private final boolean foundEmpty;
    private boolean checkpointed;
    private boolean completed;
    private boolean abandoned;

    private RunFolder(Path dir, Path latest, Path madeFrom) {
        this(dir, latest, madeFrom, false);
    }

    private RunFolder(Path dir, Path latest, Path madeFrom, boolean foundEmpty) {
        this.dir = dir;
        this.latest = latest;
        this.madeFrom = madeFrom == null ? null : madeFrom.toAbsolutePath().normalize();
        this.foundEmpty = foundEmpty;
        if (madeFrom == null && !foundEmpty) {
            onInterrupt = null;
        } else {
            // Ctrl-C runs shutdown hooks but no finally blocks: the hook does what close() would.
            onInterrupt = new Thread(this::abandon, "fusedbert-run-folder-cleanup");
            Runtime.getRuntime().addShutdownHook(onInterrupt);
        }
    }

    /**
     * The folder {@code --run-dir} names, made if missing; refused when it already holds a run or
     * cannot be made, in one line saying why.
     */
    static RunFolder given(Path dir) {
        if (dir.toString().isBlank()) {  // an empty path is the working directory: never a run's folder
            throw new IllegalArgumentException("--run-dir: expected a folder name but was empty");
        }
        String label = "--run-dir " + dir;
        if (Files.isDirectory(dir)) {
            List<String> marks = present(dir, RUN_MARKS);
            if (!marks.isEmpty()) {
                throw new IllegalArgumentException(label + ": expected a new or empty folder but it holds a run ("
                        + String.join(", ", marks.stream().map(m -> m.equals(CHECKPOINT) ? m + "/" : m).toList())
                        + "); choose another folder or remove it");
            }
            return new RunFolder(dir, null, null, entriesQuietly(dir).isEmpty());
        }
        return new RunFolder(dir, null, make(dir, label));
    }

    /**
     * A new folder {@code name} below {@code runs} (with a suffix if a run started in the same
     * second took the name), which {@code runs/latest} will name once it holds a checkpoint.
     */
    static RunFolder underRuns(Path runs, String name) {
        String label = "run folder " + runs.resolve(name);
        Path madeFrom = Files.isDirectory(runs) ? null : make(runs, label);
        for (int n = 1; ; n++) {
            Path dir = runs.resolve(n == 1 ? name : name + "-" + n);
            try {
                Files.createDirectory(dir);
                return new RunFolder(dir, runs.resolve("latest"), madeFrom != null ? madeFrom : dir);
            } catch (FileAlreadyExistsException taken) {
                // another run of the same second: try the next suffix
            } catch (IOException e) {
                throw cannotMake(label, e, runs);
            }
        }
    }

    /** The folder of the run whose checkpoint {@code pretrain --resume} continues: kept whatever happens. */
    static RunFolder resumed(Path dir) {
        return new RunFolder(dir, null, null);
    }

    /** Where this run's checkpoint goes. */
    Path checkpointDir() {
        return dir.resolve(CHECKPOINT);
    }

    /** An action that writes a file. */
    interface Write {
        void run() throws IOException;
    }

    /**
     * Writes the checkpoint by {@code write}; after the first, points {@code runs/latest} here.
     * Excludes the Ctrl-C cleanup: a checkpoint is either whole and kept, or never started.
     */
    synchronized void writeCheckpoint(Write write) throws IOException {
        if (abandoned) {
            throw new IllegalStateException(dir + ": no checkpoint written: the run was interrupted");
        }
        write.run();
        if (!checkpointed) {
            checkpointed = true;
            if (latest != null) {
                pointLatestHere();
            }
        }
    }

    // A link made beside it and renamed over it: runs/latest never goes missing or half-made.
    private void pointLatestHere() throws IOException {
        Path link = latest.resolveSibling(".latest-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, dir.getFileName());
            Files.move(link, latest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(link);
        }
    }

    /** Whether {@code runs/latest} names this run (a default run's folder; not a {@code --run-dir}). */
    boolean namedByLatest() {
        return latest != null;
    }

    /** Marks the run as ended well: its folder stays even without a checkpoint. */
    synchronized void completed() {
        completed = true;
    }

    /** Ends the run: without a checkpoint or {@link #completed()}, it failed, and the folder it made goes. */
    @Override
    public void close() {
        if (onInterrupt != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or will: it cleans up
            }
        }
        abandon();
    }

    private synchronized void abandon() {
        if ((madeFrom == null && !foundEmpty) || checkpointed || completed || abandoned) {
            return;
        }
        abandoned = true;
        try {
            if (!RUN_FILES.containsAll(entries(dir))) {
                return;  // someone else's files too: not this run's to remove
            }
            for (String f : RUN_FILES) {
                deleteTree(dir.resolve(f));
            }
            if (madeFrom == null) {
                return;  // a folder the run found: it stays, empty as it was
            }
            // The folders this run made, innermost first, each only while empty.
            for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
                if (!isEmptyDirectory(p)) {
                    break;
                }
                Files.delete(p);
                if (p.equals(madeFrom)) {
                    break;
                }
            }
        } catch (IOException e) {
            System.err.println("fusedbert: warning: " + dir + ": the failed run's files were not all removed: "
                    + e.getMessage());
        }
    }

    private static boolean isEmptyDirectory(Path p) throws IOException {
        return Files.isDirectory(p) && entries(p).isEmpty();
    }

    private static List<String> entriesQuietly(Path dir) {
        try {
            return entries(dir);
        } catch (IOException e) {
            return List.of("?");  // unreadable: treat as not empty, never cleaned
        }
    }

    private static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> all = Files.list(dir)) {
            return all.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> all = Files.walk(p)) {
                for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        } else {
            Files.delete(p);
        }
    }

    private static List<String> present(Path dir, List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (Files.exists(dir.resolve(n), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                out.add(n);
            }
        }
        return out;
    }

    /** Makes {@code dir} and its missing parents; returns the outermost one made. */
    private static Path make(Path dir, String label) {
        Path abs = dir.toAbsolutePath().normalize();
        Path outermost = abs;
        while (outermost.getParent() != null && Files.notExists(outermost.getParent())) {
            outermost = outermost.getParent();
        }
        Path existing = Files.exists(abs) ? abs : outermost.getParent();
        if (existing != null && !Files.isDirectory(existing)) {
            throw new IllegalArgumentException(label + ": expected a folder this run can create but " + existing
                    + " is a file (a file is in the way)");
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw cannotMake(label, e, existing);
        }
        return outermost;
    }

    /**
     * The one-line error for a folder that could not be made in {@code parent}, saying why (without
     * the cause, whose bare reason {@link Main#message} would repeat).
     */
    private static IllegalArgumentException cannotMake(String label, IOException e, Path parent) {
        String where = parent == null ? "" : " in " + parent;
        String why;
        if (e instanceof AccessDeniedException) {
            why = "permission denied" + where;
        } else if (e instanceof FileAlreadyExistsException f) {
            why = f.getFile() + " is in the way (a file, or a link to nothing)";
        } else if (e instanceof NoSuchFileException) {
            why = (parent == null ? "the file system" : parent.toString()) + " takes no new folders "
                    + "(no such file or folder: a virtual file system such as /proc?)";
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            String reason = f.getReason();
            why = reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1) + where;
        } else {
            why = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        return new IllegalArgumentException(label + ": expected a folder this run can create but " + why);
    }
}
