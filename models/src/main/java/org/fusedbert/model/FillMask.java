package org.fusedbert.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fusedbert.data.TextVectorizer;

/** Masked-token prediction: the most probable tokens for every {@code [mask]} in a text. */
public final class FillMask {
    private FillMask() {
    }

    /** A candidate token and its probability. */
    public record Candidate(String token, double probability) {
    }

    /**
     * The {@code k} most probable tokens (softmax over the vocabulary) for each {@code [mask]} of
     * {@code text}, in the order the masks appear.
     *
     * @throws IllegalArgumentException when the text has no {@code [mask]} within the sequence length
     */
    public static List<List<Candidate>> predict(BertModel model, TextVectorizer vectorizer, String text, int k) {
        int len = model.config().maxLen();
        int[] ids = new int[model.batch() * len];
        int masks = encodeWithMasks(vectorizer, text, ids);
        int[] flags = new int[ids.length];
        Arrays.fill(flags, -1);
        for (int i = 0; i < len; i++) {
            if (ids[i] == vectorizer.maskId()) {
                flags[i] = 0;
            }
        }
        if (masks > model.mlmHead().capacity()) {
            throw new IllegalArgumentException("fill-mask: text expected at most " + model.mlmHead().capacity()
                    + " [mask] tokens but had " + masks);
        }
        model.batchIds().copyFrom(ids);
        // A device projects its whole capacity; only the first rows (the masks, in order) are ours.
        int n = Math.min(model.maskedLogits(flags), masks);
        float[] logits = model.mlmHead().logits().narrow(0, n).toFloatArray();
        int v = model.config().vocabSize();
        List<List<Candidate>> result = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            result.add(topK(logits, r * v, v, k, vectorizer));
        }
        return result;
    }

    /**
     * Encodes {@code text} into the first row of {@code ids} and counts its {@code [mask]} tokens.
     *
     * @throws IllegalArgumentException when there is none within the sequence length
     */
    public static int encodeWithMasks(TextVectorizer vectorizer, String text, int[] ids) {
        int len = vectorizer.sequenceLength();
        int tokens = vectorizer.encode(text, ids, 0);
        int masks = 0;
        for (int i = 0; i < len; i++) {
            masks += ids[i] == vectorizer.maskId() ? 1 : 0;
        }
        if (masks == 0) {
            String why = tokens > len && TextVectorizer.tokens(text).contains(TextVectorizer.MASK_TOKEN)
                    ? "a [mask] within the first " + len + " tokens" : "at least one [mask]";
            throw new IllegalArgumentException("fill-mask: text expected " + why + " but had none: \"" + abbreviate(text) + "\"");
        }
        return masks;
    }

    private static List<Candidate> topK(float[] logits, int from, int v, int k, TextVectorizer vectorizer) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) {
            max = Math.max(max, logits[from + j]);
        }
        double sum = 0;
        for (int j = 0; j < v; j++) {
            sum += Math.exp(logits[from + j] - max);
        }
        Integer[] order = new Integer[v];
        for (int j = 0; j < v; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[from + b], logits[from + a]));
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, v); i++) {
            int j = order[i];
            out.add(new Candidate(vectorizer.token(j), Math.exp(logits[from + j] - max) / sum));
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
