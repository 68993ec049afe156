package org.fusedbert.bench.device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fusedbert.api.Activation;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.MlmHead;
import org.fusedbert.model.ParameterLayout;

/** The kernel benchmarks: one class per fused operation, each at any shape. */
final class KernelCases {
    private KernelCases() {
    }

    /** Allocates {@code count} tensors, one per slot. */
    private static Tensor[] perSlot(int count, java.util.function.IntFunction<Tensor> make) {
        Tensor[] t = new Tensor[count];
        for (int i = 0; i < count; i++) {
            t[i] = make.apply(i);
        }
        return t;
    }

    /** residual + dropout(sublayer) → layernorm, forward and backward ({@link Backend#addDropoutLayerNormForward}). */
    static final class LayerNorm extends KernelCase {
        static final float RATE = 0.1f;
        static final float EPS = 1e-6f;
        private final int rows;
        private final int hidden;
        private Tensor[] residual, sublayer, out, mean, rstd, dOut, dResidual, dSublayer;
        private Tensor gamma, beta, dGamma, dBeta, step;
        private Dropout dropout;

        LayerNorm(int rows, int hidden) {
            this.rows = rows;
            this.hidden = hidden;
        }

        @Override
        String op() {
            return "layernorm";
        }

        @Override
        String shape() {
            return "N=" + rows + " H=" + hidden;
        }

        @Override
        long bytesPerSlot() {
            return 4L * (8L * rows * hidden + 2L * rows);
        }

        @Override
        List<Phase> phases() {
            double nh = (double) rows * hidden;
            return List.of(new Phase("forward", 4 * (3 * nh + 2.0 * rows), 0),
                    new Phase("backward", 4 * (5 * nh + 2.0 * rows), 0));
        }

        @Override
        void setUp(RandomData r) {
            Backend be = target.backend();
            int n = slots();
            residual = perSlot(n, i -> own(r.floats(be, 1f, rows, hidden)));
            sublayer = perSlot(n, i -> own(r.floats(be, 1f, rows, hidden)));
            dOut = perSlot(n, i -> own(r.floats(be, 1f, rows, hidden)));
            out = perSlot(n, i -> own(be.allocate(DType.FLOAT32, rows, hidden)));
            mean = perSlot(n, i -> own(be.allocate(DType.FLOAT32, rows)));
            rstd = perSlot(n, i -> own(be.allocate(DType.FLOAT32, rows)));
            dResidual = perSlot(n, i -> own(be.allocate(DType.FLOAT32, rows, hidden)));
            dSublayer = perSlot(n, i -> own(be.allocate(DType.FLOAT32, rows, hidden)));
            gamma = own(r.floats(be, 0.1f, 1f, hidden)); // gamma near 1, beta small: a trained layernorm's range
            beta = own(r.floats(be, 0.1f, hidden));
            dGamma = own(be.allocate(DType.FLOAT32, hidden));
            dBeta = own(be.allocate(DType.FLOAT32, hidden));
            step = own(RandomData.ints(be, new int[] {7}, 1));
            dropout = new Dropout(RATE, 1234L, 1, step);
            for (int s = 0; s < n; s++) {
                run("forward", s); // the backward reads the forward's statistics
            }
        }

        @Override
        void run(String phase, int s) {
            Backend be = target.backend();
            if (phase.equals("forward")) {
                be.addDropoutLayerNormForward(residual[s], sublayer[s], gamma, beta, EPS, dropout, out[s], mean[s], rstd[s]);
            } else {
                be.addDropoutLayerNormBackward(dOut[s], residual[s], sublayer[s], gamma, mean[s], rstd[s], dropout,
                        dResidual[s], dSublayer[s], dGamma, dBeta);
            }
        }

        @Override
        Map<String, Object> peerFields() {
            return Map.of("rows", rows, "hidden", hidden, "dropout", RATE, "eps", EPS);
        }
    }

