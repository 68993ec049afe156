package org.fusedbert.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AclImdbTest {
    @TempDir
    Path tmp;

    @Test
    void archiveAndFolderGiveTheSameReviewsInCanonicalOrder() throws IOException {
        ImdbFixture f = ImdbFixture.standard();
        Corpus fromArchive = AclImdb.load(f.writeArchive(tmp.resolve("a.tar.gz")), false);
        Corpus fromFolder = AclImdb.load(f.writeFolder(tmp.resolve("x")).resolve("aclImdb"), false);
        Corpus fromParent = AclImdb.load(tmp.resolve("x"), false);

        assertEquals(8, fromArchive.reviews().size());
        assertEquals(fromArchive.reviews(), fromFolder.reviews());
        assertEquals(fromArchive.reviews(), fromParent.reviews());
        assertEquals(List.of(), fromArchive.warnings());
        // train before test; neg (0) before pos (1); then by id
        Review first = fromArchive.reviews().get(0);
        assertEquals(new Review(Split.TRAIN, Review.NEGATIVE, 0, 1, "aclImdb/train/neg/0_1.txt", "Bad. Very bad."), first);
        Review third = fromArchive.reviews().get(2);
        assertEquals(Split.TRAIN, third.split());
        assertEquals(Review.POSITIVE, third.label());
        assertEquals(3, third.id());
        assertEquals(7, third.rating());
        Review pos10 = fromArchive.reviews().get(3);
        assertEquals("A fine test film.<br /><br />I liked it a lot!", pos10.text());
        assertEquals(2, fromArchive.count(Split.TEST, Review.POSITIVE));
        assertEquals(2, fromArchive.count(Split.TEST, Review.NEGATIVE));
        assertTrue(fromArchive.source().startsWith("imdb "));
    }

    @Test
    void unsupIsReadOnlyWhenAskedAndItsAbsenceIsAWarning() throws IOException {
        ImdbFixture f = ImdbFixture.standard().text("aclImdb/train/unsup/11_0.txt", "No label on this one.");
        Path archive = f.writeArchive(tmp.resolve("u.tar.gz"));
        assertEquals(0, AclImdb.load(archive, false).count(Split.UNSUP));
        Corpus withUnsup = AclImdb.load(archive, true);
        assertEquals(1, withUnsup.count(Split.UNSUP, Review.UNLABELLED));
        assertEquals(Split.UNSUP, withUnsup.reviews().get(withUnsup.reviews().size() - 1).split());

        Corpus lacking = AclImdb.load(ImdbFixture.standard().writeArchive(tmp.resolve("l.tar.gz")), true);
        assertEquals(1, lacking.warnings().size());
        assertTrue(lacking.warnings().get(0).contains("no train/unsup reviews"), lacking.warnings().get(0));
    }

    @Test
    void missingPathIsOneLineNamingIt() {
        Path missing = tmp.resolve("nowhere.tar.gz");
        var e = assertThrows(IllegalArgumentException.class, () -> AclImdb.load(missing, false));
        assertOneLineNaming(e.getMessage(), missing.toString());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void fileThatIsNotGzipIsOneLineNamingIt() throws IOException {
        Path notGzip = Files.writeString(tmp.resolve("reviews.tar.gz"), "PK this is a zip, not gzip");
        var e = assertThrows(IllegalArgumentException.class, () -> AclImdb.load(notGzip, false));
        assertOneLineNaming(e.getMessage(), notGzip.toString());
        assertTrue(e.getMessage().contains("not gzip (first bytes 50 4b)"), e.getMessage());
    }

    @Test
    void gzipThatIsNotTarIsOneLineNamingIt() throws IOException {
        Path gzNotTar = tmp.resolve("text.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzNotTar))) {
            out.write("just some compressed words, no tar headers here at all".repeat(20).getBytes(StandardCharsets.UTF_8));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> AclImdb.load(gzNotTar, false));
        assertOneLineNaming(e.getMessage(), gzNotTar.toString());
        assertTrue(e.getMessage().contains("a tar archive inside the gzip"), e.getMessage());
    }

    @Test
    void aTruncatedArchiveSaysItEndsEarly() throws IOException {
        Path whole = ImdbFixture.standard().writeArchive(tmp.resolve("whole.tar.gz"));
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(tmp.resolve("cut.tar.gz"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        var e = assertThrows(java.io.UncheckedIOException.class, () -> AclImdb.load(cut, false));
        assertOneLineNaming(e.getMessage(), cut.toString());
        assertTrue(e.getMessage().contains("it ends early (a truncated file"), e.getMessage());
    }

    @Test
    void treeWithoutPosNegFoldersIsOneLineNamingIt() throws IOException {
        Path archive = new ImdbFixture().text("data/reviews/one.txt", "Not the aclImdb layout.")
                .writeArchive(tmp.resolve("other.tar.gz"));
        var e = assertThrows(IllegalArgumentException.class, () -> AclImdb.load(archive, false));
        assertOneLineNaming(e.getMessage(), archive.toString());
        assertTrue(e.getMessage().contains("a tree without them"), e.getMessage());

        Path folder = ImdbFixture.standard().remove("aclImdb/test/neg").writeFolder(tmp.resolve("partial"));
        var partial = assertThrows(IllegalArgumentException.class, () -> AclImdb.load(folder, false));
        assertOneLineNaming(partial.getMessage(), folder.toString());
        assertTrue(partial.getMessage().endsWith("without reviews in test/neg"), partial.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertOneLineNaming(assertThrows(IllegalArgumentException.class, () -> AclImdb.load(empty, false)).getMessage(),
                empty.toString());
    }

    @Test
    void emptyReviewsAreSkippedWithOneWarning() throws IOException {
        Path archive = ImdbFixture.standard().text("aclImdb/train/pos/20_8.txt", "")
                .text("aclImdb/test/neg/21_2.txt", " \n\t ").writeArchive(tmp.resolve("e.tar.gz"));
        String w = onlyWarning(AclImdb.load(archive, false), 8);
        assertOneLineNaming(w, archive.toString());
        assertTrue(w.contains("2 review files empty (skipped), first aclImdb/train/pos/20_8.txt"), w);
    }

    @Test
    void bytesThatAreNotUtf8AreReplacedAndCountedInOneWarning() throws IOException {
        byte[] latin1 = "Caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1);
        byte[] truncated = {'o', 'k', ' ', (byte) 0xE2, (byte) 0x82};
        Path archive = ImdbFixture.standard().bytes("aclImdb/train/pos/30_9.txt", latin1)
                .bytes("aclImdb/test/pos/31_9.txt", truncated)
                .text("aclImdb/test/pos/32_9.txt", "Fine UTF-8: café, naïve, Zoë, and a real \uFFFD")
                .writeArchive(tmp.resolve("b.tar.gz"));
        Corpus c = AclImdb.load(archive, false);
        String w = onlyWarning(c, 11);
        assertTrue(w.contains("2 review files had bytes that are not UTF-8"), w);
        assertTrue(w.contains("first aclImdb/train/pos/30_9.txt"), w);
        assertEquals("Caf\uFFFD au lait", text(c, "aclImdb/train/pos/30_9.txt"));
        assertEquals("ok \uFFFD", text(c, "aclImdb/test/pos/31_9.txt"));
        assertEquals("Fine UTF-8: café, naïve, Zoë, and a real \uFFFD", text(c, "aclImdb/test/pos/32_9.txt"));
    }

    @Test
    void misnamedFilesInReviewFoldersAreSkippedWithOneWarning() throws IOException {
        Path folder = ImdbFixture.standard().text("aclImdb/train/pos/notes.txt", "not a review")
                .text("aclImdb/test/neg/9_99.txt", "rating out of range").writeFolder(tmp.resolve("m"));
        String w = onlyWarning(AclImdb.load(folder, false), 8);
        assertTrue(w.contains("2 review files not named <id>_<rating>.txt"), w);
    }

    /** The corpus has {@code reviews} reviews and exactly one warning, which is returned. */
    private static String onlyWarning(Corpus c, int reviews) {
        assertEquals(reviews, c.reviews().size());
        assertEquals(1, c.warnings().size(), c.warnings().toString());
        return c.warnings().get(0);
    }

    private static String text(Corpus c, String name) {
        return c.reviews().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow().text();
    }

    static void assertOneLineNaming(String message, String file) {
        assertTrue(message.contains(file), () -> "expected the message to name " + file + ": " + message);
        assertTrue(!message.contains("\n"), () -> "expected one line: " + message);
    }
}
