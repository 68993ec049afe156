package org.fusedbert.model;

import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.Workspace.Buffer;

/**
 * The BERT model bound to a backend at a fixed batch shape {@code [B, L]}: the parameters, one
 * {@link Workspace} arena holding every activation, the encoder, both heads and the optimizer, and
 * the training steps built from them.
 *
 * <p>Training and evaluation steps take their batch from {@link ResidentData} (uploaded once) by
 * a gather through the epoch's order, and leave their loss and probabilities in its histories. A
 * step's varying inputs all live in backend memory (the batch index, the step counter that keys
 * dropout and masking, Adam's step); it allocates nothing and reads nothing back to the host
 * except where {@link Backend#rowsToProcess} lets a host backend skip unused rows. The same
 * sequence of operations can therefore be captured once as a device graph and replayed.
 */
public final class BertModel implements AutoCloseable {
    private final Parameters params;
    private final BertConfig config;
    private final long seed;
    private final int batch;
    private final int length;
    private final Workspace workspace = new Workspace();
    private final Encoder encoder;
    private final MlmHead mlmHead;
    private final ClassifierHead classifier;
    private final Adam adam;
    private final MaskingSpec masking;
    private final Buffer batchIds;
    private final Buffer batchLabels;
    private final Buffer maskedIds;
    private final Buffer mlmLabels;
    private final Buffer stepCounter;
    private Dropout[] trainingDropouts;
    private Dropout[] inferenceDropouts;

    /**
     * Plans and allocates the model's workspace.
     *
     * @param params   the parameters (not owned: closing the model leaves them)
     * @param seed     keys dropout and MLM masking
     * @param batch    sequences per step
     * @param training whether to plan the optimizer (inference-only models skip its moments)
     */
    public BertModel(Parameters params, long seed, int batch, boolean training) {
        this.params = params;
        this.config = params.config();
        this.seed = seed;
        this.batch = batch;
        this.length = config.maxLen();
        this.masking = MaskingSpec.bert(seed, config.maskId());
        int rows = batch * length;
        batchIds = workspace.request("batch.ids", DType.INT32, batch, length);
        batchLabels = workspace.request("batch.labels", DType.INT32, batch);
        maskedIds = workspace.request("batch.maskedIds", DType.INT32, batch, length);
        mlmLabels = workspace.request("batch.mlmLabels", DType.INT32, rows);
        stepCounter = workspace.request("step", DType.INT32, 1);
        encoder = new Encoder(params, workspace, batch, length);
        mlmHead = new MlmHead(params, workspace, rows, MlmHead.capacity(rows, masking.selectRate()));
        classifier = new ClassifierHead(params, workspace, batch, length);
        ParameterLayout layout = params.layout();
        long maxRange = Math.max(layout.range(Phase.PRETRAIN).length(), layout.range(Phase.UNFROZEN).length());
        adam = training ? new Adam(params, workspace, maxRange) : null;
        workspace.allocate(params.backend());
    }

    public Parameters parameters() {
        return params;
    }

    public BertConfig config() {
        return config;
    }

    public Backend backend() {
        return params.backend();
    }

    /** Sequences per step. */
    public int batch() {
        return batch;
    }

    /** Bytes of the one activation arena. */
    public long workspaceBytes() {
        return workspace.plannedBytes();
    }

    /** The batch's ids, int32 [B, L]: steps gather them; inference from host text uploads them. */
    public Tensor batchIds() {
        return batchIds.get();
    }

    /** The batch's sentiment labels (0/1), int32 [B]. */
    public Tensor batchLabels() {
        return batchLabels.get();
    }

    /** The training step counter keying dropout and masking, int32 [1]; every training step increments it. */
    public Tensor stepCounter() {
        return stepCounter.get();
    }

    /** The optimizer (null for an inference-only model). */
    public Adam optimizer() {
        return adam;
    }

    public Encoder encoder() {
        return encoder;
    }

    public MlmHead mlmHead() {
        return mlmHead;
    }

    public ClassifierHead classifier() {
        return classifier;
    }

    /** The masking rule of this model's seed. */
    public MaskingSpec masking() {
        return masking;
    }

    /** Starts a fresh Adam (zero moments, step 0) over the parameters {@code phase} trains. */
    public void startPhase(Phase phase, AdamConfig adamConfig) {
        requireTraining("startPhase");
        adam.reset(params.layout().range(phase), adamConfig);
    }

