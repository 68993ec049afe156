package org.fusedbert.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataOrigin;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.Examples;
import org.fusedbert.model.FillMask;
import org.fusedbert.model.FineTuneRecipe;
import org.fusedbert.model.MetricsLog;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.Parameters;
import org.fusedbert.model.Progress;
import org.fusedbert.model.ResidentData;
import org.fusedbert.model.Trainer;
import org.fusedbert.model.ValidationSplit;

/**
 * One training run's objects, in the order they are made: the backend, the parameters, the
 * model at the training batch shape, the metrics log and the trainer; and the steps the
 * {@code train}, {@code pretrain} and {@code finetune} commands share.
 */
final class Pipeline implements AutoCloseable {
    /** The seed's probe sentence, printed with its top-5 after every pretraining epoch. */
    static final String SEED_PROBE = "I have watched this [mask] and it was awesome";

    final Backend backend;
    final BertConfig config;
    final TextVectorizer vectorizer;
    final Parameters params;
    final BertModel model;
    final MetricsLog metrics;
    final Trainer trainer;
    final RunFolder folder;
    final Path runDir;
    final long seed;
    private final Trainer.StepRunner runner;
    private final Consumer<String> log;
    private Consumer<List<List<FillMask.Candidate>>> probeListener = result -> { };
    private DataOrigin trainedOn;

    Pipeline(Backend backend, BertConfig config, TextVectorizer vectorizer, RunFolder folder, long seed,
             Trainer.Options options, Trainer.StepRunner runner, Consumer<String> log) {
        this.backend = backend;
        this.config = config;
        this.vectorizer = vectorizer;
        this.folder = folder;
        this.runDir = folder.dir;
        this.seed = seed;
        this.runner = runner;
        this.log = log;
        this.params = new Parameters(backend, config);
        params.initialize(seed);
        this.model = new BertModel(params, seed, config.batchSize(), true);
        this.metrics = new MetricsLog(runDir);
        this.trainer = new Trainer(model, seed, options, metrics, log, (task, total) -> Progress.create(task, total, log),
                runner);
        log.accept(String.format(Locale.ROOT, "model: %,d parameters, activation arena %.1f MiB, backend %s",
                params.layout().parameterCount(), model.workspaceBytes() / 1048576.0, backend.name()));
    }

    /**
     * The reviews of {@code train} that {@code recipe}'s validation split holds out, drawn with
     * {@code seed}; null when the recipe has none.
     */
    static ValidationSplit validationSplit(Examples train, FineTuneRecipe recipe, long seed) {
        return recipe.validates() ? ValidationSplit.stratified(train, recipe.validationFraction(), seed) : null;
    }

    /**
     * Fine-tunes by {@code recipe} on {@code train} less the reviews {@code split} holds out (see
     * {@link #validationSplit}), with the validation and test accuracy after every epoch (all
     * uploaded once for the whole fine-tuning), then writes the fine-tuned checkpoint: the
     * parameters the model ends with, which are the kept epoch's when the recipe restores the best.
     */
    FineTuning fineTune(Examples train, ValidationSplit split, Examples test, FineTuneRecipe recipe) {
        log.accept("fine-tuning: " + recipe.describe());
        Examples training = split == null ? train : split.train(train);
        Examples validation = split == null ? null : split.validation(train);
        if (validation != null) {
            log.accept(String.format(Locale.ROOT, "fine-tuning: %,d of the %,d training reviews held out for "
                    + "validation (seeded, stratified by label), %,d train the classifier", validation.size(),
                    train.size(), training.size()));
        }
        try (ResidentData tr = trainer.upload("train", training, true);
             ResidentData va = validation == null ? null : trainer.upload("validation", validation, true);
             ResidentData te = trainer.upload("test", test, true)) {
            Trainer.FineTuneResult result = trainer.fineTune(tr, va, te, recipe);
            save(Checkpoint.Stage.FINETUNED, null);
            return new FineTuning(result, test.size(), validation == null ? 0 : validation.size());
        }
    }

    /** What fine-tuning gave, with the number of test and validation reviews. */
    record FineTuning(Trainer.FineTuneResult result, int testSize, int validationSize) {
        double testAccuracy() {
            return result.testAccuracy();
        }
    }

    /** Where this run's checkpoint goes. */
    Path checkpointDir() {
        return folder.checkpointDir();
    }

