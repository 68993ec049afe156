package org.fusedbert.model;

import org.fusedbert.api.Activation;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.Workspace.Buffer;

/**
 * The BERT encoder for a fixed batch shape {@code [B, L]}: embeddings (token + position), then per
 * block, post-layernorm as in the seed, multi-head self-attention (one packed QKV projection, the
 * attention core, the output projection) → dropout → layernorm(x + attention) → dense FF ReLU →
 * dense H → dropout → layernorm(h + FFN).
 *
 * <p>{@link #forward} keeps every activation the {@link #backward} needs in the run's
 * {@link Workspace}; the backward accumulates into the parameter gradients. Dropout is drawn from
 * (seed, site, step) with the step read from a counter in backend memory, so the backward
 * regenerates the forward's masks and a captured step draws fresh ones at each replay. The
 * encoder only calls {@link Backend} operations and never knows which backend runs them.
 */
public final class Encoder {
    private final Parameters params;
    private final BertConfig config;
    private final int batch;
    private final int length;
    private final float scale;

    private final Buffer embedded;
    private final Buffer validLengths;
    private final Layer[] layers;
    // Backward scratch shared by the blocks (they run one after another).
    private final Buffer gradA;
    private final Buffer gradB;
    private final Buffer gradLn1;
    private final Buffer gradSublayer;
    private final Buffer gradAttention;
    private final Buffer gradQkv;
    private final Buffer gradFf1;
    private final Buffer delta;

    private Tensor lastIds;
    private Dropout[] lastDropouts;

    /** One block's saved activations. */
    private static final class Layer {
        final Buffer qkv;
        final Buffer attention;
        final Buffer lse;
        final Buffer projected;
        final Buffer out1;
        final Buffer mean1;
        final Buffer rstd1;
        final Buffer ff1;
        final Buffer ff2;
        final Buffer out2;
        final Buffer mean2;
        final Buffer rstd2;

        Layer(Workspace ws, int l, BertConfig c, int b, int len) {
            int n = b * len;
            int h = c.hidden();
            String p = "encoder." + l + ".";
            qkv = ws.request(p + "qkv", DType.FLOAT32, b, len, 3 * h);
            attention = ws.request(p + "attention", DType.FLOAT32, b, len, h);
            lse = ws.request(p + "lse", DType.FLOAT32, b, c.heads(), len);
            projected = ws.request(p + "projected", DType.FLOAT32, n, h);
            out1 = ws.request(p + "out1", DType.FLOAT32, n, h);
            mean1 = ws.request(p + "mean1", DType.FLOAT32, n);
            rstd1 = ws.request(p + "rstd1", DType.FLOAT32, n);
            ff1 = ws.request(p + "ff1", DType.FLOAT32, n, c.ffDim());
            ff2 = ws.request(p + "ff2", DType.FLOAT32, n, h);
            out2 = ws.request(p + "out2", DType.FLOAT32, n, h);
            mean2 = ws.request(p + "mean2", DType.FLOAT32, n);
            rstd2 = ws.request(p + "rstd2", DType.FLOAT32, n);
        }
    }

    /**
     * Plans the encoder's activations for batches of {@code batch} sequences of {@code length}
     * tokens ({@code length <= maxLen}) in {@code ws}.
     */
    public Encoder(Parameters params, Workspace ws, int batch, int length) {
        this.params = params;
        this.config = params.config();
        if (batch <= 0) {
            throw new IllegalArgumentException("Encoder: batch expected > 0 but was " + batch);
        }
        if (length <= 0 || length > config.maxLen()) {
            throw new IllegalArgumentException("Encoder: length expected in [1, " + config.maxLen() + "] but was " + length);
        }
        this.batch = batch;
        this.length = length;
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
        int n = batch * length;
        int h = config.hidden();
        embedded = ws.request("embedded", DType.FLOAT32, n, h);
        validLengths = ws.request("validLengths", DType.INT32, batch);
        layers = new Layer[config.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(ws, l, config, batch, length);
        }
        gradA = ws.request("encoder.gradA", DType.FLOAT32, n, h);
        gradB = ws.request("encoder.gradB", DType.FLOAT32, n, h);
        gradLn1 = ws.request("encoder.gradLn1", DType.FLOAT32, n, h);
        gradSublayer = ws.request("encoder.gradSublayer", DType.FLOAT32, n, h);
        gradAttention = ws.request("encoder.gradAttention", DType.FLOAT32, batch, length, h);
        gradQkv = ws.request("encoder.gradQkv", DType.FLOAT32, batch, length, 3 * h);
        gradFf1 = ws.request("encoder.gradFf1", DType.FLOAT32, n, config.ffDim());
        delta = ws.request("encoder.delta", DType.FLOAT32, batch, config.heads(), length);
    }

    /** Sequences per batch. */
    public int batch() {
        return batch;
    }

    /** Tokens per sequence. */
    public int length() {
        return length;
    }

    /** The last block's output, float32 [B*L, H]. */
    public Tensor output() {
        return layers[layers.length - 1].out2.get();
    }

    /**
     * The dropouts of one forward: one site per dropout in the model (block l uses 2l+1 after
     * attention and 2l+2 after the FFN), all keyed by {@code seed} and the step in {@code stepCounter}.
     * With {@code stepCounter == null} or a zero rate, no dropout (inference).
     */
    public Dropout[] dropouts(long seed, Tensor stepCounter) {
        Dropout[] d = new Dropout[2 * layers.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = stepCounter == null || config.dropout() == 0f ? Dropout.NONE
                    : new Dropout(config.dropout(), seed, i + 1, stepCounter);
        }
        return d;
    }

