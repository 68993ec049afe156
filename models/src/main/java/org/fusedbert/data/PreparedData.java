package org.fusedbert.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A vocabulary and the reviews encoded with it, in one folder: {@value #VOCABULARY_FILE} and
 * {@value #DATASET_FILE}. {@link #prepare} builds them ({@code ./fusedbert prepare}); {@link
 * #open} maps them; {@link #openOrPrepare} is what a training run calls.
 */
public final class PreparedData implements AutoCloseable {
    /** The vocabulary file's name in a prepared folder. */
    public static final String VOCABULARY_FILE = "vocabulary.txt";
    /** The encoded dataset's name in a prepared folder. */
    public static final String DATASET_FILE = "dataset.fbdata";

    /** Which texts the vocabulary is counted over. */
    public enum VocabularyTexts {
        /** The train split, and train/unsup when loaded: test text stays unseen. */
        TRAIN,
        /** Every split, test included, as the seed does (it adapts on train + test). */
        ALL
    }

    /**
     * How to prepare.
     *
     * @param vocabularySize  ids in all, specials included (the seed: 30,000)
     * @param sequenceLength  ids per review (the seed: 256)
     * @param vocabularyTexts which texts the vocabulary is counted over
     */
    public record Settings(int vocabularySize, int sequenceLength, VocabularyTexts vocabularyTexts) {
        /** The seed's sizes, vocabulary from the train texts. */
        public static Settings defaults() {
            return new Settings(TextVectorizer.DEFAULT_VOCABULARY_SIZE, TextVectorizer.DEFAULT_SEQUENCE_LENGTH,
                    VocabularyTexts.TRAIN);
        }

        /** A folder name that differs when the settings do. */
        String key() {
            return "v" + vocabularySize + "-l" + sequenceLength + (vocabularyTexts == VocabularyTexts.ALL ? "-all" : "");
        }
    }

    private final Path directory;
    private final TextVectorizer vectorizer;
    private final EncodedDataset dataset;

    private PreparedData(Path directory, TextVectorizer vectorizer, EncodedDataset dataset) {
        this.directory = directory;
        this.vectorizer = vectorizer;
        this.dataset = dataset;
    }

    /** Where {@link #openOrPrepare} keeps the data prepared from {@code source} with {@code settings}. */
    public static Path directoryFor(DataSource source, Settings settings) {
        return source.cacheDirectory().resolve("prepared").resolve(source.key() + "-" + settings.key());
    }

    /**
     * Builds the vocabulary from {@code corpus} and writes it and the encoded reviews into
     * {@code directory}, replacing what was there.
     */
    public static PreparedData prepare(Corpus corpus, Settings settings, Path directory) {
        List<String> texts = new ArrayList<>();
        for (Review r : corpus.reviews()) {
            if (settings.vocabularyTexts() == VocabularyTexts.ALL || r.split() != Split.TEST) {
                texts.add(r.text());
            }
        }
        TextVectorizer vectorizer = TextVectorizer.adapt(texts, settings.vocabularySize(), settings.sequenceLength());
        vectorizer.save(directory.resolve(VOCABULARY_FILE));
        EncodedDataset.write(directory.resolve(DATASET_FILE), vectorizer, corpus.reviews(), corpus.source());
        return new PreparedData(directory, vectorizer, EncodedDataset.open(directory.resolve(DATASET_FILE), vectorizer));
    }

    /**
     * Opens a prepared folder: loads the vocabulary and maps the dataset, checking that the
     * dataset was encoded with that vocabulary.
     *
     * @param sequenceLength the length the dataset must have been encoded with
     * @throws IllegalArgumentException one line naming the file that is missing or does not match
     */
    public static PreparedData open(Path directory, int sequenceLength) {
        TextVectorizer vectorizer = TextVectorizer.load(directory.resolve(VOCABULARY_FILE), sequenceLength);
        return new PreparedData(directory, vectorizer, EncodedDataset.open(directory.resolve(DATASET_FILE), vectorizer));
    }

    /**
     * The prepared data for {@code source} from the cache, or prepared now (and cached) when
     * missing, stale or unreadable. Says which in one line through {@code log}, and passes the
     * load's warnings on.
     */
    public static PreparedData openOrPrepare(DataSource source, Settings settings, Consumer<String> log) {
        Path dir = directoryFor(source, settings);
        if (Files.isRegularFile(dir.resolve(DATASET_FILE)) && Files.isRegularFile(dir.resolve(VOCABULARY_FILE))) {
            try {
                PreparedData cached = open(dir, settings.sequenceLength());
                log.accept("data: using the prepared data in " + dir);
                return cached;
            } catch (IllegalArgumentException stale) {
                // The load's advice to prepare again is what happens next: say that instead.
                String why = stale.getMessage().replace("; run ./fusedbert prepare again)", ")")
                        .replace(" (run ./fusedbert prepare again)", "");
                log.accept("warning: " + why + "; preparing it again");
            }
        }
        Corpus corpus = source.load();
        corpus.warnings().forEach(w -> log.accept("warning: " + w));
        log.accept("data: preparing " + corpus.source() + " into " + dir);
        return prepare(corpus, settings, dir);
    }

    /** The folder holding the files. */
    public Path directory() {
        return directory;
    }

    /** The vocabulary and encoder. */
    public TextVectorizer vectorizer() {
        return vectorizer;
    }

    /** The encoded reviews, memory-mapped. */
    public EncodedDataset dataset() {
        return dataset;
    }

    /**
     * What {@code ./fusedbert prepare} prints: reviews per split and label, the vocabulary size,
     * the share of reviews longer than the sequence length.
     */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        lines.add("source: " + dataset.source());
        for (Split split : Split.values()) {
            int n = dataset.size(split);
            if (n == 0 && split == Split.UNSUP) {
                continue;
            }
            int[] labels = dataset.labels(split);
            int pos = 0, neg = 0;
            for (int l : labels) {
                pos += l == Review.POSITIVE ? 1 : 0;
                neg += l == Review.NEGATIVE ? 1 : 0;
            }
            lines.add(String.format(Locale.ROOT, "%-5s %,7d reviews  (pos %,d, neg %,d)  longer than %d tokens: %.1f%%",
                    split.folder(), n, pos, neg, dataset.sequenceLength(), 100 * dataset.shareTruncated(split)));
        }
        lines.add(String.format(Locale.ROOT, "vocabulary: %,d tokens (ids 0 padding, 1 [UNK], %d [mask]) -> %s",
                vectorizer.vocabularySize(), vectorizer.maskId(), directory.resolve(VOCABULARY_FILE)));
        lines.add(String.format(Locale.ROOT, "dataset: %,d x %d ids -> %s", dataset.size(), dataset.sequenceLength(),
                dataset.file()));
        return lines;
    }

    /** Unmaps the dataset. */
    @Override
    public void close() {
        dataset.close();
    }
}
