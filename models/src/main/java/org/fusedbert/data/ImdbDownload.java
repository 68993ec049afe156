package org.fusedbert.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Downloads a file over HTTP(S) into place, checking its SHA-256 on the way: the bytes go to
 * {@code <target>.part} and are moved to {@code target} only when the hash matches, so the cache
 * never holds a truncated or tampered archive.
 */
public final class ImdbDownload {
    /** Where the official archive is published. */
    public static final URI OFFICIAL_URI = URI.create("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz");
    /** SHA-256 of the official {@code aclImdb_v1.tar.gz} (84,125,825 bytes), as published by several independent mirrors and loaders. */
    public static final String OFFICIAL_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe";

    private ImdbDownload() {
    }

    /**
     * Fetches {@code uri} into {@code target}.
     *
     * @param expectedSha256 lower- or upper-case hex
     * @param progress       where the progress bar goes, or null for none
     * @throws IllegalArgumentException one line naming the URI on an HTTP error status or a hash mismatch
     * @throws UncheckedIOException     naming the URI when the connection or the disk fails
     */
    public static void fetch(URI uri, Path target, String expectedSha256, PrintStream progress) {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(uri).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String actual;
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw DataErrors.fail("download " + uri, "HTTP status 200", Integer.toString(response.statusCode()));
                }
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                actual = copyHashing(body, part, length, target.getFileName().toString(), progress);
            }
            if (!actual.equalsIgnoreCase(expectedSha256)) {
                Files.deleteIfExists(part);
                throw DataErrors.fail("download " + uri, "sha256 " + expectedSha256.toLowerCase(Locale.ROOT),
                        actual + " (the download was deleted)");
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(part);
            throw new UncheckedIOException("download " + uri + ": failed: " + DataErrors.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deleteQuietly(part);
            throw new IllegalStateException("download " + uri + ": interrupted", e);
        }
    }

    private static String copyHashing(InputStream in, Path part, long length, String task, PrintStream progress)
            throws IOException {
        MessageDigest sha256 = Sha256.newDigest();
        ProgressBar bar = progress == null ? null : new ProgressBarBuilder().setTaskName(task)
                .setInitialMax(length).setUnit(" MiB", 1 << 20).setStyle(ProgressBarStyle.ASCII).showSpeed()
                .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(progress, 100)).build();
        try (OutputStream out = Files.newOutputStream(part)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                sha256.update(buf, 0, n);
                if (bar != null) {
                    bar.stepBy(n);
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        return Sha256.hex(sha256.digest());
    }

    private static void deleteQuietly(Path part) {
        try {
            Files.deleteIfExists(part);
        } catch (IOException ignored) {
            // the original failure is what the user needs to see
        }
    }
}
