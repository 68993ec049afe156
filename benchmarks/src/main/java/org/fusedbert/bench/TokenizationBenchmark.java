package org.fusedbert.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fusedbert.data.Review;
import org.fusedbert.data.Split;
import org.fusedbert.data.SyntheticReviews;
import org.fusedbert.data.TextVectorizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tokenization throughput in reviews per second on the synthetic corpus: encoding reviews into
 * 256 ids with the seed's 30,000-id vocabulary (one thread), and adapting the vocabulary (the
 * standardize + split + count pass, which runs in parallel) over 2,000 reviews.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TokenizationBenchmark {
    static final int ADAPT_REVIEWS = 2000;

    private List<String> texts;
    private TextVectorizer vectorizer;
    private final int[] ids = new int[TextVectorizer.DEFAULT_SEQUENCE_LENGTH];
    private int next;

    @Setup
    public void setUp() {
        texts = new SyntheticReviews(SyntheticReviews.DEFAULT_SEED).corpus(ADAPT_REVIEWS).split(Split.TRAIN).stream()
                .map(Review::text).toList();
        vectorizer = TextVectorizer.adapt(texts, TextVectorizer.DEFAULT_VOCABULARY_SIZE,
                TextVectorizer.DEFAULT_SEQUENCE_LENGTH);
    }

    /** One review to 256 ids: ops/s is reviews/s on one thread. */
    @Benchmark
    public int encode() {
        String text = texts.get(next);
        next = next + 1 == texts.size() ? 0 : next + 1;
        return vectorizer.encode(text, ids, 0);
    }

    /** The vocabulary over 2,000 reviews: ops/s is reviews/s of the adapt pass. */
    @Benchmark
    @OperationsPerInvocation(ADAPT_REVIEWS)
    public TextVectorizer adapt() {
        return TextVectorizer.adapt(texts, TextVectorizer.DEFAULT_VOCABULARY_SIZE, TextVectorizer.DEFAULT_SEQUENCE_LENGTH);
    }
}
