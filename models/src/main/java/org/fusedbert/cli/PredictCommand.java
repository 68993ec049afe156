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

/**
 * {@code fusedbert predict "a review"}: the sentiment of reviews, from the arguments or one per line of
 * stdin, answered as lines arrive (what is already waiting goes in one batch), so it works both in a
 * pipe and typed; a line without words gets {@code n/a (no words)}, keeping output lines aligned
 * with input lines.
 */
@Command(name = "predict", description = {
    "The probability that a review is positive, and its label. Without a REVIEW argument, reads one review per "
            + "line from standard input and answers each line as it arrives (a line without words: n/a)."})
final class PredictCommand extends CheckpointCommand {
    /** What a line without words gets. */
    static final String NO_WORDS = "n/a (no words)";

    @Parameters(paramLabel = "REVIEW", arity = "0..*", description = "the review (words are joined by spaces)")
    List<String> words;

    @Override
    public Integer call() {
        String argument = words != null && !words.isEmpty() ? String.join(" ", words) : null;
        if (argument != null && TextVectorizer.tokens(argument).isEmpty()) {
            throw new IllegalArgumentException("predict: review expected some words but was empty");
        }
        Checkpoint ckpt = loadFineTuned("predict");
        int batch = argument != null ? 1 : ckpt.config().batchSize();
        try (Backend backend = backendOption.open(notices());
             org.fusedbert.model.Parameters params = new org.fusedbert.model.Parameters(backend, ckpt.config());
             BertModel model = new BertModel(params, 0, batch, false)) {
            ckpt.loadInto(params);
            if (argument != null) {
                answer(model, ckpt, List.of(argument));
                return 0;
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            List<String> pending = new ArrayList<>();
            boolean any = false;
            for (String line; (line = in.readLine()) != null; ) {
                any = true;
                pending.add(line);
                if (pending.size() >= batch || !in.ready()) {  // nothing more waiting: answer what came
                    answer(model, ckpt, pending);
                    pending.clear();
                }
            }
            answer(model, ckpt, pending);
            if (!any) {
                throw new IllegalArgumentException("predict: review expected as an argument or on standard input but "
                        + "there was none");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("predict: reading standard input failed: " + e.getMessage(), e);
        }
        return 0;
    }

    /** Prints one line per review, in order: its probability and label, or {@link #NO_WORDS}. */
    private void answer(BertModel model, Checkpoint ckpt, List<String> reviews) {
        List<Integer> withWords = new ArrayList<>();
        for (int i = 0; i < reviews.size(); i++) {
            if (!TextVectorizer.tokens(reviews.get(i)).isEmpty()) {
                withWords.add(i);
            }
        }
        float[] probs = new float[0];
        if (!withWords.isEmpty()) {
            int len = ckpt.config().maxLen();
            int[] ids = new int[withWords.size() * len];
            for (int k = 0; k < withWords.size(); k++) {
                ckpt.vectorizer().encode(reviews.get(withWords.get(k)), ids, k * len);
            }
            probs = predict(model, Examples.of(ids, null, len));
        }
        for (int i = 0, k = 0; i < reviews.size(); i++) {
            if (k < withWords.size() && withWords.get(k) == i) {
                float p = probs[k++];
                log().accept(String.format(Locale.ROOT, "%.4f %s", p, p >= 0.5f ? "positive" : "negative"));
            } else {
                log().accept(NO_WORDS);
            }
        }
    }
}
