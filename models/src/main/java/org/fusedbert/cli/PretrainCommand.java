package org.fusedbert.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataSource;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fusedbert pretrain}: MLM pretraining only, resumable. */
@Command(name = "pretrain", description = {
    "MLM pretraining over train+test texts (masks redrawn every epoch); prints the top-5 for the seed's probe "
            + "after each epoch and writes a checkpoint. --resume continues an interrupted run exactly."})
final class PretrainCommand extends TrainingCommand {
    @Option(names = "--resume", paramLabel = "CHECKPOINT",
            description = "continue the unfinished pretraining in this checkpoint (or run) folder")
    Path resume;

    @Override
    public Integer call() {
        validateOptions();
        Consumer<String> log = log();
        Checkpoint ckpt = resume != null ? resumable() : null;
        try (RunFolder folder = ckpt != null && continuesOwnFolder(ckpt)
                ? RunFolder.resumed(ckpt.directory().toAbsolutePath().getParent()) : run.open("pretrain");
             Backend backend = backendOption.open(log)) {
            DataSource source = resolveData(backend, ckpt);
            BertConfig config;
            TrainingData td;
            if (ckpt != null) {
                config = ckpt.config();
                if (modelOptions.anyGiven() && !modelOptions.apply(config).equals(config)) {
                    throw new IllegalArgumentException(ckpt.directory() + ": configuration expected the one given ("
                            + describe(modelOptions.apply(config)) + ") but was " + describe(config));
                }
                td = TrainingData.withVocabulary(source, ckpt.vectorizer(), limit, run.seed, log);
            } else {
                BertConfig requested = requestedConfig(backend);
                td = TrainingData.prepare(source, settings(requested), limit, run.seed, log);
                config = requested.toBuilder().vocabSize(td.vectorizer().vocabularySize()).build();
            }
            try (td) {
                log.accept("config: " + describe(config));
                try (Pipeline p = new Pipeline(backend, config, td.vectorizer(), folder, run.seed, trainerOptions(),
                        backendOption.runner(backend), log)) {
                    p.recordData(source);
                    log.accept("run: " + p.runDir);
                    List<Double> losses = newLosses();
                    boolean done = pretrain(p, td, ckpt, losses);
                    log.accept(done ? "pretrain: done; checkpoint " + p.checkpointDir()
                            : "pretrain: interrupted; continue with ./fusedbert pretrain --resume " + p.checkpointDir());
                }
            }
            folder.completed();
        }
        return 0;
    }

    /** Whether a resume continues its checkpoint's own run folder: unless {@code --run-dir} names another. */
    private boolean continuesOwnFolder(Checkpoint ckpt) {
        Path own = ckpt.directory().toAbsolutePath().getParent();
        try {
            return run.runDir == null || (Files.isDirectory(run.runDir) && Files.isSameFile(run.runDir, own));
        } catch (IOException e) {
            throw new UncheckedIOException("--run-dir " + run.runDir + ": cannot be compared with " + own + ": "
                    + e.getMessage(), e);
        }
    }

    /** The checkpoint {@code --resume} names, which must hold an unfinished pretraining; adopts its seed. */
    private Checkpoint resumable() {
        Checkpoint ckpt = Checkpoint.load(Pipeline.checkpointPath(resume));
        if (ckpt.trainerState() == null) {
            throw new IllegalArgumentException(ckpt.directory() + ": --resume expected an unfinished pretraining "
                    + "but this one is complete");
        }
        long seed = ckpt.trainerState().seed();
        if (spec.commandLine().getParseResult().hasMatchedOption("--seed") && run.seed != seed) {
            throw new IllegalArgumentException(ckpt.directory() + ": --seed expected the run's " + seed
                    + " but was " + run.seed);
        }
        run.seed = seed;
        // The run's sampling and splits, unless given: the printed "continue with" line needs no options.
        var parsed = spec.commandLine().getParseResult();
        String identity = ckpt.trainerState().dataIdentity();
        if (!parsed.hasMatchedOption("--limit") && TrainingData.limitOf(identity) >= 0) {
            limit = TrainingData.limitOf(identity);
        }
        if (!parsed.hasMatchedOption("--pretrain-splits") && TrainingData.splitsOf(identity) != null) {
            pretrainSplits = TrainingData.splitsOf(identity);
        }
        int epochs = ckpt.trainerState().epochs();
        if (mlmEpochs != null && mlmEpochs != epochs) {
            throw new IllegalArgumentException(ckpt.directory() + ": --mlm-epochs expected the run's " + epochs
                    + " (a resumed run keeps its schedule) but was " + mlmEpochs);
        }
        return ckpt;
    }
}