    /** Puts a checkpoint's parameters (and, if it has one, its unfinished pretraining state) into the model. */
    Trainer.Position restore(Checkpoint ckpt, String dataIdentity, boolean resume) {
        ckpt.loadInto(params);
        if (!resume) {
            return Trainer.Position.START;
        }
        Checkpoint.TrainerState s = ckpt.trainerState();
        if (!s.dataIdentity().equals(dataIdentity)) {
            throw new IllegalArgumentException(ckpt.directory() + ": data expected what the run was started on ("
                    + s.dataIdentity() + ") but was " + dataIdentity + " (give --resume the data options the run "
                    + "was started with)");
        }
        model.stepCounter().copyFrom(new int[] {s.stepCounter()});
        model.optimizer().restore(s.range(), adamConfig(), s.adamM(), s.adamV(), s.adamStep());
        log.accept(String.format(Locale.ROOT, "pretrain: resuming %s at epoch %d step %d (step counter %d)",
                ckpt.directory(), s.epoch() + 1, s.stepInEpoch(), s.stepCounter()));
        return new Trainer.Position(s.epoch(), s.stepInEpoch(), s.epochLossSum(), s.epochLossSteps());
    }

    AdamConfig adamConfig() {
        return AdamConfig.KERAS.withLearningRate(config.learningRate());
    }

    /**
     * MLM pretraining with the seed's callback (top-5 for the probe after each epoch) and
     * checkpoints (with the trainer state until the last epoch ends).
     *
     * @return the per-epoch MLM losses of the epochs this call ran
     */
    Trainer.Position pretrain(Examples data, int epochs, Trainer.Position start, String dataIdentity,
                              List<Double> epochLosses) {
        try (ResidentData resident = trainer.upload("pretrain", data, false)) {
            return pretrain(resident, epochs, start, dataIdentity, epochLosses);
        }
    }

    private Trainer.Position pretrain(ResidentData data, int epochs, Trainer.Position start, String dataIdentity,
                                      List<Double> epochLosses) {
        return trainer.pretrain(data, epochs, start, new Trainer.PretrainHooks() {
            @Override
            public void afterEpoch(int epoch, double meanLoss) {
                epochLosses.add(meanLoss);
                printProbe(SEED_PROBE, 5);
            }

            @Override
            public void checkpoint(Trainer.Position next) {
                Checkpoint.TrainerState state = next.epoch() >= epochs ? null : new Checkpoint.TrainerState(epochs,
                        next.epoch(), next.stepInEpoch(), model.stepCounter().toIntArray()[0],
                        model.optimizer().stepCounter().toIntArray()[0], seed, dataIdentity,
                        model.optimizer().range(), model.optimizer().firstMoments().toFloatArray(),
                        model.optimizer().secondMoments().toFloatArray(), next.epochLossSum(), next.epochLossSteps());
                save(Checkpoint.Stage.PRETRAINED, state);
            }
        });
    }

    /** Also hands every epoch's probe result to {@code listener}. */
    void onProbe(Consumer<List<List<FillMask.Candidate>>> listener) {
        probeListener = listener;
    }

    /** Prints the top-{@code k} candidates of every {@code [mask]} of {@code text}. */
    List<List<FillMask.Candidate>> printProbe(String text, int k) {
        List<List<FillMask.Candidate>> result = FillMask.predict(model, vectorizer, text, k);
        probeListener.accept(result);
        log.accept("  \"" + text + "\"");
        for (List<FillMask.Candidate> candidates : result) {
            log.accept("    [mask] -> " + describe(candidates));
        }
        return result;
    }

    static String describe(List<FillMask.Candidate> candidates) {
        StringBuilder sb = new StringBuilder();
        for (FillMask.Candidate c : candidates) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.3f", c.token(), c.probability()));
        }
        return sb.toString();
    }

    /** Makes this run's checkpoints record that they were trained on {@code source}. */
    void recordData(DataSource source) {
        trainedOn = source.origin();
    }

    /** Writes the checkpoint of this run (the first one makes it runs/latest, if it is a default run). */
    void save(Checkpoint.Stage stage, Checkpoint.TrainerState state) {
        try {
            folder.writeCheckpoint(() -> Checkpoint.save(checkpointDir(), params, vectorizer, stage, state, trainedOn));
        } catch (IOException e) {
            throw new UncheckedIOException(checkpointDir() + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
        metrics.writeChart();
    }

    /** Resolves a {@code --checkpoint} argument: a checkpoint folder, or a run folder holding one. */
    static Path checkpointPath(Path given) {
        Path p = given != null ? given : RunOptions.latest().resolve(RunFolder.CHECKPOINT);
        if (Files.isDirectory(p.resolve("checkpoint")) && !Files.exists(p.resolve(Checkpoint.MODEL_FILE))) {
            return p.resolve("checkpoint");
        }
        if (given == null && !Files.exists(p)) {
            throw new IllegalArgumentException("--checkpoint: expected a checkpoint folder but none was given and "
                    + p + " does not exist (run ./fusedbert train first)");
        }
        return p;
    }

    @Override
    public void close() {
        if (runner instanceof AutoCloseable graphs) {
            try {
                graphs.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the captured graphs failed: " + e.getMessage(), e);
            }
        }
        metrics.writeChart();
        metrics.close();
        model.close();
        params.close();
    }
}