    /** Fused multi-head attention with a key-padding mask, forward and backward. */
    static final class Attention extends KernelCase {
        private final int batch;
        private final int heads;
        private final int length;
        private final int headDim;
        private Tensor[] qkv, out, lse, dOut, delta, dqkv;
        private Tensor lengths;
        private float scale;

        Attention(int batch, int heads, int length, int headDim) {
            this.batch = batch;
            this.heads = heads;
            this.length = length;
            this.headDim = headDim;
        }

        @Override
        String op() {
            return "attention";
        }

        @Override
        String shape() {
            return "B=" + batch + " heads=" + heads + " L=" + length + " d=" + headDim;
        }

        int length() {
            return length;
        }

        int headDim() {
            return headDim;
        }

        @Override
        long bytesPerSlot() {
            long e = (long) heads * headDim;
            return 4L * batch * length * (3 * e + e + e + 3 * e) + 8L * batch * heads * length;
        }

        @Override
        List<Phase> phases() {
            double core = (double) batch * heads * length * length * headDim;
            return List.of(new Phase("forward", 0, 4 * core), new Phase("backward", 0, 10 * core));
        }

        @Override
        void setUp(RandomData r) {
            Backend be = target.backend();
            int n = slots();
            int e = heads * headDim;
            scale = (float) (1 / Math.sqrt(headDim));
            int[] valid = new int[batch];
            for (int b = 0; b < batch; b++) {
                valid[b] = r.nextInt(Math.max(1, length / 2), length + 1);
            }
            lengths = own(RandomData.ints(be, valid, batch));
            qkv = perSlot(n, i -> own(r.floats(be, 1f, batch, length, 3 * e)));
            dOut = perSlot(n, i -> own(r.floats(be, 1f, batch, length, e)));
            out = perSlot(n, i -> own(be.allocate(DType.FLOAT32, batch, length, e)));
            lse = perSlot(n, i -> own(be.allocate(DType.FLOAT32, batch, heads, length)));
            delta = perSlot(n, i -> own(be.allocate(DType.FLOAT32, batch, heads, length)));
            dqkv = perSlot(n, i -> own(be.allocate(DType.FLOAT32, batch, length, 3 * e)));
            for (int s = 0; s < n; s++) {
                run("forward", s);
            }
        }

        @Override
        void run(String phase, int s) {
            Backend be = target.backend();
            if (phase.equals("forward")) {
                be.attentionForward(qkv[s], lengths, heads, scale, out[s], lse[s]);
            } else {
                be.attentionBackward(qkv[s], lengths, heads, scale, out[s], lse[s], dOut[s], delta[s], dqkv[s]);
            }
        }

        @Override
        Map<String, Object> peerFields() {
            return Map.of("batch", batch, "heads", heads, "length", length, "headDim", headDim);
        }
    }

    /**
     * The MLM head's loss on the gathered rows: projection to the vocabulary, fused softmax
     * cross-entropy with its gradient written over the logits, and the projection's backward.
     */
    static final class MlmCrossEntropy extends KernelCase {
        private final int labelled;
        private final int capacity;
        private final int hidden;
        private final int vocab;
        private Tensor[] x, labels;
        private Tensor weight, bias, logits, dx, dWeight, dBias, loss;
        private OptionalLong peak = OptionalLong.empty();

        /** {@code labelled} of {@code capacity} rows carry a label (fusedbert processes the whole capacity). */
        MlmCrossEntropy(int labelled, int capacity, int hidden, int vocab) {
            this.labelled = labelled;
            this.capacity = capacity;
            this.hidden = hidden;
            this.vocab = vocab;
        }

        /**
         * The masked rows of {@code positions} tokens (15%), every one labelled: the op on the same rows
         * PyTorch's linear + cross_entropy gets, as the target compares them. The model's head
         * adds a safety margin of unlabelled rows ({@link MlmHead#capacity}); that cost is in the
         * end-to-end step, not here.
         */
        static MlmCrossEntropy forPositions(int positions, int hidden, int vocab) {
            int labelled = Math.round(0.15f * positions);
            return new MlmCrossEntropy(labelled, labelled, hidden, vocab);
        }

