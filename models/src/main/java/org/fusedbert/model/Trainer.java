package org.fusedbert.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.model.ParameterLayout.Phase;

/**
 * The seed's training schedule on a {@link BertModel}: MLM pretraining epochs (masks redrawn at
 * every step from the step counter, hence every epoch), then the sentiment classifier with the
 * encoder frozen and then unfrozen, each phase with a fresh Adam, and evaluation.
 *
 * <p>The loop issues steps and reads the loss back only every {@code lossEvery} steps and at the
 * end of an epoch (through a sum kept in backend memory), so that a device never waits for the
 * host inside an epoch. Progress goes to a {@link Progress} and every window and epoch to the
 * {@link MetricsLog}.
 */
public final class Trainer {
    /** Where a pretraining run is: the next step to run is {@code stepInEpoch} of {@code epoch} (0-based). */
    public record Position(int epoch, int stepInEpoch) {
        public static final Position START = new Position(0, 0);
    }

    /** What pretraining calls back into. */
    public interface PretrainHooks {
        /** After each epoch (1-based {@code epoch}) with its mean MLM loss. */
        default void afterEpoch(int epoch, double meanLoss) {
        }

        /** When a checkpoint is due: {@code next} is where a resumed run would continue. */
        default void checkpoint(Position next) {
        }
    }

    /** The result of one sentiment epoch. */
    public record ClassifierEpoch(Phase phase, int epoch, double trainLoss, double trainAccuracy, double testAccuracy) {
    }

    /**
     * How the loop runs.
     *
     * @param lossEvery       steps between loss read-backs (and progress updates)
     * @param maxSteps        stop pretraining once the step counter reaches this (a resumable
     *                        interruption), or a negative number for no limit
     * @param checkpointEvery steps between pretraining checkpoints (0: only at epoch ends and when stopping)
     */
    public record Options(int lossEvery, long maxSteps, int checkpointEvery) {
        public static final Options DEFAULT = new Options(10, -1, 0);

        public Options {
            if (lossEvery <= 0) {
                throw new IllegalArgumentException("Trainer.Options: lossEvery expected > 0 but was " + lossEvery);
            }
            if (checkpointEvery < 0) {
                throw new IllegalArgumentException("Trainer.Options: checkpointEvery expected >= 0 but was "
                        + checkpointEvery);
            }
        }
    }

    /** Builds the progress display of one loop (a bar on a terminal, lines otherwise). */
    public interface ProgressFactory {
        Progress create(String task, long totalSteps);
    }

    private final BertModel model;
    private final long seed;
    private final Options options;
    private final MetricsLog metrics;
    private final Consumer<String> out;
    private final ProgressFactory progress;
    private final long startNanos = System.nanoTime();
    private final int[] rows;
    private final int[] hostIds;
    private final int[] hostLabels;
    private long stepsDone;

    /**
     * @param seed     drives the data order (the model's own seed drives dropout and masking)
     * @param metrics  where records go, or null
     * @param out      receives the epoch summaries, one line each
     */
    public Trainer(BertModel model, long seed, Options options, MetricsLog metrics, Consumer<String> out,
                   ProgressFactory progress) {
        this.model = model;
        this.seed = seed;
        this.options = options;
        this.metrics = metrics;
        this.out = out;
        this.progress = progress;
        this.rows = new int[model.batch()];
        this.hostIds = new int[model.batch() * model.config().maxLen()];
        this.hostLabels = new int[model.batch()];
    }

