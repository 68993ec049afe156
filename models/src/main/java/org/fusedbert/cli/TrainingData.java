package org.fusedbert.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.data.Corpus;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.EncodedDataset;
import org.fusedbert.data.PreparedData;
import org.fusedbert.data.Split;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.EpochOrder;
import org.fusedbert.model.Examples;

/**
 * The encoded reviews a command trains or evaluates on: a vocabulary, the dataset encoded with
 * it, and the splits as {@link Examples} (optionally a seeded subset of each split).
 */
final class TrainingData implements AutoCloseable {
    private final TextVectorizer vectorizer;
    private final EncodedDataset dataset;
    private final AutoCloseable owner;
    private final int limit;
    private final long seed;

    private TrainingData(TextVectorizer vectorizer, EncodedDataset dataset, AutoCloseable owner, int limit, long seed) {
        this.vectorizer = vectorizer;
        this.dataset = dataset;
        this.owner = owner;
        this.limit = limit;
        this.seed = seed;
    }

    /** Builds (or reuses from the cache) the vocabulary and dataset for {@code source}. */
    static TrainingData prepare(DataSource source, PreparedData.Settings settings, int limit, long seed,
                                Consumer<String> log) {
        PreparedData prepared = PreparedData.openOrPrepare(source, settings, log);
        return new TrainingData(prepared.vectorizer(), prepared.dataset(), prepared, limit, seed);
    }

    /**
     * The reviews of {@code source} encoded with a checkpoint's {@code vectorizer}: cached below
     * the cache directory per (source, vocabulary), encoded on first use.
     */
    static TrainingData withVocabulary(DataSource source, TextVectorizer vectorizer, int limit, long seed,
                                       Consumer<String> log) {
        Path file = source.cacheDirectory().resolve("prepared")
                .resolve(source.key() + "-vocab-" + vectorizer.sha256Hex().substring(0, 16) + "-l"
                        + vectorizer.sequenceLength())
                .resolve(PreparedData.DATASET_FILE);
        if (Files.isRegularFile(file)) {
            try {
                EncodedDataset d = EncodedDataset.open(file, vectorizer);
                log.accept("data: using the reviews encoded with this vocabulary in " + file.getParent());
                return new TrainingData(vectorizer, d, d, limit, seed);
            } catch (IllegalArgumentException stale) {
                log.accept("warning: " + stale.getMessage() + "; encoding again");
            }
        }
        Corpus corpus = source.load();
        corpus.warnings().forEach(w -> log.accept("warning: " + w));
        log.accept("data: encoding " + corpus.source() + " with the checkpoint's vocabulary into " + file.getParent());
        EncodedDataset.write(file, vectorizer, corpus.reviews(), corpus.source());
        EncodedDataset d = EncodedDataset.open(file, vectorizer);
        return new TrainingData(vectorizer, d, d, limit, seed);
    }

    TextVectorizer vectorizer() {
        return vectorizer;
    }

    /** The examples of {@code split}: all rows, or a seeded subset of {@code limit} of them. */
    Examples split(Split split) {
        int n = dataset.size(split);
        Examples all = new Examples() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int length() {
                return dataset.sequenceLength();
            }

            @Override
            public void ids(int[] rows, int[] out) {
                dataset.batch(split, rows, out);
            }

            @Override
            public int label(int row) {
                return dataset.label(split, row);
            }
        };
        if (limit <= 0 || limit >= n) {
            return all;
        }
        // A seeded sample rather than the first rows: archives list one label after the other.
        int[] sample = Arrays.copyOf(EpochOrder.permutation(seed, 100 + split.ordinal(), 0, n), limit);
        Arrays.sort(sample);
        return Examples.subset(all, sample);
    }

    /** The concatenation of the named splits (those with no reviews are skipped). */
    Examples splits(List<Split> splits) {
        Examples all = null;
        for (Split s : splits) {
            if (dataset.size(s) == 0) {
                continue;
            }
            all = all == null ? split(s) : Examples.concat(all, split(s));
        }
        if (all == null) {
            throw new IllegalArgumentException("--pretrain-splits: expected splits with reviews but " + splits
                    + " have none");
        }
        return all;
    }

    /** Names the examples a pretraining runs on, so that a resume on other data is refused. */
    String identity(List<Split> splits) {
        List<String> parts = new ArrayList<>();
        for (Split s : splits) {
            parts.add(s.folder() + "=" + split(s).size());
        }
        return String.format(Locale.ROOT, "vocabulary %s, %s, limit %d, seed %d",
                vectorizer.sha256Hex().substring(0, 16), String.join(" ", parts), limit, seed);
    }

    /**
     * The {@code --limit} an {@link #identity} was made with, or -1 if it does not say (a resumed
     * run takes its run's sampling unless told otherwise).
     */
    static int limitOf(String identity) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(", limit (\\d+), seed ").matcher(identity);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The pretraining splits an {@link #identity} names ({@code train,test}), or null if it names none. */
    static String splitsOf(String identity) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(train|test|unsup)=\\d+").matcher(identity);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names.isEmpty() ? null : String.join(",", names);
    }

    /** Parses {@code train,test,unsup}. */
    static List<Split> parseSplits(String text) {
        List<Split> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim().toUpperCase(Locale.ROOT);
            try {
                out.add(Split.valueOf(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--pretrain-splits: expected a comma-separated list of train, test, "
                        + "unsup but was " + text);
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
