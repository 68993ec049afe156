package org.fusedbert.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fusedbert.api.Backend;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.Examples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fusedbert predict "a review"}: the sentiment of reviews, from the arguments or one per line of stdin. */
@Command(name = "predict", description = {
    "The probability that a review is positive, and its label. Without a REVIEW argument, reads one review per "
            + "line from standard input."})
final class PredictCommand extends CheckpointCommand {
    @Parameters(paramLabel = "REVIEW", arity = "0..*", description = "the review (words are joined by spaces)")
    List<String> words;

    @Override
    public Integer call() {
        List<String> reviews = new ArrayList<>();
        if (words != null && !words.isEmpty()) {
            reviews.add(String.join(" ", words));
        } else {
            try {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) {
                    reviews.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("predict: reading standard input failed: " + e.getMessage(), e);
            }
            if (reviews.isEmpty()) {
                throw new IllegalArgumentException("predict: review expected as an argument or on standard input but "
                        + "there was none");
            }
        }
        for (int i = 0; i < reviews.size(); i++) {
            if (TextVectorizer.tokens(reviews.get(i)).isEmpty()) {
                throw new IllegalArgumentException("predict: review" + (reviews.size() > 1 ? " on line " + (i + 1) : "")
                        + " expected some words but was empty");
            }
        }
        Checkpoint ckpt = loadFineTuned("predict");
        TextVectorizer vec = ckpt.vectorizer();
        int len = ckpt.config().maxLen();
        int[] ids = new int[reviews.size() * len];
        for (int i = 0; i < reviews.size(); i++) {
            vec.encode(reviews.get(i), ids, i * len);
        }
        try (Backend backend = backendOption.open(notices());
             org.fusedbert.model.Parameters params = new org.fusedbert.model.Parameters(backend, ckpt.config());
             BertModel model = new BertModel(params, 0, Math.min(reviews.size(), ckpt.config().batchSize()), false)) {
            ckpt.loadInto(params);
            float[] probs = predict(model, Examples.of(ids, null, len));
            for (float p : probs) {
                log().accept(String.format(Locale.ROOT, "%.4f %s", p, p >= 0.5f ? "positive" : "negative"));
            }
        }
        return 0;
    }
}
