package org.fusedbert.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fusedbert.data.Review;
import org.fusedbert.data.Split;
import org.fusedbert.data.SyntheticReviews;
import org.fusedbert.data.TextVectorizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Host cost per review of the data pipeline, one thread: generating a synthetic review, and
 * standardizing + splitting + looking up one review into 256 ids (what {@code prepare} pays per
 * review after reading it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DataBenchmark {
    private final SyntheticReviews generator = new SyntheticReviews(SyntheticReviews.DEFAULT_SEED);
    private final int[] ids = new int[TextVectorizer.DEFAULT_SEQUENCE_LENGTH];
    private String[] texts;
    private TextVectorizer vectorizer;
    private int next;

    @Setup
    public void setUp() {
        texts = generator.corpus(1000).split(Split.TRAIN).stream().map(Review::text).toArray(String[]::new);
        vectorizer = TextVectorizer.adapt(List.of(texts), TextVectorizer.DEFAULT_VOCABULARY_SIZE,
                TextVectorizer.DEFAULT_SEQUENCE_LENGTH);
    }

    /** One synthetic review (text, label, rating); the corpus generates them in parallel on top. */
    @Benchmark
    public Review syntheticReview() {
        return generator.review(Split.TRAIN, next++ & 0xFFFFF);
    }

    /** One review to 256 ids. */
    @Benchmark
    public int encodeReview() {
        return vectorizer.encode(texts[next++ % texts.length], ids, 0);
    }
}