    /**
     * Runs the encoder on {@code ids} (int32 [B, L]). {@code dropouts} comes from {@link #dropouts};
     * the backward, if any, must follow before the step counter moves.
     */
    public void forward(Tensor ids, Dropout[] dropouts) {
        Backend be = params.backend();
        lastIds = ids;
        lastDropouts = dropouts;
        Tensor x = embedded.get();
        be.embeddingForward(ids, params.get("embeddings.token"), params.get("embeddings.position"),
                x.view(batch, length, config.hidden()));
        Tensor lengths = keyLengths(ids);
        float eps = config.layerNormEps();
        for (int l = 0; l < layers.length; l++) {
            Layer a = layers[l];
            String p = "encoder." + l + ".";
            Tensor qkv = a.qkv.get();
            be.matmul(x, false, params.get(p + "attention.qkv.weight"), false, params.get(p + "attention.qkv.bias"),
                    Activation.NONE, false, rows(qkv));
            be.attentionForward(qkv, lengths, config.heads(), scale, a.attention.get(), a.lse.get());
            be.matmul(rows(a.attention.get()), false, params.get(p + "attention.output.weight"), false,
                    params.get(p + "attention.output.bias"), Activation.NONE, false, a.projected.get());
            be.addDropoutLayerNormForward(x, a.projected.get(), params.get(p + "attention.layernorm.gamma"),
                    params.get(p + "attention.layernorm.beta"), eps, dropouts[2 * l], a.out1.get(), a.mean1.get(),
                    a.rstd1.get());
            be.matmul(a.out1.get(), false, params.get(p + "ffn.dense1.weight"), false, params.get(p + "ffn.dense1.bias"),
                    Activation.RELU, false, a.ff1.get());
            be.matmul(a.ff1.get(), false, params.get(p + "ffn.dense2.weight"), false, params.get(p + "ffn.dense2.bias"),
                    Activation.NONE, false, a.ff2.get());
            be.addDropoutLayerNormForward(a.out1.get(), a.ff2.get(), params.get(p + "ffn.layernorm.gamma"),
                    params.get(p + "ffn.layernorm.beta"), eps, dropouts[2 * l + 1], a.out2.get(), a.mean2.get(),
                    a.rstd2.get());
            x = a.out2.get();
        }
    }

    /** The key extent of each sequence, or null when attention sees padding (the seed's behaviour). */
    private Tensor keyLengths(Tensor ids) {
        if (config.attendPadding()) {
            return null;
        }
        params.backend().sequenceLengths(ids, validLengths.get());
        return validLengths.get();
    }

    /**
     * Back-propagates {@code dOutput} (float32 [B*L, H], the loss's gradient with respect to
     * {@link #output()}, left unchanged) through the last {@link #forward}, accumulating into the
     * gradients of the embeddings and every block.
     */
    public void backward(Tensor dOutput) {
        if (lastIds == null) {
            throw new IllegalStateException("Encoder.backward: no forward to differentiate");
        }
        Backend be = params.backend();
        Tensor lengths = config.attendPadding() ? null : validLengths.get();
        Tensor grad = dOutput;
        for (int l = layers.length - 1; l >= 0; l--) {
            Layer a = layers[l];
            String p = "encoder." + l + ".";
            Tensor input = l == 0 ? embedded.get() : layers[l - 1].out2.get();
            // The gradient for this block's input goes to whichever scratch buffer is not being read.
            Tensor gradInput = grad == gradA.get() ? gradB.get() : gradA.get();
            Tensor dLn1 = gradLn1.get();
            Tensor dSub = gradSublayer.get();
            be.addDropoutLayerNormBackward(grad, a.out1.get(), a.ff2.get(), params.get(p + "ffn.layernorm.gamma"),
                    a.mean2.get(), a.rstd2.get(), lastDropouts[2 * l + 1], dLn1, dSub,
                    params.grad(p + "ffn.layernorm.gamma"), params.grad(p + "ffn.layernorm.beta"));
            be.linearBackward(a.ff1.get(), params.get(p + "ffn.dense2.weight"), dSub, gradFf1.get(), false,
                    params.grad(p + "ffn.dense2.weight"), params.grad(p + "ffn.dense2.bias"));
            be.reluBackward(a.ff1.get(), gradFf1.get(), gradFf1.get());
            be.linearBackward(a.out1.get(), params.get(p + "ffn.dense1.weight"), gradFf1.get(), dLn1, true,
                    params.grad(p + "ffn.dense1.weight"), params.grad(p + "ffn.dense1.bias"));
            be.addDropoutLayerNormBackward(dLn1, input, a.projected.get(), params.get(p + "attention.layernorm.gamma"),
                    a.mean1.get(), a.rstd1.get(), lastDropouts[2 * l], gradInput, dSub,
                    params.grad(p + "attention.layernorm.gamma"), params.grad(p + "attention.layernorm.beta"));
            be.linearBackward(rows(a.attention.get()), params.get(p + "attention.output.weight"), dSub,
                    rows(gradAttention.get()), false, params.grad(p + "attention.output.weight"),
                    params.grad(p + "attention.output.bias"));
            be.attentionBackward(a.qkv.get(), lengths, config.heads(), scale, a.attention.get(), a.lse.get(),
                    gradAttention.get(), delta.get(), gradQkv.get());
            be.linearBackward(input, params.get(p + "attention.qkv.weight"), rows(gradQkv.get()), gradInput, true,
                    params.grad(p + "attention.qkv.weight"), params.grad(p + "attention.qkv.bias"));
            grad = gradInput;
        }
        be.embeddingBackward(lastIds, grad.view(batch, length, config.hidden()), params.grad("embeddings.token"),
                params.grad("embeddings.position"));
    }

    /** A [B, L, X] tensor as [B*L, X] rows. */
    private Tensor rows(Tensor t) {
        return t.view(batch * length, t.dim(-1));
    }
}
