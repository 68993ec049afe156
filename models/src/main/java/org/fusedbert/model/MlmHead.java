package org.fusedbert.model;

import org.fusedbert.api.Activation;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.Workspace.Buffer;

/**
 * The masked-language-model head: a dense layer from the hidden size to the vocabulary, and
 * softmax cross-entropy at the masked positions.
 *
 * <p>Only the labelled (masked) rows are gathered and projected to the vocabulary. The seed
 * projects all B*L positions and weights the per-position loss by 1 at masked positions and 0
 * elsewhere; rows of weight 0 contribute neither to the loss nor to any gradient, so projecting
 * just the masked rows gives the same loss and the same gradients at about 15% of the head's work
 * (and without the [B*L, V] logits: 1 GB at the seed's shape).
 *
 * <p>The gathered rows live in a buffer of fixed {@linkplain #capacity(int, float) capacity} so
 * the shapes never change between steps. The CPU backend processes exactly the gathered rows
 * ({@link Backend#rowsToProcess}); a device processes the whole capacity, whose unused rows carry
 * label -1 and so add nothing.
 */
public final class MlmHead {
    private final Parameters params;
    private final int rows;
    private final int capacity;
    private final Buffer gathered;
    private final Buffer gatheredLabels;
    private final Buffer gatheredIndex;
    private final Buffer count;
    private final Buffer logits;
    private final Buffer gradGathered;
    private final Buffer gradHidden;
    private final Buffer loss;

    /**
     * Room for the masked rows of {@code rows} token positions when each is selected with
     * probability {@code selectRate}: the mean plus 8 standard deviations plus 64, capped at
     * {@code rows}. The count is binomial, so overflowing this is a ~1e-15 event per step (and
     * {@link Backend#gatherLabelledRows} reports the true count, so it would be seen). At the seed's
     * shape (8,192 positions, 15%) that is 1,552 rows instead of 8,192.
     */
    public static int capacity(int rows, float selectRate) {
        double mean = rows * (double) selectRate;
        double sd = Math.sqrt(rows * (double) selectRate * (1 - selectRate));
        return (int) Math.min(rows, Math.ceil(mean + 8 * sd + 64));
    }

    /** Plans the head for hidden states of {@code rows} positions with room for {@code capacity} masked ones. */
    public MlmHead(Parameters params, Workspace ws, int rows, int capacity) {
        if (capacity <= 0 || capacity > rows) {
            throw new IllegalArgumentException("MlmHead: capacity expected in [1, " + rows + "] but was " + capacity);
        }
        this.params = params;
        this.rows = rows;
        this.capacity = capacity;
        BertConfig c = params.config();
        gathered = ws.request("mlm.gathered", DType.FLOAT32, capacity, c.hidden());
        gatheredLabels = ws.request("mlm.gatheredLabels", DType.INT32, capacity);
        gatheredIndex = ws.request("mlm.gatheredIndex", DType.INT32, capacity);
        count = ws.request("mlm.count", DType.INT32, 1);
        logits = ws.request("mlm.logits", DType.FLOAT32, capacity, c.vocabSize());
        gradGathered = ws.request("mlm.gradGathered", DType.FLOAT32, capacity, c.hidden());
        gradHidden = ws.request("mlm.gradHidden", DType.FLOAT32, rows, c.hidden());
        loss = ws.request("mlm.loss", DType.FLOAT32, 1);
    }

    /** The number of masked rows the head can hold. */
    public int capacity() {
        return capacity;
    }

    /** The mean cross-entropy over the masked positions of the last {@link #lossAndGradient}, float32 [1]. */
    public Tensor loss() {
        return loss.get();
    }

    /** The loss gradient with respect to the hidden states, float32 [rows, H]. */
    public Tensor gradHidden() {
        return gradHidden.get();
    }

    /** How many positions were labelled in the last call, int32 [1] (may exceed the capacity). */
    public Tensor labelledCount() {
        return count.get();
    }

    /**
     * Loss and gradients for one step: gathers the rows of {@code hidden} (float32 [rows, H]) whose
     * {@code labels} (int32 [rows]) are not -1, projects them to the vocabulary, writes the mean
     * cross-entropy to {@link #loss()}, accumulates the head's parameter gradients and overwrites
     * {@link #gradHidden()} with the gradient for the encoder.
     */
    public void lossAndGradient(Tensor hidden, Tensor labels) {
        Backend be = params.backend();
        int n = gather(hidden, labels);
        if (n == 0) {
            be.fill(loss.get(), 0.0);
            be.fill(gradHidden.get(), 0.0);
            return;
        }
        Tensor x = gathered.get().narrow(0, n);
        Tensor z = logits.get().narrow(0, n);
        Tensor w = params.get("mlm.dense.weight");
        be.matmul(x, false, w, false, params.get("mlm.dense.bias"), Activation.NONE, false, z);
        be.softmaxCrossEntropy(z, gatheredLabels.get().narrow(0, n), loss.get());
        // z now holds dLoss/dlogits.
        be.linearBackward(x, w, z, gradGathered.get().narrow(0, n), false, params.grad("mlm.dense.weight"),
                params.grad("mlm.dense.bias"));
        be.scatterRows(gradGathered.get(), gatheredIndex.get(), gradHidden.get());
    }

    /**
     * Inference: the vocabulary logits of the positions of {@code hidden} whose {@code labels} are
     * not -1, in position order; returns how many rows of {@link #logits()} were written.
     */
    public int logitsAt(Tensor hidden, Tensor labels) {
        int n = gather(hidden, labels);
        if (n > 0) {
            params.backend().matmul(gathered.get().narrow(0, n), false, params.get("mlm.dense.weight"), false,
                    params.get("mlm.dense.bias"), Activation.NONE, false, logits.get().narrow(0, n));
        }
        return n;
    }

    /** The logits buffer, float32 [capacity, V]. */
    public Tensor logits() {
        return logits.get();
    }

    /** The source position of each gathered row, int32 [capacity] (-1 past the count). */
    public Tensor gatheredIndex() {
        return gatheredIndex.get();
    }

    private int gather(Tensor hidden, Tensor labels) {
        Backend be = params.backend();
        be.gatherLabelledRows(hidden, labels, gathered.get(), gatheredLabels.get(), gatheredIndex.get(), count.get());
        return be.rowsToProcess(count.get(), capacity);
    }

    /** Positions of hidden states this head takes. */
    public int rows() {
        return rows;
    }
}
