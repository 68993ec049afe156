package org.fusedbert.data;

import static org.fusedbert.data.AclImdbTest.assertOneLineNaming;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncodedDatasetTest {
    @TempDir
    Path tmp;

    /** Seven reviews, splits interleaved, sequence length 7 (odd sizes on purpose). */
    private static List<Review> reviews() {
        SyntheticReviews g = new SyntheticReviews(3);
        List<Review> out = new ArrayList<>();
        out.add(g.review(Split.TEST, 0));
        out.add(g.review(Split.TRAIN, 0));
        out.add(new Review(Split.UNSUP, Review.UNLABELLED, 12, 0, "u/12_0.txt", "no label here at all"));
        out.add(g.review(Split.TRAIN, 1));
        out.add(g.review(Split.TEST, 1));
        out.add(g.review(Split.TRAIN, 2));
        out.add(new Review(Split.TRAIN, Review.NEGATIVE, 99, 2, "t/99_2.txt", "short"));
        return out;
    }

    private static TextVectorizer vectorizer(List<Review> reviews, int length) {
        return TextVectorizer.adapt(reviews.stream().map(Review::text).toList(), 60, length);
    }

    @Test
    void writesAndMapsIdsLabelsAndCountsGroupedBySplit() {
        List<Review> reviews = reviews();
        TextVectorizer v = vectorizer(reviews, 7);
        Path file = tmp.resolve("d/dataset.fbdata");
        EncodedDataset.write(file, v, reviews, "test source é");
        try (EncodedDataset d = EncodedDataset.open(file, v)) {
            assertEquals(7, d.sequenceLength());
            assertEquals(v.vocabularySize(), d.vocabularySize());
            assertEquals(v.sha256Hex(), d.vocabularySha256Hex());
            assertEquals("test source é", d.source());
            assertEquals(4, d.size(Split.TRAIN));
            assertEquals(2, d.size(Split.TEST));
            assertEquals(1, d.size(Split.UNSUP));
            assertEquals(7, d.size());
            List<Review> train = reviews.stream().filter(r -> r.split() == Split.TRAIN).toList();
            int[] all = d.ids(Split.TRAIN).toArray(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertEquals(4 * 7, all.length);
            int[] batch = new int[3 * 7 + 1];
            d.batch(Split.TRAIN, new int[] {3, 0, 3}, batch);
            for (int r = 0; r < train.size(); r++) {
                int[] expected = v.encode(train.get(r).text());
                int[] row = new int[7];
                System.arraycopy(all, r * 7, row, 0, 7);
                assertArrayEquals(expected, row, "row " + r);
                assertEquals(train.get(r).label(), d.label(Split.TRAIN, r));
                assertEquals(TextVectorizer.tokens(train.get(r).text()).size(), d.tokenCount(Split.TRAIN, r));
                assertEquals(train.get(r).id(), d.reviewId(Split.TRAIN, r));
                assertEquals(train.get(r).rating(), d.rating(Split.TRAIN, r));
            }
            int[] row3 = v.encode(train.get(3).text()), row0 = v.encode(train.get(0).text());
            for (int i = 0; i < 7; i++) {
                assertEquals(row3[i], batch[i]);
                assertEquals(row0[i], batch[7 + i]);
                assertEquals(row3[i], batch[14 + i]);
            }
            assertArrayEquals(new int[] {1, 0}, d.labels(Split.TEST));
            assertArrayEquals(new int[] {-1}, d.labels(Split.UNSUP));
            assertEquals(0.75, d.shareTruncated(Split.TRAIN)); // all but "short" have more than 7 tokens
            var e = assertThrows(IllegalArgumentException.class, () -> d.label(Split.TEST, 2));
            assertTrue(e.getMessage().contains("expected a row in [0, 2) but was 2"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> d.batch(Split.TRAIN, new int[] {0, 1}, new int[13]));
        }
        assertEquals(EncodedDataset.HEADER_BYTES + 4L * 7 * (7 + 4), file.toFile().length());
    }

    @Test
    void aCacheBuiltWithAnotherVocabularyIsOneLineNamingTheFile() {
        List<Review> reviews = reviews();
        Path file = tmp.resolve("dataset.fbdata");
        EncodedDataset.write(file, vectorizer(reviews, 7), reviews, "x");
        TextVectorizer other = vectorizer(reviews.subList(0, 3), 7);
        var e = assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(file, other));
        assertOneLineNaming(e.getMessage(), file.toString());
        assertTrue(e.getMessage().contains("another vocabulary"), e.getMessage());
        var length = assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(file, vectorizer(reviews, 8)));
        assertTrue(length.getMessage().contains("length 7"), length.getMessage());
    }

    @Test
    void missingTruncatedOrForeignFilesAreOneLineNamingThem() throws IOException {
        Path missing = tmp.resolve("none.fbdata");
        assertOneLineNaming(assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(missing)).getMessage(),
                missing.toString());

        Path foreign = Files.write(tmp.resolve("foreign.fbdata"), new byte[300]);
        var e = assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(foreign));
        assertOneLineNaming(e.getMessage(), foreign.toString());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());

        List<Review> reviews = reviews();
        Path good = tmp.resolve("good.fbdata");
        EncodedDataset.write(good, vectorizer(reviews, 5), reviews, "x");
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = Files.write(tmp.resolve("truncated.fbdata"), java.util.Arrays.copyOf(bytes, bytes.length - 4));
        var t = assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(truncated));
        assertOneLineNaming(t.getMessage(), truncated.toString());
        assertTrue(t.getMessage().contains("truncated"), t.getMessage());

        bytes[8] = 9; // format version
        Path future = Files.write(tmp.resolve("future.fbdata"), bytes);
        var f = assertThrows(IllegalArgumentException.class, () -> EncodedDataset.open(future));
        assertTrue(f.getMessage().contains("expected format version 1 but was version 9"), f.getMessage());
    }
}
