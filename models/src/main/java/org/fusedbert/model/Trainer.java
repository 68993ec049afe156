package org.fusedbert.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.ParameterLayout.Phase;

/**
 * The training schedule on a {@link BertModel}: MLM pretraining epochs (masks redrawn at every
 * step from the step counter, hence every epoch), then the sentiment classifier with the encoder
 * frozen and then unfrozen, each phase with a fresh Adam, by a {@link FineTuneRecipe} (the seed's,
 * or validated on held-out training reviews keeping the best epoch), and evaluation.
 *
 * <p>Each set of examples is uploaded once ({@link ResidentData}); a step gathers its batch in
 * backend memory and stores its loss and probabilities there. The loop only issues steps (through a
 * {@link StepRunner}, which may replay a captured graph) and starts an asynchronous read of the
 * losses every {@code lossEvery} steps ({@link LossReadback}): inside an epoch the host never waits
 * for the backend, so the loss shown is that of the latest window read, a few steps behind on a
 * device. The epoch's end waits once. Progress goes to a {@link Progress} and every window and
 * epoch to the {@link MetricsLog}.
 */
public final class Trainer {
    /** Where a pretraining run is: the next step to run is {@code stepInEpoch} of {@code epoch} (0-based). */
    /**
     * Where pretraining stands: the epoch, the steps done in it, and the sum and count of the MLM
     * losses read in it so far (so a resumed epoch reports the mean over all its steps, not only
     * those after the resume).
     */
    public record Position(int epoch, int stepInEpoch, double epochLossSum, int epochLossSteps) {
        public static final Position START = new Position(0, 0);

        /** At {@code stepInEpoch} of {@code epoch} with no losses read yet. */
        public Position(int epoch, int stepInEpoch) {
            this(epoch, stepInEpoch, 0, 0);
        }
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

    /**
     * Runs one step. The eager runner just calls it; a device runner may capture the step the
     * first times it sees {@code key} and replay the graph afterwards (a step's body is the same
     * sequence of operations on the same tensors every time).
     */
    @FunctionalInterface
    public interface StepRunner {
        /** Calls {@code step} directly. */
        StepRunner EAGER = (key, step) -> step.run();

        void run(String key, Runnable step);
    }

    /**
     * The result of one sentiment epoch: mean training loss, accuracy on the training batches,
     * accuracy on the held-out validation reviews (null without a validation split) and on the test
     * reviews.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record ClassifierEpoch(Phase phase, int epoch, double trainLoss, double trainAccuracy,
                                  Double validationAccuracy, double testAccuracy) {
        /** Whether this is {@code other}'s phase and epoch. */
        public boolean sameEpoch(ClassifierEpoch other) {
            return other != null && phase == other.phase && epoch == other.epoch;
        }
    }

    /**
     * What fine-tuning gave.
     *
     * @param epochs       every classifier epoch run, in order
     * @param kept         the epoch whose parameters the model ends with when the best epoch was
     *                     restored, null when the last epoch's parameters stand
     * @param testAccuracy the test accuracy of the parameters the model ends with
     */
    public record FineTuneResult(List<ClassifierEpoch> epochs, ClassifierEpoch kept, double testAccuracy) {
    }

    /**
     * How the loop runs.
     *
     * @param lossEvery       steps between asynchronous loss reads (and progress updates)
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
    private final StepRunner runner;
    private final long startNanos = System.nanoTime();
    private long stepsDone;
    private Consumer<ClassifierEpoch> classifierEpochListener = e -> { };

    /**
     * @param seed     drives the data order (the model's own seed drives dropout and masking)
     * @param metrics  where records go, or null
     * @param out      receives the epoch summaries, one line each
     * @param runner   issues each step (eager, or through a captured graph)
     */
    public Trainer(BertModel model, long seed, Options options, MetricsLog metrics, Consumer<String> out,
                   ProgressFactory progress, StepRunner runner) {
        this.model = model;
        this.seed = seed;
        this.options = options;
        this.metrics = metrics;
        this.out = out;
        this.progress = progress;
        this.runner = runner;
    }

    /** Also hands every finished classifier epoch to {@code listener}. */
    public void onClassifierEpoch(Consumer<ClassifierEpoch> listener) {
        classifierEpochListener = listener;
    }

    /** Seconds since this trainer was made. */
    public double wallSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Uploads {@code examples} for this model's steps ({@code withLabels} for the sentiment phases). */
    public ResidentData upload(String name, Examples examples, boolean withLabels) {
        checkLength(examples);
        return new ResidentData(name, model.backend(), examples, withLabels, model.batch());
    }

