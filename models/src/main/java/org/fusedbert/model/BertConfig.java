package org.fusedbert.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The BERT model's shape and training hyper-parameters. The defaults are the seed's (the Keras
 * example "End-to-end Masked Language Modeling with BERT"), except the key-padding mask, which
 * is on unless {@code attendPadding} asks for the seed's behaviour of letting attention see padding.
 *
 * @param vocabSize        token ids in [0, vocabSize): 0 padding, 1 [UNK], vocabSize-1 [mask]
 * @param maxLen           sequence length every text is encoded to
 * @param hidden           embedding and encoder width
 * @param heads            attention heads; {@code hidden} divides by it (key dim = hidden / heads)
 * @param ffDim            width of the feed-forward layer inside each encoder block
 * @param layers           encoder blocks
 * @param dropout          dropout rate after attention and after the feed-forward layer
 * @param layerNormEps     added to the variance in every layernorm
 * @param batchSize        examples per training step
 * @param learningRate     Adam's learning rate, for every phase
 * @param classifierHidden width of the classifier's ReLU layer (64 in the seed)
 * @param attendPadding    true: attention sees padded keys, as in the seed; false: a key-padding mask
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BertConfig(int vocabSize, int maxLen, int hidden, int heads, int ffDim, int layers,
                         float dropout, float layerNormEps, int batchSize, float learningRate,
                         int classifierHidden, boolean attendPadding) {

    /** The seed's configuration, with the key-padding mask on. */
    public static final BertConfig SEED = new BertConfig(30_000, 256, 128, 8, 128, 1, 0.1f, 1e-6f, 32, 1e-3f, 64, false);

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public BertConfig {
        positive("vocabSize", vocabSize);
        positive("maxLen", maxLen);
        positive("hidden", hidden);
        positive("heads", heads);
        positive("ffDim", ffDim);
        positive("layers", layers);
        positive("batchSize", batchSize);
        positive("classifierHidden", classifierHidden);
        if (vocabSize < 4) {
            throw fail("vocabSize", "at least 4 (padding, [UNK], one word, [mask])", vocabSize);
        }
        if (hidden % heads != 0) {
            throw fail("heads", "a divisor of hidden " + hidden, heads);
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw fail("dropout", "a value in [0, 1)", dropout);
        }
        if (!(layerNormEps > 0f) || !Float.isFinite(layerNormEps)) {
            throw fail("layerNormEps", "> 0", layerNormEps);
        }
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw fail("learningRate", "> 0", learningRate);
        }
        // The largest activations (a step's [positions, 3H or FF] and the MLM logits over the masked
        // rows' room) are int-indexed tensors: a batch too large for them fails here, not mid-setup.
        long positions = (long) batchSize * maxLen;
        long widest = positions * Math.max(3L * hidden, ffDim);
        long logits = positions > Integer.MAX_VALUE ? Long.MAX_VALUE
                : (long) MlmHead.capacity((int) positions, 0.15f) * vocabSize;
        if (Math.max(widest, logits) > Integer.MAX_VALUE) {
            throw fail("batchSize", "small enough that a step's activations (" + positions + " positions x "
                    + "3 x hidden, and the masked rows' logits x vocabulary) stay under 2^31 elements each", batchSize);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw fail(name, "> 0", value);
        }
    }

    private static IllegalArgumentException fail(String arg, Object expected, Object actual) {
        return new IllegalArgumentException("BertConfig: " + arg + " expected " + expected + " but was " + actual);
    }

    /** Width of one attention head. */
    public int headDim() {
        return hidden / heads;
    }

    /** The {@code [mask]} token's id: the last id of the vocabulary. */
    public int maskId() {
        return vocabSize - 1;
    }

    /** A builder starting from this configuration's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some fields of a configuration; {@link #build} validates the result. */
    public static final class Builder {
        private int vocabSize;
        private int maxLen;
        private int hidden;
        private int heads;
        private int ffDim;
        private int layers;
        private float dropout;
        private float layerNormEps;
        private int batchSize;
        private float learningRate;
        private int classifierHidden;
        private boolean attendPadding;

        private Builder(BertConfig c) {
            vocabSize = c.vocabSize;
            maxLen = c.maxLen;
            hidden = c.hidden;
            heads = c.heads;
            ffDim = c.ffDim;
            layers = c.layers;
            dropout = c.dropout;
            layerNormEps = c.layerNormEps;
            batchSize = c.batchSize;
            learningRate = c.learningRate;
            classifierHidden = c.classifierHidden;
            attendPadding = c.attendPadding;
        }

        public Builder vocabSize(int v) { vocabSize = v; return this; }

        public Builder maxLen(int v) { maxLen = v; return this; }

        public Builder hidden(int v) { hidden = v; return this; }

        public Builder heads(int v) { heads = v; return this; }

        public Builder ffDim(int v) { ffDim = v; return this; }

        public Builder layers(int v) { layers = v; return this; }

        public Builder dropout(float v) { dropout = v; return this; }

        public Builder layerNormEps(float v) { layerNormEps = v; return this; }

        public Builder batchSize(int v) { batchSize = v; return this; }

        public Builder learningRate(float v) { learningRate = v; return this; }

        public Builder classifierHidden(int v) { classifierHidden = v; return this; }

        public Builder attendPadding(boolean v) { attendPadding = v; return this; }

        public BertConfig build() {
            return new BertConfig(vocabSize, maxLen, hidden, heads, ffDim, layers, dropout, layerNormEps, batchSize,
                    learningRate, classifierHidden, attendPadding);
        }
    }

    /** Pretty-printed JSON with every field. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BertConfig: cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The same JSON on one line (for metadata). */
    public String toCompactJson() {
        try {
            return JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BertConfig: cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses {@link #toJson()}'s output; every field must be present.
     *
     * @throws IllegalArgumentException naming {@code source} when the text is not such a config
     */
    public static BertConfig fromJson(String json, String source) {
        try {
            return JSON.readValue(json, BertConfig.class);
        } catch (JsonProcessingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            String why = cause instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : cause.getMessage();
            // Jackson's own words name its switches; say what is wrong with the file instead.
            java.util.regex.Matcher missing = java.util.regex.Pattern.compile("Missing creator property '(\\w+)'")
                    .matcher(why == null ? "" : why);
            if (missing.find()) {
                why = "the field \"" + missing.group(1) + "\" is missing";
            } else if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException
                    && why != null && why.startsWith("Cannot deserialize value of type")) {
                why = "expected a JSON object with the configuration's fields";
            } else if (e instanceof com.fasterxml.jackson.core.JsonParseException && e.getLocation() != null) {
                why = "malformed JSON at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            }
            throw new IllegalArgumentException(source + ": not a BERT configuration: " + firstLine(why), e);
        }
    }

    /** Reads a config written by {@link #write}. */
    public static BertConfig read(Path file) throws IOException {
        return fromJson(Files.readString(file), file.toString());
    }

    /** Writes the config as JSON, atomically (temporary file, then rename). */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson() + "\n");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
