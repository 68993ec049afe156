package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.EncodedDataset;
import org.fusedbert.data.PreparedData;
import org.fusedbert.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareCommandTest {
    @TempDir
    Path tmp;

    private String out = "";
    private String err = "";

    private int run(String... args) {
        PrintStream stdout = System.out, stderr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            return Main.run(args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
            out = o.toString(StandardCharsets.UTF_8);
            err = e.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void preparesTheSyntheticCorpusWhenNoDataIsFound() {
        Path cache = tmp.resolve("cache");
        int code = run("prepare", "--cache-dir", cache.toString(), "--synthetic-reviews", "300",
                "--vocabulary-size", "500", "--sequence-length", "64");
        assertEquals(0, code, err);
        assertTrue(out.startsWith("data: no IMDB data"), out);
        assertTrue(out.contains("synthetic (seed 42, 300 train + 300 test reviews)"), out);
        assertTrue(out.contains("train     300 reviews  (pos 150, neg 150)  longer than 64 tokens: "), out);
        assertTrue(out.contains("test      300 reviews  (pos 150, neg 150)"), out);
        assertTrue(out.contains("time: "), out);
        Path dir = cache.resolve("prepared/synthetic-s42-n300-v500-l64");
        try (PreparedData p = PreparedData.open(dir, 64)) {
            assertTrue(out.contains("vocabulary: " + p.vectorizer().vocabularySize() + " tokens"), out);
            assertEquals(300, p.dataset().size(Split.TEST));
            assertTrue(p.dataset().source().startsWith("synthetic"));
        }
    }

    @Test
    void badDataIsOneLineOnStderrAndExitCode1() throws IOException {
        Path notGzip = Files.writeString(tmp.resolve("notes.tar.gz"), "plain text");
        assertEquals(1, run("prepare", "--data", notGzip.toString(), "--cache-dir", tmp.toString()));
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("fusedbert: " + notGzip + ": expected a gzip-compressed tar archive"), err);

        assertEquals(1, run("prepare", "--data", tmp.resolve("nothing").toString(), "--cache-dir", tmp.toString()));
        assertTrue(err.contains("--data " + tmp.resolve("nothing") + ": expected an aclImdb"), err);
    }

    @Test
    void openOrPrepareReusesTheCacheAndRebuildsWhenTheVocabularyChanged() throws IOException {
        Path cache = tmp.resolve("c");
        assertEquals(0, run("prepare", "--cache-dir", cache.toString(), "--synthetic-reviews", "40",
                "--vocabulary-size", "300", "--sequence-length", "32"));
        var request = new DataSource.Request(null, cache, false, false, 42, 40, null, null, null);
        var source = DataSource.resolve(request, Map.of(), line -> { });
        var settings = new PreparedData.Settings(300, 32, PreparedData.VocabularyTexts.TRAIN);
        List<String> log = new ArrayList<>();
        try (PreparedData p = PreparedData.openOrPrepare(source, settings, log::add)) {
            assertTrue(log.get(0).startsWith("data: using the prepared data in "), log.toString());
            assertEquals(40, p.dataset().size(Split.TRAIN));
        }
        // Another vocabulary beside the old dataset: the dataset is stale, so it is prepared again.
        Path dir = PreparedData.directoryFor(source, settings);
        Files.writeString(dir.resolve(PreparedData.VOCABULARY_FILE), "\n[UNK]\nsome\nother\n[mask]\n");
        log.clear();
        try (PreparedData p = PreparedData.openOrPrepare(source, settings, log::add)) {
            assertTrue(log.get(0).contains(PreparedData.DATASET_FILE) && log.get(0).contains("another vocabulary"), log.toString());
            assertTrue(log.get(0).endsWith("; preparing it again") && !log.get(0).contains("run ./fusedbert prepare"),
                    "the warning does not advise what it does itself: " + log.get(0));
            assertTrue(log.get(1).startsWith("data: preparing synthetic"), log.toString());
            assertEquals(40, p.dataset().size(Split.TEST));
            assertTrue(p.vectorizer().vocabularySize() > 5);
        }
    }

    @Test
    void encodedDatasetIsTheOneThePrepareCommandWrote() {
        Path outDir = tmp.resolve("explicit");
        assertEquals(0, run("prepare", "--cache-dir", tmp.toString(), "--synthetic-reviews", "20",
                "--vocabulary-size", "200", "--sequence-length", "16", "--vocabulary-from", "all", "--out", outDir.toString()));
        try (EncodedDataset d = EncodedDataset.open(outDir.resolve(PreparedData.DATASET_FILE))) {
            assertEquals(16, d.sequenceLength());
            assertEquals(40, d.size());
        }
        assertEquals(2, run("prepare", "--cache-dir", tmp.toString(), "--vocabulary-from", "everything"));
        assertTrue(err.contains("--vocabulary-from: expected train or all but was everything"), err);
    }
}
