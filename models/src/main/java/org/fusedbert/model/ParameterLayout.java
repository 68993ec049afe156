package org.fusedbert.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter lives in the one flat float32 buffer. The order is
 * {@code [MLM head | embeddings + encoder | classifier head]}, so the parameters each training
 * phase updates form one contiguous range (see {@link Phase}) and Adam is a single fused step over it.
 * Every parameter starts on a {@value #ALIGN_FLOATS}-float boundary (256 bytes, the arena's
 * alignment); the padding between them stays zero in values, gradients and moments.
 */
public final class ParameterLayout {
    /** Each parameter's first element is a multiple of this many floats. */
    public static final int ALIGN_FLOATS = 64;

    /** Which block of the buffer a parameter belongs to. */
    public enum Group { MLM_HEAD, ENCODER, CLASSIFIER }

    /** How a parameter is initialized. */
    public enum Init {
        /** Uniform in [-0.05, 0.05] (Keras' embedding default). */
        UNIFORM_005,
        /** Glorot uniform with the limit sqrt(6 / (fanIn + fanOut)) of the entry's {@code fanIn, fanOut}. */
        GLOROT,
        ZEROS,
        ONES
    }

    /**
     * One named parameter.
     *
     * @param index  its position in the layout (also the Philox site of its initialization)
     * @param offset first element within the flat buffer
     * @param fanIn  for {@link Init#GLOROT}
     * @param fanOut for {@link Init#GLOROT}
     */
    public record Entry(String name, int index, Group group, int[] shape, long offset, Init init, int fanIn, int fanOut) {
        public long numel() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A contiguous element range {@code [offset, offset + length)} of the flat buffers. */
    public record Range(long offset, long length) {
    }

    /** The training phases and the parameters each one updates. */
    public enum Phase {
        /** MLM pretraining: the MLM head, the embeddings and the encoder. */
        PRETRAIN,
        /** Fine-tuning with the encoder frozen: the classifier head only. */
        FROZEN,
        /** Fine-tuning end to end: embeddings, encoder and the classifier head. */
        UNFROZEN
    }

    private final BertConfig config;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final long[] groupStart = new long[Group.values().length + 1];

    public ParameterLayout(BertConfig config) {
        this.config = config;
        int h = config.hidden();
        int v = config.vocabSize();
        long[] cursor = {0};
        groupStart[Group.MLM_HEAD.ordinal()] = 0;
        add(cursor, "mlm.dense.weight", Group.MLM_HEAD, Init.GLOROT, h, v, h, v);
        add(cursor, "mlm.dense.bias", Group.MLM_HEAD, Init.ZEROS, 0, 0, v);
        groupStart[Group.ENCODER.ordinal()] = cursor[0];
        add(cursor, "embeddings.token", Group.ENCODER, Init.UNIFORM_005, 0, 0, v, h);
        add(cursor, "embeddings.position", Group.ENCODER, Init.GLOROT, config.maxLen(), h, config.maxLen(), h);
        for (int l = 0; l < config.layers(); l++) {
            String p = "encoder." + l + ".";
            // Q, K and V are three [H, H] dense layers packed side by side: each keeps its own Glorot fan.
            add(cursor, p + "attention.qkv.weight", Group.ENCODER, Init.GLOROT, h, h, h, 3 * h);
            add(cursor, p + "attention.qkv.bias", Group.ENCODER, Init.ZEROS, 0, 0, 3 * h);
            add(cursor, p + "attention.output.weight", Group.ENCODER, Init.GLOROT, h, h, h, h);
            add(cursor, p + "attention.output.bias", Group.ENCODER, Init.ZEROS, 0, 0, h);
            add(cursor, p + "attention.layernorm.gamma", Group.ENCODER, Init.ONES, 0, 0, h);
            add(cursor, p + "attention.layernorm.beta", Group.ENCODER, Init.ZEROS, 0, 0, h);
            add(cursor, p + "ffn.dense1.weight", Group.ENCODER, Init.GLOROT, h, config.ffDim(), h, config.ffDim());
            add(cursor, p + "ffn.dense1.bias", Group.ENCODER, Init.ZEROS, 0, 0, config.ffDim());
            add(cursor, p + "ffn.dense2.weight", Group.ENCODER, Init.GLOROT, config.ffDim(), h, config.ffDim(), h);
            add(cursor, p + "ffn.dense2.bias", Group.ENCODER, Init.ZEROS, 0, 0, h);
            add(cursor, p + "ffn.layernorm.gamma", Group.ENCODER, Init.ONES, 0, 0, h);
            add(cursor, p + "ffn.layernorm.beta", Group.ENCODER, Init.ZEROS, 0, 0, h);
        }
        groupStart[Group.CLASSIFIER.ordinal()] = cursor[0];
        int c = config.classifierHidden();
        add(cursor, "classifier.dense.weight", Group.CLASSIFIER, Init.GLOROT, h, c, h, c);
        add(cursor, "classifier.dense.bias", Group.CLASSIFIER, Init.ZEROS, 0, 0, c);
        add(cursor, "classifier.output.weight", Group.CLASSIFIER, Init.GLOROT, c, 1, c, 1);
        add(cursor, "classifier.output.bias", Group.CLASSIFIER, Init.ZEROS, 0, 0, 1);
        groupStart[Group.values().length] = cursor[0];
    }

    private void add(long[] cursor, String name, Group group, Init init, int fanIn, int fanOut, int... shape) {
        Entry e = new Entry(name, entries.size(), group, shape, cursor[0], init, fanIn, fanOut);
        entries.add(e);
        byName.put(name, e);
        cursor[0] = align(cursor[0] + e.numel());
    }

    private static long align(long n) {
        return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    }

    /** The configuration this layout is for. */
    public BertConfig config() {
        return config;
    }

    /** Every parameter, in buffer order. */
    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** The parameter called {@code name}. */
    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("ParameterLayout: name expected one of the model's parameters but was " + name);
        }
        return e;
    }

    /** Whether a parameter of that name exists. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Total elements of the flat buffers, padding included. */
    public long totalElements() {
        return groupStart[Group.values().length];
    }

    /** Elements that are parameters (padding excluded). */
    public long parameterCount() {
        long n = 0;
        for (Entry e : entries) {
            n += e.numel();
        }
        return n;
    }

    /** The range of one group. */
    public Range range(Group g) {
        return new Range(groupStart[g.ordinal()], groupStart[g.ordinal() + 1] - groupStart[g.ordinal()]);
    }

    /** The contiguous range a training phase updates. */
    public Range range(Phase phase) {
        return switch (phase) {
            case PRETRAIN -> new Range(0, groupStart[Group.CLASSIFIER.ordinal()]);
            case FROZEN -> range(Group.CLASSIFIER);
            case UNFROZEN -> new Range(groupStart[Group.ENCODER.ordinal()],
                    totalElements() - groupStart[Group.ENCODER.ordinal()]);
        };
    }
}
