package org.fusedbert.cli;

import java.util.List;
import java.util.Locale;
import org.fusedbert.api.Backend;
import org.fusedbert.data.Corpus;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.Review;
import org.fusedbert.data.Split;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.EpochOrder;
import org.fusedbert.model.Examples;
import org.fusedbert.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusedbert evaluate}: test accuracy of the end-to-end model from raw review strings. */
@Command(name = "evaluate", description = {
    "Test accuracy of a fine-tuned checkpoint from the raw test reviews: vectorizer, encoder and classifier "
            + "(the seed's end-to-end model)."})
final class EvaluateCommand extends CheckpointCommand {
    @Mixin
    DataOptions data;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "evaluate a seeded sample of N test reviews (default: all)")
    int limit;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "42", description = "seed of the sample (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        OptionChecks.atLeast("--limit", limit, 0);
        Checkpoint ckpt = loadFineTuned("evaluate");
        DataSource source = data.resolve(ckpt.data(), log());
        Corpus corpus = source.load();
        corpus.warnings().forEach(w -> log().accept("warning: " + w));
        List<Review> test = corpus.split(Split.TEST);
        if (test.isEmpty()) {
            throw new IllegalArgumentException("evaluate: data expected test reviews but " + source.description() + " has none");
        }
        int n = limit > 0 ? Math.min(limit, test.size()) : test.size();
        int[] rows = EpochOrder.permutation(seed, 100 + Split.TEST.ordinal(), 0, test.size());
        TextVectorizer vec = ckpt.vectorizer();
        int len = ckpt.config().maxLen();
        int[] ids = new int[n * len];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Review r = test.get(limit > 0 ? rows[i] : i);
            vec.encode(r.text(), ids, i * len);
            labels[i] = r.label();
        }
        try (Backend backend = backendOption.open(notices()); Parameters params = new Parameters(backend, ckpt.config());
             BertModel model = new BertModel(params, 0, ckpt.config().batchSize(), false)) {
            ckpt.loadInto(params);
            long start = System.nanoTime();
            float[] probs = predict(model, Examples.of(ids, labels, len));
            long correct = 0;
            for (int i = 0; i < n; i++) {
                correct += (probs[i] >= 0.5f ? 1 : 0) == labels[i] ? 1 : 0;
            }
            log().accept(String.format(Locale.ROOT, "test accuracy: %.4f (%,d of %,d reviews from %s, %.1f s)",
                    correct / (double) n, correct, n, source.description(), (System.nanoTime() - start) / 1e9));
        }
        return 0;
    }
}