    /**
     * One MLM pretraining step: gathers batch {@code batchIndex} of {@code data}, draws its masks
     * for this step, runs forward, loss and backward, updates the MLM head, embeddings and encoder,
     * stores the loss in {@code data}'s history and advances the batch index and the step counter.
     */
    public void pretrainStep(ResidentData data) {
        requireTraining("pretrainStep");
        Backend be = params.backend();
        be.gatherBatch(data.ids(), data.order(), data.batchIndex(), batchIds.get());
        be.mlmMask(batchIds.get(), masking, stepCounter.get(), maskedIds.get(), mlmLabels.get().view(batch, length));
        params.zeroGrads(adam.range());
        encoder.forward(maskedIds.get(), trainingDropouts());
        mlmHead.lossAndGradient(encoder.output(), mlmLabels.get());
        encoder.backward(mlmHead.gradHidden());
        adam.step();
        finishStep(data, mlmHead.loss(), null);
        be.increment(stepCounter.get());
    }

    /**
     * One sentiment step on batch {@code batchIndex} of {@code data} (ids and labels). With
     * {@code unfrozen} the gradient flows into the encoder; frozen, the encoder only runs forward.
     * Updates the parameters of the phase given to {@link #startPhase}; stores loss and
     * probabilities in {@code data}'s histories.
     */
    public void classifierStep(ResidentData data, boolean unfrozen) {
        requireTraining("classifierStep");
        Backend be = params.backend();
        gather(data);
        params.zeroGrads(adam.range());
        encoder.forward(batchIds.get(), trainingDropouts());
        classifier.forward(encoder.output(), batchLabels.get(), true);
        classifier.backward(unfrozen);
        if (unfrozen) {
            encoder.backward(classifier.gradEncoder());
        }
        adam.step();
        finishStep(data, classifier.loss(), classifier.probabilities());
        be.increment(stepCounter.get());
    }

    /** Inference on batch {@code batchIndex} of {@code data}: stores the probabilities and the loss. */
    public void evaluationStep(ResidentData data) {
        gather(data);
        classify();
        finishStep(data, classifier.loss(), classifier.probabilities());
    }

    private void gather(ResidentData data) {
        Backend be = params.backend();
        be.gatherBatch(data.ids(), data.order(), data.batchIndex(), batchIds.get());
        be.gatherBatch(data.labels(), data.order(), data.batchIndex(), batchLabels.get().view(batch, 1));
    }

    private void finishStep(ResidentData data, Tensor loss, Tensor probabilities) {
        Backend be = params.backend();
        be.storeBatch(loss, data.batchIndex(), data.losses());
        if (probabilities != null) {
            be.storeBatch(probabilities, data.batchIndex(), data.probabilities());
        }
        be.increment(data.batchIndex());
    }

    /** Inference on {@link #batchIds()}: fills {@link ClassifierHead#probabilities()} (and its loss against {@link #batchLabels()}). */
    public void classify() {
        encoder.forward(batchIds.get(), inferenceDropouts());
        classifier.forward(encoder.output(), batchLabels.get(), false);
    }

    /**
     * Inference for masked-token prediction on {@link #batchIds()}: the vocabulary logits of every
     * position whose id is {@code [mask]}, in position order, in {@link MlmHead#logits()}.
     *
     * @param positions [B*L] flags: any value but -1 at the positions to predict
     * @return the number of rows written
     */
    public int maskedLogits(int[] positions) {
        mlmLabels.get().copyFrom(positions);
        encoder.forward(batchIds.get(), inferenceDropouts());
        return mlmHead.logitsAt(encoder.output(), mlmLabels.get());
    }

    private Dropout[] trainingDropouts() {
        if (trainingDropouts == null) {
            trainingDropouts = encoder.dropouts(seed, stepCounter.get());
        }
        return trainingDropouts;
    }

    private Dropout[] inferenceDropouts() {
        if (inferenceDropouts == null) {
            inferenceDropouts = encoder.dropouts(seed, null);
        }
        return inferenceDropouts;
    }

    private void requireTraining(String op) {
        if (adam == null) {
            throw new IllegalStateException("BertModel." + op + ": model was built for inference only");
        }
    }

    /** Frees the workspace (the parameters stay with their owner). */
    @Override
    public void close() {
        workspace.close();
    }
}