        @Override
        String op() {
            return "mlm_cross_entropy";
        }

        @Override
        String shape() {
            return "rows=" + labelled + "/" + capacity + " H=" + hidden + " V=" + vocab;
        }

        @Override
        long bytesPerSlot() {
            return 4L * capacity * (hidden + 1);
        }

        @Override
        List<Phase> phases() {
            return List.of(new Phase("forward+backward", 0, 6.0 * capacity * hidden * vocab));
        }

        @Override
        void setUp(RandomData r) {
            Backend be = target.backend();
            int n = slots();
            x = perSlot(n, i -> own(r.floats(be, 1f, capacity, hidden)));
            labels = perSlot(n, i -> {
                int[] v = new int[capacity];
                for (int row = 0; row < capacity; row++) {
                    v[row] = row < labelled ? r.nextInt(0, vocab) : -1;
                }
                return own(RandomData.ints(be, v, capacity));
            });
            weight = own(r.floats(be, (float) (1 / Math.sqrt(hidden)), hidden, vocab));
            bias = own(r.floats(be, 0.01f, vocab));
            dWeight = own(be.allocate(DType.FLOAT32, hidden, vocab));
            dBias = own(be.allocate(DType.FLOAT32, vocab));
            target.backend().synchronize();
            OptionalLong before = target.usedDeviceBytes();
            logits = own(be.allocate(DType.FLOAT32, capacity, vocab));
            dx = own(be.allocate(DType.FLOAT32, capacity, hidden));
            loss = own(be.allocate(DType.FLOAT32, 1));
            run("forward+backward", 0);
            target.backend().synchronize();
            OptionalLong after = target.usedDeviceBytes();
            // dWeight and dBias count too: PyTorch allocates its gradients inside the step.
            if (before.isPresent() && after.isPresent()) {
                peak = OptionalLong.of(after.getAsLong() - before.getAsLong() + 4L * (hidden + 1) * vocab);
            }
        }

        @Override
        void run(String phase, int s) {
            Backend be = target.backend();
            be.matmul(x[s], false, weight, false, bias, Activation.NONE, false, logits);
            be.softmaxCrossEntropy(logits, labels[s], loss);
            be.linearBackward(x[s], weight, logits, dx, false, dWeight, dBias);
        }

        @Override
        OptionalLong peakBytes() {
            return peak;
        }

        @Override
        Map<String, Object> peerFields() {
            return Map.of("rows", labelled, "capacity", capacity, "hidden", hidden, "vocab", vocab);
        }
    }

    /** One fused Adam step over a flat buffer. */
    static final class Adam extends KernelCase {
        private final int elements;
        private Tensor[] params, grads, m, v, step;

        Adam(int elements) {
            this.elements = elements;
        }

        @Override
        String op() {
            return "adam";
        }

        @Override
        String shape() {
            return "P=" + elements;
        }

        @Override
        long bytesPerSlot() {
            return 16L * elements;
        }

        @Override
        List<Phase> phases() {
            return List.of(new Phase("step", 28.0 * elements, 0));
        }

        @Override
        void setUp(RandomData r) {
            Backend be = target.backend();
            int n = slots();
            params = perSlot(n, i -> own(r.floats(be, 0.05f, elements)));
            grads = perSlot(n, i -> own(r.floats(be, 1e-3f, elements)));
            m = perSlot(n, i -> own(r.floats(be, 1e-4f, elements)));
            v = perSlot(n, i -> own(r.floats(be, 1e-6f, 1e-6f, elements))); // second moments are positive
            step = perSlot(n, i -> own(RandomData.ints(be, new int[] {100}, 1)));
        }

        @Override
        void run(String phase, int s) {
            target.backend().adamStep(params[s], grads[s], m[s], v[s], step[s], AdamConfig.KERAS);
        }

        @Override
        Map<String, Object> peerFields() {
            return Map.of("elements", elements);
        }
    }

