package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's one-line errors say why a file operation failed, not only which path it was. */
class ErrorMessageTest {
    @TempDir
    Path tmp;

    @Test
    void aFileSystemFailureGetsItsReason() {
        var bare = new UncheckedIOException("writing the vocabulary failed: /proc/x",
                new FileSystemException("/proc/x", null, "Read-only file system"));
        assertEquals("writing the vocabulary failed: /proc/x (Read-only file system)", Main.message(bare));
        var denied = new UncheckedIOException(new AccessDeniedException("/root/secret"));
        assertTrue(Main.message(denied).endsWith("/root/secret (permission denied)"), Main.message(denied));
        var said = new IllegalArgumentException("x: permission denied", new AccessDeniedException("x"));
        assertEquals("x: permission denied", Main.message(said), "a reason already given is not repeated");
    }

    @Test
    void prepareIntoAFolderUnderAFileSaysItIsNotADirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a folder");
        CliRun run = CliRun.of("prepare", "--cache-dir", tmp.resolve("cache").toString(), "--synthetic-reviews", "20",
                "--out", file.resolve("prepared").toString());
        assertTrue(run.failedWithOneLine(), run.toString());
        assertTrue(run.err().contains(file.toString()) && run.err().contains("Not a directory"), run.err());
    }

    @Test
    void anUnknownCommandIsNamedOnce() {
        CliRun run = CliRun.of("trian");
        org.junit.jupiter.api.Assertions.assertEquals(2, run.code());
        assertTrue(run.err().startsWith("fusedbert: ") && !run.err().contains("fusedbert fusedbert"), run.err());
    }

    @Test
    void prepareRefusesToWriteIntoACheckpoint() throws IOException {
        Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(ckpt.resolve("model.safetensors"), "x");
        Files.writeString(ckpt.resolve("vocabulary.txt"), "the model's");
        CliRun run = CliRun.of("prepare", "--cache-dir", tmp.resolve("cache").toString(), "--out", ckpt.toString());
        assertTrue(run.failedWithOneLine(), run.toString());
        assertTrue(run.err().contains("holds a checkpoint (model.safetensors)"), run.err());
        org.junit.jupiter.api.Assertions.assertEquals("the model's", Files.readString(ckpt.resolve("vocabulary.txt")));
    }
}
