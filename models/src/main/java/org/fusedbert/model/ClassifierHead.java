package org.fusedbert.model;

import org.fusedbert.api.Activation;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.Workspace.Buffer;

/**
 * The sentiment head, as in the seed: global max pooling of the encoder's output over the
 * sequence → dense (classifierHidden, ReLU) → dense 1 → sigmoid binary cross-entropy.
 */
public final class ClassifierHead {
    private final Parameters params;
    private final int batch;
    private final int length;
    private final Buffer pooled;
    private final Buffer argmax;
    private final Buffer hidden;
    private final Buffer logits;
    private final Buffer probs;
    private final Buffer loss;
    private final Buffer gradLogits;
    private final Buffer gradHiddenLayer;
    private final Buffer gradPooled;
    private final Buffer gradEncoder;

    /** Plans the head for encoder outputs of {@code batch} sequences of {@code length} positions. */
    public ClassifierHead(Parameters params, Workspace ws, int batch, int length) {
        this.params = params;
        this.batch = batch;
        this.length = length;
        BertConfig c = params.config();
        pooled = ws.request("classifier.pooled", DType.FLOAT32, batch, c.hidden());
        argmax = ws.request("classifier.argmax", DType.INT32, batch, c.hidden());
        hidden = ws.request("classifier.hidden", DType.FLOAT32, batch, c.classifierHidden());
        logits = ws.request("classifier.logits", DType.FLOAT32, batch, 1);
        probs = ws.request("classifier.probs", DType.FLOAT32, batch);
        loss = ws.request("classifier.loss", DType.FLOAT32, 1);
        gradLogits = ws.request("classifier.gradLogits", DType.FLOAT32, batch, 1);
        gradHiddenLayer = ws.request("classifier.gradHidden", DType.FLOAT32, batch, c.classifierHidden());
        gradPooled = ws.request("classifier.gradPooled", DType.FLOAT32, batch, c.hidden());
        gradEncoder = ws.request("classifier.gradEncoder", DType.FLOAT32, batch * length, c.hidden());
    }

    /**
     * Forward from the encoder's output (float32 [B*L, H]) to the probabilities and, against
     * {@code labels} (int32 [B], 0 or 1), the mean loss; with {@code training} also dLoss/dlogits.
     */
    public void forward(Tensor encoderOutput, Tensor labels, boolean training) {
        Backend be = params.backend();
        int h = params.config().hidden();
        be.maxPoolForward(encoderOutput.view(batch, length, h), pooled.get(), argmax.get());
        be.matmul(pooled.get(), false, params.get("classifier.dense.weight"), false, params.get("classifier.dense.bias"),
                Activation.RELU, false, hidden.get());
        be.matmul(hidden.get(), false, params.get("classifier.output.weight"), false,
                params.get("classifier.output.bias"), Activation.NONE, false, logits.get());
        be.sigmoidBinaryCrossEntropy(logits.get(), labels, probs.get(), loss.get(), training ? gradLogits.get() : null);
    }

    /**
     * Backward of the last training {@link #forward}: accumulates the head's gradients and, when
     * {@code intoEncoder}, overwrites {@link #gradEncoder()} with the gradient for the encoder's
     * output. With the encoder frozen nothing flows below the pooled features.
     */
    public void backward(boolean intoEncoder) {
        Backend be = params.backend();
        be.linearBackward(hidden.get(), params.get("classifier.output.weight"), gradLogits.get(), gradHiddenLayer.get(),
                false, params.grad("classifier.output.weight"), params.grad("classifier.output.bias"));
        be.reluBackward(hidden.get(), gradHiddenLayer.get(), gradHiddenLayer.get());
        be.linearBackward(pooled.get(), params.get("classifier.dense.weight"), gradHiddenLayer.get(),
                intoEncoder ? gradPooled.get() : null, false, params.grad("classifier.dense.weight"),
                params.grad("classifier.dense.bias"));
        if (intoEncoder) {
            be.maxPoolBackward(gradPooled.get(), argmax.get(),
                    gradEncoder.get().view(batch, length, params.config().hidden()));
        }
    }

    /** Probabilities of the positive class from the last forward, float32 [B]. */
    public Tensor probabilities() {
        return probs.get();
    }

    /** Mean binary cross-entropy of the last forward, float32 [1]. */
    public Tensor loss() {
        return loss.get();
    }

    /** Gradient for the encoder's output after {@code backward(true)}, float32 [B*L, H]. */
    public Tensor gradEncoder() {
        return gradEncoder.get();
    }
}