    /** Token + position embedding, forward and the deterministic scatter-add backward. */
    static final class Embedding extends KernelCase {
        private final int batch;
        private final int length;
        private final int hidden;
        private final int vocab;
        private Tensor[] ids, out, dOut;
        private Tensor table, positions, dTable, dPositions;

        Embedding(int batch, int length, int hidden, int vocab) {
            this.batch = batch;
            this.length = length;
            this.hidden = hidden;
            this.vocab = vocab;
        }

        @Override
        String op() {
            return "embedding";
        }

        @Override
        String shape() {
            return "B=" + batch + " L=" + length + " H=" + hidden + " V=" + vocab;
        }

        @Override
        long bytesPerSlot() {
            return 4L * batch * length * (2L * hidden + 1);
        }

        @Override
        List<Phase> phases() {
            double bl = (double) batch * length;
            double blh = bl * hidden;
            double lh = (double) length * hidden;
            return List.of(new Phase("forward", 4 * (bl + 2 * blh + lh), 0),
                    new Phase("backward", 4 * (bl + 3 * blh + 2 * lh), 0));
        }

        @Override
        void setUp(RandomData r) {
            Backend be = target.backend();
            int n = slots();
            ids = perSlot(n, i -> own(r.ints(be, 2, vocab, batch, length)));
            dOut = perSlot(n, i -> own(r.floats(be, 1f, batch, length, hidden)));
            out = perSlot(n, i -> own(be.allocate(DType.FLOAT32, batch, length, hidden)));
            table = own(r.floats(be, 0.05f, vocab, hidden));
            positions = own(r.floats(be, 0.05f, length, hidden));
            dTable = own(be.allocate(DType.FLOAT32, vocab, hidden));
            dPositions = own(be.allocate(DType.FLOAT32, length, hidden));
        }

        @Override
        void run(String phase, int s) {
            Backend be = target.backend();
            if (phase.equals("forward")) {
                be.embeddingForward(ids[s], table, positions, out[s]);
            } else {
                be.embeddingBackward(ids[s], dOut[s], dTable, dPositions);
            }
        }

        @Override
        Map<String, Object> peerFields() {
            return Map.of("batch", batch, "length", length, "hidden", hidden, "vocab", vocab);
        }
    }

    /** The cases of a full run: the seed's shapes, then larger ones. */
    static List<KernelCase> full() {
        List<KernelCase> c = new ArrayList<>();
        c.add(new LayerNorm(32 * 256, 128));
        c.add(new LayerNorm(32 * 512, 768));
        c.add(new LayerNorm(32 * 1024, 768));
        c.add(new Attention(32, 8, 256, 16));
        c.add(new Attention(32, 8, 512, 16));
        c.add(new Attention(32, 8, 1024, 16));
        c.add(new Attention(32, 12, 512, 64));
        c.add(new Attention(32, 12, 1024, 64));
        c.add(new Attention(16, 6, 1024, 128));
        c.add(MlmCrossEntropy.forPositions(32 * 256, 128, 30_000));
        c.add(MlmCrossEntropy.forPositions(32 * 512, 768, 30_000));
        // The seed's pretraining range (MLM head, embeddings, encoder), as the trainer updates it.
        c.add(new Adam(Math.toIntExact(new ParameterLayout(BertConfig.SEED).range(ParameterLayout.Phase.PRETRAIN).length())));
        c.add(new Adam(64_000_000));
        c.add(new Embedding(32, 256, 128, 30_000));
        c.add(new Embedding(32, 512, 768, 30_000));
        return c;
    }

    /** Tiny shapes (odd sizes included) that exercise every code path in seconds on the simulator. */
    static List<KernelCase> rehearsal() {
        return List.of(new LayerNorm(24, 20), new Attention(2, 2, 10, 16), new MlmCrossEntropy(5, 7, 8, 50),
                new Adam(1000), new Embedding(2, 5, 8, 30));
    }

    /** peers.py's spec of every case. */
    static List<Map<String, Object>> peerSpecs(List<KernelCase> cases) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (KernelCase c : cases) {
            out.add(new LinkedHashMap<>(c.peerSpec()));
        }
        return out;
    }
}