    /**
     * MLM pretraining over {@code data} for {@code epochs} epochs from {@code start}. A fresh run
     * ({@link Position#START}) starts a new Adam over the pretraining range; a resumed one expects
     * the caller to have restored parameters, optimizer and step counter.
     *
     * @return the position after the last step run: {@code epoch == epochs} when complete,
     *         otherwise where a resumed run continues (stopped by {@code maxSteps})
     */
    public Position pretrain(ResidentData data, int epochs, Position start, PretrainHooks hooks) {
        if (start.equals(Position.START)) {
            model.startPhase(Phase.PRETRAIN, adamConfig());
        }
        int steps = data.steps();
        long step = stepCounterValue();
        record(new MetricsLog.Metric("start", "pretrain", start.epoch() + 1, step, null, null, null, null, null,
                wallSeconds()));
        String key = "pretrain/" + data.key();
        for (int epoch = start.epoch(); epoch < epochs; epoch++) {
            int first = epoch == start.epoch() ? start.stepInEpoch() : 0;
            double epochStart = wallSeconds();
            data.startEpoch(EpochOrder.permutation(seed, Phase.PRETRAIN.ordinal(), epoch, data.size()), first);
            Window window = new Window(data, first);
            if (epoch == start.epoch()) {
                window.epochLoss = start.epochLossSum();
                window.epochSteps = start.epochLossSteps();
            }
            String task = String.format(Locale.ROOT, "pretrain %d/%d", epoch + 1, epochs);
            try (Progress bar = progress.create(task, steps)) {
                for (int s = first; s < steps; s++) {
                    if (options.maxSteps() >= 0 && step >= options.maxSteps()) {
                        finishWindow(window, "pretrain", epoch, step, bar, s);
                        Position next = new Position(epoch, s, window.epochLoss, window.epochSteps);
                        hooks.checkpoint(next);
                        out.accept(String.format(Locale.ROOT, "pretrain: stopped at step %d (--max-steps); "
                                + "--resume continues at epoch %d step %d", step, epoch + 1, s));
                        return next;
                    }
                    runner.run(key, () -> model.pretrainStep(data));
                    step++;
                    readLosses(window, "pretrain", epoch, step, bar, s + 1);
                    if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0 && s + 1 < steps) {
                        finishWindow(window, "pretrain", epoch, step, bar, s + 1);
                        hooks.checkpoint(new Position(epoch, s + 1, window.epochLoss, window.epochSteps));
                    }
                }
                finishWindow(window, "pretrain", epoch, step, bar, steps);
            }
            double mean = window.epochLoss / Math.max(1, window.epochSteps);
            out.accept(String.format(Locale.ROOT, "pretrain epoch %d/%d: MLM loss %.4f (%.1f s; %.1f s in all)",
                    epoch + 1, epochs, mean, wallSeconds() - epochStart, wallSeconds()));
            record(new MetricsLog.Metric("epoch", "pretrain", epoch + 1, step, mean, null, null, null, null,
                    wallSeconds()));
            hooks.afterEpoch(epoch + 1, mean);
            hooks.checkpoint(new Position(epoch + 1, 0));
        }
        return new Position(epochs, 0);
    }

    /**
     * Fine-tunes the classifier by {@code recipe}: {@code frozenEpochs} with the encoder frozen, then
     * {@code unfrozenEpochs} end to end, each phase with a fresh Adam at its learning rate; after
     * every epoch the accuracy on {@code validation} (when given) and on {@code test}. With
     * {@link FineTuneRecipe#restoreBest}, the parameters of the epoch with the best validation
     * accuracy so far are copied aside on the backend (one copy of the flat parameter buffer into
     * a buffer allocated once here) and put back at the end of each phase, and the test accuracy
     * is measured again on what was put back: the test reviews choose nothing.
     *
     * @param validation held-out training reviews with labels, or null (only when the recipe has no
     *                   validation split)
     */
    public FineTuneResult fineTune(ResidentData train, ResidentData validation, ResidentData test,
                                   FineTuneRecipe recipe) {
        if (recipe.validates() != (validation != null)) {
            throw new IllegalArgumentException("Trainer.fineTune: validation examples expected "
                    + (recipe.validates() ? "for the recipe's validation split" : "none (the recipe has no split)")
                    + " but were " + (validation == null ? "none" : validation.size() + " reviews"));
        }
        requireLabels(train);
        requireLabels(test);
        if (validation != null) {
            requireLabels(validation);
        }
        List<ClassifierEpoch> results = new ArrayList<>();
        Tensor values = model.parameters().values();
        try (Tensor snapshot = recipe.restoreBest() ? model.backend().allocate(DType.FLOAT32, values.shape()) : null) {
            Best best = new Best(snapshot);
            runClassifierPhase(Phase.FROZEN, recipe.frozenEpochs(), recipe.frozenLearningRate(), recipe.patience(),
                    train, validation, test, results, best);
            runClassifierPhase(Phase.UNFROZEN, recipe.unfrozenEpochs(), recipe.unfrozenLearningRate(),
                    recipe.patience(), train, validation, test, results, best);
            if (results.isEmpty()) {
                return new FineTuneResult(results, null, evaluate(test));
            }
            ClassifierEpoch last = results.get(results.size() - 1);
            if (snapshot == null) {
                return new FineTuneResult(results, null, last.testAccuracy());
            }
            // The model holds the best epoch's parameters now; measured again unless they are the last epoch's.
            double testAccuracy = best.epoch.sameEpoch(last) ? last.testAccuracy() : evaluate(test);
            out.accept(String.format(Locale.ROOT, "fine-tuning: kept %s epoch %d, chosen by validation accuracy %.4f; "
                    + "its test accuracy %.4f", phaseName(best.epoch.phase()), best.epoch.epoch(),
                    best.epoch.validationAccuracy(), testAccuracy));
            record(new MetricsLog.Metric("kept", phaseName(best.epoch.phase()), best.epoch.epoch(),
                    stepCounterValue(), null, null, best.epoch.validationAccuracy(), testAccuracy, null,
                    wallSeconds()));
            return new FineTuneResult(results, best.epoch, testAccuracy);
        }
    }

    /**
     * The seed's recipe with these epoch counts at the model's learning rate: no validation, the
     * last epoch's parameters stand.
     *
     * @return every classifier epoch, in order
     */
    public List<ClassifierEpoch> fineTune(ResidentData train, ResidentData test, int frozenEpochs, int unfrozenEpochs) {
        FineTuneRecipe seedRecipe = FineTuneRecipe.seed(model.config().learningRate())
                .withEpochs(frozenEpochs, unfrozenEpochs);
        return fineTune(train, null, test, seedRecipe).epochs();
    }

    /** The best classifier epoch by validation accuracy so far, and its parameters (when restoring). */
    private static final class Best {
        final Tensor snapshot;
        ClassifierEpoch epoch;
        /** Whether the model's parameters are the snapshot's (no restore needed). */
        boolean current;

        Best(Tensor snapshot) {
            this.snapshot = snapshot;
        }
    }

    private static String phaseName(Phase phase) {
        return phase == Phase.FROZEN ? "classifier-frozen" : "classifier";
    }

    private void runClassifierPhase(Phase phase, int epochs, float learningRate, int patience, ResidentData train,
                                    ResidentData validation, ResidentData test, List<ClassifierEpoch> results,
                                    Best best) {
        if (epochs == 0) {
            return;
        }
        String name = phaseName(phase);
        model.startPhase(phase, AdamConfig.KERAS.withLearningRate(learningRate));
        int steps = train.steps();
        long step = stepCounterValue();
        String key = name + "/" + train.key();
        int sinceBest = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = EpochOrder.permutation(seed, phase.ordinal(), epoch, train.size());
            train.startEpoch(order, 0);
            Window window = new Window(train, 0);
            String task = String.format(Locale.ROOT, "%s %d/%d", name, epoch + 1, epochs);
            try (Progress bar = progress.create(task, steps)) {
                for (int s = 0; s < steps; s++) {
                    runner.run(key, () -> model.classifierStep(train, phase == Phase.UNFROZEN));
                    step++;
                    readLosses(window, name, epoch, step, bar, s + 1);
                }
                finishWindow(window, name, epoch, step, bar, steps);
            }
            best.current = false;
            // Train accuracy from the probabilities the steps stored: one read per epoch.
            float[] probs = train.probabilities().toFloatArray();
            int[] labels = train.hostLabels();
            long correct = 0;
            for (int i = 0; i < probs.length; i++) {
                correct += (probs[i] >= 0.5f ? 1 : 0) == labels[order[i % order.length]] ? 1 : 0;
            }
            double loss = window.epochLoss / Math.max(1, window.epochSteps);
            double trainAccuracy = correct / (double) probs.length;
            Double validationAccuracy = validation == null ? null : evaluate(validation);
            double testAccuracy = evaluate(test);
            ClassifierEpoch result = new ClassifierEpoch(phase, epoch + 1, loss, trainAccuracy, validationAccuracy,
                    testAccuracy);
            // Strictly better: a tie keeps the earlier (shorter-trained) epoch.
            boolean better = validationAccuracy != null
                    && (best.epoch == null || validationAccuracy > best.epoch.validationAccuracy());
            if (better) {
                best.epoch = result;
                sinceBest = 0;
                if (best.snapshot != null) {
                    model.backend().copy(model.parameters().values(), best.snapshot);
                    best.current = true;
                }
            } else {
                sinceBest++;
            }
            out.accept(String.format(Locale.ROOT, "%s epoch %d/%d: loss %.4f, train accuracy %.4f, %stest accuracy %.4f",
                    name, epoch + 1, epochs, loss, trainAccuracy, validationAccuracy == null ? ""
                            : String.format(Locale.ROOT, "validation accuracy %.4f%s, ", validationAccuracy,
                                    better ? " (best)" : ""), testAccuracy));
            record(new MetricsLog.Metric("epoch", name, epoch + 1, step, loss, trainAccuracy, validationAccuracy,
                    testAccuracy, null, wallSeconds()));
            results.add(result);
            classifierEpochListener.accept(result);
            if (patience > 0 && sinceBest >= patience && epoch + 1 < epochs) {
                out.accept(String.format(Locale.ROOT, "%s: stopped after epoch %d, %d epoch%s without a better "
                        + "validation accuracy (--patience)", name, epoch + 1, sinceBest, sinceBest == 1 ? "" : "s"));
                break;
            }
        }
        if (best.snapshot != null && best.epoch != null && !best.current) {
            // Device to device into the buffer allocated before the phases: no host copy, no allocation.
            model.backend().copy(best.snapshot, model.parameters().values());
            best.current = true;
            out.accept(String.format(Locale.ROOT, "%s: parameters of %s epoch %d put back (best validation accuracy "
                    + "%.4f)", name, phaseName(best.epoch.phase()), best.epoch.epoch(), best.epoch.validationAccuracy()));
        }
    }

    /** The share of {@code test} the classifier labels right (probability >= 0.5 means positive). */
    public double evaluate(ResidentData test) {
        requireLabels(test);
        float[] probs = predict(test);
        int[] labels = test.hostLabels();
        long correct = 0;
        for (int i = 0; i < probs.length; i++) {
            correct += (probs[i] >= 0.5f ? 1 : 0) == labels[i] ? 1 : 0;
        }
        return correct / (double) probs.length;
    }

    /** The classifier's probability of the positive class for every example of {@code data}, in order. */
    public float[] predict(ResidentData data) {
        return predict(model, data, runner);
    }

    /**
     * {@link #predict(ResidentData)} for any model: every batch in order (the last one wraps
     * around; its extra rows are dropped), one read at the end.
     */
    public static float[] predict(BertModel model, ResidentData data, StepRunner runner) {
        int[] identity = new int[data.size()];
        for (int i = 0; i < identity.length; i++) {
            identity[i] = i;
        }
        data.startEpoch(identity, 0);
        String key = "evaluate/" + data.key();
        for (int s = 0; s < data.steps(); s++) {
            runner.run(key, () -> model.evaluationStep(data));
        }
        return data.probabilities().narrow(0, data.size()).toFloatArray();
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

    private static void requireLabels(ResidentData data) {
        if (data.hostLabels() == null) {
            throw new IllegalArgumentException("Trainer: examples " + data.name() + " expected labels but have none");
        }
    }

    /** An epoch's loss windows: the reads in flight, and the totals of the windows read so far. */
    private final class Window {
        final LossReadback reads;
        /** When the last windows were seen read: throughput is steps read per second of wall time. */
        long seenNanos = System.nanoTime();
        double epochLoss;
        int epochSteps;

        Window(ResidentData data, int firstStep) {
            reads = new LossReadback(data, firstStep, options.lossEvery());
        }
    }

    /** After a step ({@code done} of the epoch): starts a read when a window is full; reports the windows read since. */
    private void readLosses(Window w, String phase, int epoch, long step, Progress bar, int done) {
        report(w, w.reads.afterStep(done, step), phase, epoch, bar, done);
    }

    /** Reads the windows up to {@code to} with the epoch's one wait (its end, a stop, a checkpoint). */
    private void finishWindow(Window w, String phase, int epoch, long step, Progress bar, int to) {
        report(w, w.reads.drain(to, step), phase, epoch, bar, to);
    }

    private void report(Window w, List<LossReadback.Window> read, String phase, int epoch, Progress bar, int done) {
        if (read.isEmpty()) {
            return;
        }
        int n = 0;
        for (LossReadback.Window r : read) {
            n += r.steps();
        }
        long now = System.nanoTime();
        double tokensPerSecond = (double) n * model.batch() * model.config().maxLen()
                / Math.max(1e-9, (now - w.seenNanos) / 1e9);
        w.seenNanos = now;
        for (LossReadback.Window r : read) {
            w.epochLoss += r.lossSum();
            w.epochSteps += r.steps();
            stepsDone += r.steps();
            record(new MetricsLog.Metric("step", phase, epoch + 1, r.step(), r.meanLoss(), null, null, null,
                    tokensPerSecond, wallSeconds()));
        }
        LossReadback.Window latest = read.get(read.size() - 1);
        bar.update(done, latest.to(), latest.meanLoss(), tokensPerSecond);
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
