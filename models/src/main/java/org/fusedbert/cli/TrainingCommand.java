package org.fusedbert.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.PreparedData;
import org.fusedbert.data.Split;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.kernels.AttentionKernels;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code train} and {@code pretrain} share: the data, model, backend and run options, the
 * choice of configuration, and pretraining (fresh or resumed).
 */
abstract class TrainingCommand implements Callable<Integer> {
    /**
     * The configuration {@code train} picks for the synthetic corpus on CPU, sized so that a
     * 2-core machine runs the whole job in a minute or two: short sequences (synthetic reviews are
     * mostly under 64 tokens), a narrower encoder, fewer reviews and epochs.
     */
    static final BertConfig QUICK = BertConfig.SEED.toBuilder().maxLen(64).hidden(64).heads(4).ffDim(128).build();
    static final int QUICK_REVIEWS = 2000;
    static final int QUICK_MLM_EPOCHS = 3;
    static final int QUICK_CLASSIFIER_EPOCHS = 2;

    @Mixin
    DataOptions data;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    BackendOption backendOption;

    @Mixin
    RunOptions run;

    @Option(names = "--mlm-epochs", paramLabel = "N", description = "MLM pretraining epochs (seed: 5)")
    Integer mlmEpochs;

    @Option(names = "--pretrain-splits", paramLabel = "SPLITS", defaultValue = "train,test",
            description = "splits the MLM pretraining reads, as the seed (default: ${DEFAULT-VALUE}; unsup needs --unsup)")
    String pretrainSplits;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "use a seeded sample of N reviews per split (default: all)")
    int limit;

    @Option(names = "--max-steps", paramLabel = "STEPS", defaultValue = "-1",
            description = "stop pretraining once the run has taken this many steps in all (a resumed run counts "
                    + "its earlier ones), with a resumable checkpoint (default: no limit)")
    long maxSteps;

    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "0",
            description = "also checkpoint every STEPS pretraining steps (default: at epoch ends only)")
    int checkpointEvery;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whether this run uses {@link #QUICK}. */
    boolean quick;

    Consumer<String> log() {
        return Main.printer(spec);
    }

    /**
     * Rejects bad option values before a backend opens, data is read or a run folder is made, naming
     * the option: counts, step options and the pretraining splits' names here; the model's sizes by building them on the seed's configuration (what
     * they apply to whenever one is given).
     */
    void validateOptions() {
        OptionChecks.atLeast("--mlm-epochs", mlmEpochs, 0);
        OptionChecks.atLeast("--limit", limit, 0);
        OptionChecks.atLeast("--max-steps", maxSteps, -1);
        OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 0);
        OptionChecks.atLeast("--loss-every", run.lossEvery, 1);
        pretrainSplits();
        if (modelOptions.anyGiven()) {
            modelOptions.apply(BertConfig.SEED);
        }
    }

    Trainer.Options trainerOptions() {
        return new Trainer.Options(run.lossEvery, maxSteps, checkpointEvery);
    }

    /**
     * Resolves the data and decides the configuration: the seed's, or {@link #QUICK} when the data
     * is synthetic, the backend is the CPU and no model option was given ({@code resumeFrom}, when
     * not null, keeps its checkpoint's, and its recorded data unless data options are given; an older
     * quick run's checkpoint without that record resumes on the quick run's synthetic corpus, as it
     * was started). Epoch options change the schedule only.
     */
    DataSource resolveData(Backend backend, Checkpoint resumeFrom) {
        Consumer<String> log = log();
        boolean wantsQuick = backend.name().equals("cpu") && !modelOptions.anyGiven() && resumeFrom == null;
        if (wantsQuick || (resumeFrom != null && resumeFrom.data() == null && isQuick(resumeFrom.config()))) {
            useQuickCorpus(spec, data);
        }
        DataSource source = resumeFrom == null ? data.resolve(log) : data.resolve(resumeFrom.data(), log);
        quick = wantsQuick && source.synthetic();
        return source;
    }

    /** Whether {@code config} is {@link #QUICK}'s (its vocabulary size is the data's). */
    static boolean isQuick(BertConfig config) {
        return config.toBuilder().vocabSize(QUICK.vocabSize()).build().equals(QUICK);
    }

    /**
     * The synthetic corpus's size of a quick run, unless {@code --synthetic-reviews} says otherwise
     * (only used if no IMDB data is found).
     */
    static void useQuickCorpus(CommandLine.Model.CommandSpec spec, DataOptions data) {
        if (!spec.commandLine().getParseResult().hasMatchedOption("--synthetic-reviews")) {
            data.syntheticReviews = QUICK_REVIEWS;
        }
    }

    /**
     * The configuration to train on {@code backend}: checked here, before data is prepared, for a
     * head dimension the backend has attention kernels for (a device's are compiled per head
     * dimension; the CPU takes any).
     */
    BertConfig requestedConfig(Backend backend) {
        BertConfig config = modelOptions.apply(quick ? QUICK : BertConfig.SEED);
        int headDim = config.hidden() / config.heads();
        if (backend instanceof DeviceBackend && !AttentionKernels.HEAD_DIMS.contains(headDim)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--hidden %d / --heads %d: head dimension "
                    + "expected one of %s on %s but was %d (the cpu backend takes any)", config.hidden(),
                    config.heads(), AttentionKernels.HEAD_DIMS, backend.name(), headDim));
        }
        return config;
    }

    int mlmEpochs() {
        return mlmEpochs != null ? mlmEpochs : quick ? QUICK_MLM_EPOCHS : 5;
    }

    List<Split> pretrainSplits() {
        return TrainingData.parseSplits(pretrainSplits);
    }

    static PreparedData.Settings settings(BertConfig config) {
        return new PreparedData.Settings(config.vocabSize(), config.maxLen(), PreparedData.VocabularyTexts.TRAIN);
    }

    static String describe(BertConfig c) {
        return String.format(Locale.ROOT, "vocabulary %,d, length %d, hidden %d, %d heads, FF %d, %d layer%s, "
                        + "dropout %.2f, batch %d, lr %.4g, %s", c.vocabSize(), c.maxLen(), c.hidden(), c.heads(),
                c.ffDim(), c.layers(), c.layers() == 1 ? "" : "s", c.dropout(), c.batchSize(), c.learningRate(),
                c.attendPadding() ? "attention sees padding (seed)" : "key-padding mask");
    }

    /**
     * Runs (or resumes) the pretraining of {@code pipeline} on {@code td}'s pretraining splits.
     *
     * @return whether pretraining completed (false: stopped by --max-steps)
     */
    boolean pretrain(Pipeline pipeline, TrainingData td, Checkpoint resumeFrom, List<Double> losses) {
        List<Split> splits = pretrainSplits();
        String identity = td.identity(splits);
        int epochs = resumeFrom != null ? resumeFrom.trainerState().epochs() : mlmEpochs();
        Trainer.Position start = resumeFrom != null ? pipeline.restore(resumeFrom, identity, true) : Trainer.Position.START;
        var examples = td.splits(splits);
        log().accept(String.format(Locale.ROOT, "pretrain: %d MLM epochs over %,d reviews (%s), %d steps per epoch",
                epochs, examples.size(), pretrainSplits, (examples.size() + pipeline.config.batchSize() - 1)
                        / pipeline.config.batchSize()));
        Trainer.Position end = pipeline.pretrain(examples, epochs, start, identity, losses);
        return end.epoch() >= epochs;
    }

    static List<Double> newLosses() {
        return new ArrayList<>();
    }
}
