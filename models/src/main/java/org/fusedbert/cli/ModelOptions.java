package org.fusedbert.cli;

import org.fusedbert.model.BertConfig;
import picocli.CommandLine.Option;

/**
 * The model's shape and hyper-parameters ({@code @Mixin ModelOptions model;}); each given option
 * overrides the configuration the command starts from (the seed's, or a quick one on CPU with
 * synthetic data).
 */
public final class ModelOptions {
    @Option(names = "--vocab-size", paramLabel = "N", description = "vocabulary size, specials included (seed: 30000)")
    Integer vocabSize;

    @Option(names = "--max-len", paramLabel = "L", description = "tokens per review (seed: 256)")
    Integer maxLen;

    @Option(names = "--hidden", paramLabel = "H", description = "embedding and encoder width (seed: 128)")
    Integer hidden;

    @Option(names = "--heads", paramLabel = "N", description = "attention heads (seed: 8)")
    Integer heads;

    @Option(names = "--ff-dim", paramLabel = "N", description = "feed-forward width (seed: 128)")
    Integer ffDim;

    @Option(names = "--layers", paramLabel = "N", description = "encoder blocks (seed: 1)")
    Integer layers;

    @Option(names = "--dropout", paramLabel = "P", description = "dropout rate (seed: 0.1)")
    Float dropout;

    @Option(names = "--batch-size", paramLabel = "B", description = "examples per step (seed: 32)")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Adam learning rate of pretraining and, unless the recipe or "
            + "--frozen-lr/--unfrozen-lr say otherwise, of the classifier phases (seed: 0.001)")
    Float learningRate;

    @Option(names = "--attend-padding",
            description = "let attention see padding, as the seed does (default: a key-padding mask)")
    boolean attendPadding;

    /** Whether any option that shapes the model or its training was given. */
    boolean anyGiven() {
        return vocabSize != null || maxLen != null || hidden != null || heads != null || ffDim != null || layers != null
                || dropout != null || batchSize != null || learningRate != null;
    }

    /** BertConfig's field names and the options that set them, for errors in the user's words. */
    private static final java.util.Map<String, String> OPTION_OF = java.util.Map.of("vocabSize", "--vocab-size",
            "maxLen", "--max-len", "hidden", "--hidden", "heads", "--heads", "ffDim", "--ff-dim", "layers", "--layers",
            "dropout", "--dropout", "batchSize", "--batch-size", "learningRate", "--lr");

    /** {@code base} with every given option applied; an invalid value fails naming its option. */
    BertConfig apply(BertConfig base) {
        try {
            return build(base);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            for (var field : OPTION_OF.entrySet()) {
                String prefix = "BertConfig: " + field.getKey() + " expected ";
                if (m.startsWith(prefix)) {
                    throw new IllegalArgumentException(field.getValue() + ": expected " + m.substring(prefix.length()), e);
                }
            }
            throw e;
        }
    }

    private BertConfig build(BertConfig base) {
        BertConfig.Builder b = base.toBuilder();
        if (vocabSize != null) {
            b.vocabSize(vocabSize);
        }
        if (maxLen != null) {
            b.maxLen(maxLen);
        }
        if (hidden != null) {
            b.hidden(hidden);
        }
        if (heads != null) {
            b.heads(heads);
        }
        if (ffDim != null) {
            b.ffDim(ffDim);
        }
        if (layers != null) {
            b.layers(layers);
        }
        if (dropout != null) {
            b.dropout(dropout);
        }
        if (batchSize != null) {
            b.batchSize(batchSize);
        }
        if (learningRate != null) {
            b.learningRate(learningRate);
        }
        if (attendPadding) {
            b.attendPadding(true);
        }
        return b.build();
    }
}