    /** Seconds since this trainer was made. */
    public double wallSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /**
     * MLM pretraining over {@code data} for {@code epochs} epochs from {@code start}. A fresh run
     * ({@link Position#START}) starts a new Adam over the pretraining range; a resumed one expects
     * the caller to have restored parameters, optimizer and step counter.
     *
     * @return the position after the last step run: {@code epoch == epochs} when complete,
     *         otherwise where a resumed run continues (stopped by {@code maxSteps})
     */
    public Position pretrain(Examples data, int epochs, Position start, PretrainHooks hooks) {
        checkLength(data);
        if (start.equals(Position.START)) {
            model.startPhase(Phase.PRETRAIN, adamConfig());
        }
        int steps = EpochOrder.stepsPerEpoch(data.size(), model.batch());
        long step = stepCounterValue();
        for (int epoch = start.epoch(); epoch < epochs; epoch++) {
            int[] order = EpochOrder.permutation(seed, Phase.PRETRAIN.ordinal(), epoch, data.size());
            int first = epoch == start.epoch() ? start.stepInEpoch() : 0;
            Window window = new Window();
            String task = String.format(Locale.ROOT, "pretrain %d/%d", epoch + 1, epochs);
            try (Progress bar = progress.create(task, steps)) {
                for (int s = first; s < steps; s++) {
                    if (options.maxSteps() >= 0 && step >= options.maxSteps()) {
                        finishWindow(window, "pretrain", epoch, step, bar, s);
                        Position next = new Position(epoch, s);
                        hooks.checkpoint(next);
                        out.accept(String.format(Locale.ROOT, "pretrain: stopped at step %d (--max-steps); "
                                + "--resume continues at epoch %d step %d", step, epoch + 1, s));
                        return next;
                    }
                    loadBatch(data, order, s, false);
                    model.pretrainStep();
                    step++;
                    window.steps++;
                    if (window.steps == options.lossEvery()) {
                        finishWindow(window, "pretrain", epoch, step, bar, s + 1);
                    }
                    if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0 && s + 1 < steps) {
                        hooks.checkpoint(new Position(epoch, s + 1));
                    }
                }
                finishWindow(window, "pretrain", epoch, step, bar, steps);
            }
            double mean = window.epochLoss / Math.max(1, window.epochSteps);
            out.accept(String.format(Locale.ROOT, "pretrain epoch %d/%d: MLM loss %.4f (%.1f s)", epoch + 1, epochs,
                    mean, wallSeconds()));
            record(new MetricsLog.Metric("epoch", "pretrain", epoch + 1, step, mean, null, null, null, wallSeconds()));
            hooks.afterEpoch(epoch + 1, mean);
            hooks.checkpoint(new Position(epoch + 1, 0));
        }
        return new Position(epochs, 0);
    }

    /**
     * The seed's fine-tuning: {@code frozenEpochs} with the encoder frozen, then
     * {@code unfrozenEpochs} end to end, each phase with a fresh Adam; after every epoch the
     * accuracy on {@code test}.
     */
    public List<ClassifierEpoch> fineTune(Examples train, Examples test, int frozenEpochs, int unfrozenEpochs) {
        checkLength(train);
        checkLength(test);
        List<ClassifierEpoch> results = new ArrayList<>();
        runClassifierPhase(Phase.FROZEN, frozenEpochs, train, test, results);
        runClassifierPhase(Phase.UNFROZEN, unfrozenEpochs, train, test, results);
        return results;
    }

    private void runClassifierPhase(Phase phase, int epochs, Examples train, Examples test, List<ClassifierEpoch> results) {
        if (epochs == 0) {
            return;
        }
        String name = phase == Phase.FROZEN ? "classifier-frozen" : "classifier";
        model.startPhase(phase, adamConfig());
        int steps = EpochOrder.stepsPerEpoch(train.size(), model.batch());
        long step = stepCounterValue();
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = EpochOrder.permutation(seed, phase.ordinal(), epoch, train.size());
            Window window = new Window();
            long correct = 0;
            String task = String.format(Locale.ROOT, "%s %d/%d", name, epoch + 1, epochs);
            try (Progress bar = progress.create(task, steps)) {
                for (int s = 0; s < steps; s++) {
                    loadBatch(train, order, s, true);
                    model.classifierStep(phase == Phase.UNFROZEN);
                    // Accuracy needs the probabilities on the host: the one per-step read of this loop.
                    float[] probs = model.classifier().probabilities().toFloatArray();
                    for (int b = 0; b < probs.length; b++) {
                        correct += (probs[b] >= 0.5f ? 1 : 0) == hostLabels[b] ? 1 : 0;
                    }
                    step++;
                    window.steps++;
                    if (window.steps == options.lossEvery()) {
                        finishWindow(window, name, epoch, step, bar, s + 1);
                    }
                }
                finishWindow(window, name, epoch, step, bar, steps);
            }
            double loss = window.epochLoss / Math.max(1, window.epochSteps);
            double trainAccuracy = correct / (double) ((long) steps * model.batch());
            double testAccuracy = evaluate(test);
            out.accept(String.format(Locale.ROOT, "%s epoch %d/%d: loss %.4f, train accuracy %.4f, test accuracy %.4f",
                    name, epoch + 1, epochs, loss, trainAccuracy, testAccuracy));
            record(new MetricsLog.Metric("epoch", name, epoch + 1, step, loss, trainAccuracy, testAccuracy, null,
                    wallSeconds()));
            results.add(new ClassifierEpoch(phase, epoch + 1, loss, trainAccuracy, testAccuracy));
        }
    }

    /** The share of {@code test} the classifier labels right (probability >= 0.5 means positive). */
    public double evaluate(Examples test) {
        checkLength(test);
        float[] probs = predict(test);
        long correct = 0;
        for (int i = 0; i < probs.length; i++) {
            correct += (probs[i] >= 0.5f ? 1 : 0) == test.label(i) ? 1 : 0;
        }
        return correct / (double) Math.max(1, probs.length);
    }

    /** The classifier's probability of the positive class for every example, in order. */
    public float[] predict(Examples examples) {
        return predict(model, examples);
    }

    /** {@link #predict(Examples)} for any model: batches in order, the last one padded with empty rows. */
    public static float[] predict(BertModel model, Examples examples) {
        int batch = model.batch();
        int len = model.config().maxLen();
        int[] ids = new int[batch * len];
        int[] rowIdx = new int[batch];
        float[] result = new float[examples.size()];
        model.backend().fill(model.batchLabels(), 0.0);
        for (int start = 0; start < examples.size(); start += batch) {
            int n = Math.min(batch, examples.size() - start);
            int[] r = n == batch ? rowIdx : new int[n];
            for (int b = 0; b < n; b++) {
                r[b] = start + b;
            }
            java.util.Arrays.fill(ids, 0);
            examples.ids(r, ids);
            model.batchIds().copyFrom(ids);
            model.classify();
            float[] probs = model.classifier().probabilities().toFloatArray();
            System.arraycopy(probs, 0, result, start, n);
        }
        return result;
    }

    private void loadBatch(Examples data, int[] order, int step, boolean labels) {
        EpochOrder.batchRows(order, step, model.batch(), rows);
        data.ids(rows, hostIds);
        model.batchIds().copyFrom(hostIds);
        if (labels) {
            for (int b = 0; b < rows.length; b++) {
                hostLabels[b] = data.label(rows[b]);
            }
            model.batchLabels().copyFrom(hostLabels);
        }
    }

    private AdamConfig adamConfig() {
        return AdamConfig.KERAS.withLearningRate(model.config().learningRate());
    }

    private long stepCounterValue() {
        return model.stepCounter().toIntArray()[0];
    }

    private void checkLength(Examples data) {
        if (data.length() != model.config().maxLen()) {
            throw new IllegalArgumentException("Trainer: examples length expected " + model.config().maxLen()
                    + " (the model's maxLen) but was " + data.length());
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("Trainer: examples expected at least one but was none");
        }
    }

    /** Steps since the last loss read-back, and the epoch's totals. */
    private static final class Window {
        int steps;
        long startNanos = System.nanoTime();
        double epochLoss;
        int epochSteps;
    }

    private void finishWindow(Window w, String phase, int epoch, long step, Progress bar, long done) {
        if (w.steps == 0) {
            return;
        }
        double sum = model.takeLossSum();
        long now = System.nanoTime();
        double tokensPerSecond = (double) w.steps * model.batch() * model.config().maxLen()
                / Math.max(1e-9, (now - w.startNanos) / 1e9);
        double loss = sum / w.steps;
        w.epochLoss += sum;
        w.epochSteps += w.steps;
        stepsDone += w.steps;
        w.steps = 0;
        w.startNanos = now;
        bar.update(done, loss, tokensPerSecond);
        record(new MetricsLog.Metric("step", phase, epoch + 1, step, loss, null, null, tokensPerSecond, wallSeconds()));
    }

    private void record(MetricsLog.Metric m) {
        if (metrics != null) {
            metrics.record(m);
        }
    }

    /** Training steps this trainer has run. */
    public long stepsDone() {
        return stepsDone;
    }
}
