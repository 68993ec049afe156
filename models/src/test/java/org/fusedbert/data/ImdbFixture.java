package org.fusedbert.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * A tiny aclImdb tree in the official layout, with review text written for the tests (never
 * real reviews), written as a folder or as a .tar.gz. Public for the CLI's tests.
 */
public final class ImdbFixture {
    final Map<String, byte[]> files = new LinkedHashMap<>();

    /** Two reviews in each labelled folder, plus the non-review files the official archive has. */
    public static ImdbFixture standard() {
        ImdbFixture f = new ImdbFixture();
        f.text("aclImdb/README", "fixture readme");
        f.text("aclImdb/imdb.vocab", "the\nand\n");
        f.text("aclImdb/train/urls_pos.txt", "http://example.invalid/1\n");
        f.text("aclImdb/train/labeledBow.feat", "0 0:1\n");
        f.text("aclImdb/train/pos/10_9.txt", "A fine test film.<br /><br />I liked it a lot!");
        f.text("aclImdb/train/pos/3_7.txt", "Good enough, I'd say.");
        f.text("aclImdb/train/neg/4_2.txt", "A poor test film; I did not like it.");
        f.text("aclImdb/train/neg/0_1.txt", "Bad. Very bad.");
        f.text("aclImdb/test/pos/7_10.txt", "Wonderful fixture text.");
        f.text("aclImdb/test/pos/2_8.txt", "Pretty good.");
        f.text("aclImdb/test/neg/5_4.txt", "Rather dull fixture text.");
        f.text("aclImdb/test/neg/1_3.txt", "Dull.");
        return f;
    }

    ImdbFixture text(String name, String text) {
        files.put(name, text.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    ImdbFixture bytes(String name, byte[] bytes) {
        files.put(name, bytes);
        return this;
    }

    ImdbFixture remove(String prefix) {
        files.keySet().removeIf(k -> k.startsWith(prefix));
        return this;
    }

    /** Writes the files below {@code root} and returns {@code root}. */
    public Path writeFolder(Path root) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        return root;
    }

    /** Writes the files as a gzip-compressed tar (directories as entries too, as tar does). */
    public Path writeArchive(Path archive) throws IOException {
        try (OutputStream out = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            tar.putArchiveEntry(new TarArchiveEntry("aclImdb/"));
            tar.closeArchiveEntry();
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        return archive;
    }
}
