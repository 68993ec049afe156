package org.fusedbert.cli;

import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.Split;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.FineTuneRecipe;
import org.fusedbert.model.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusedbert finetune}: the sentiment classifier on a pretrained checkpoint. */
@Command(name = "finetune", description = {
    "Train the sentiment classifier on a checkpoint's encoder: epochs with the encoder frozen, then end to end, "
            + "each with a fresh Adam, by a recipe (--recipe); prints train loss and accuracy, validation and test "
            + "accuracy per epoch."})
final class FinetuneCommand extends CheckpointCommand {
    @Mixin
    DataOptions data;

    @Mixin
    RunOptions run;

    @Mixin
    FineTuneOptions fineTuning;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "use a seeded sample of N reviews per split (default: all)")
    int limit;

    @Override
    public Integer call() {
        OptionChecks.atLeast("--limit", limit, 0);
        OptionChecks.atLeast("--loss-every", run.lossEvery, 1);
        fineTuning.validate();
        if (fineTuning.frozenEpochs != null && fineTuning.unfrozenEpochs != null
                && fineTuning.frozenEpochs + fineTuning.unfrozenEpochs == 0) {
            throw new IllegalArgumentException("--frozen-epochs / --unfrozen-epochs: expected at least one classifier "
                    + "epoch in all but were 0 and 0 (the checkpoint would be an untrained classifier)");
        }
        Consumer<String> log = log();
        Checkpoint ckpt = loadCheckpoint();
        try (RunFolder folder = run.open("finetune"); Backend backend = backendOption.open(log)) {
            // A checkpoint that does not record its data: a quick run's is the quick run's synthetic corpus.
            if (ckpt.data() == null && TrainingCommand.isQuick(ckpt.config())) {
                TrainingCommand.useQuickCorpus(spec, data);
            }
            DataSource source = data.resolve(ckpt.data(), log);
            try (TrainingData td = TrainingData.withVocabulary(source, ckpt.vectorizer(), limit, run.seed, log);
                 Pipeline p = new Pipeline(backend, ckpt.config(), ckpt.vectorizer(), folder,
                         run.seed, new Trainer.Options(run.lossEvery, -1, 0), backendOption.runner(backend), log)) {
                p.recordData(source);
                p.restore(ckpt, null, false);
                log.accept("finetune: from " + ckpt.directory() + ", config: " + TrainingCommand.describe(ckpt.config()));
                FineTuneRecipe recipe = fineTuning.resolve(ckpt.config().learningRate(), null, null);
                Pipeline.FineTuning ft = p.fineTune(td.split(Split.TRAIN),
                        Pipeline.validationSplit(td.split(Split.TRAIN), recipe, run.seed), td.split(Split.TEST), recipe);
                log.accept(String.format(Locale.ROOT, "finetune: test accuracy %.4f; checkpoint %s", ft.testAccuracy(),
                        p.checkpointDir()));
            }
            folder.completed();
        }
        return 0;
    }
}
