package org.fusedbert.cli;

import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.Split;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fusedbert finetune}: the sentiment classifier on a pretrained checkpoint. */
@Command(name = "finetune", description = {
    "Train the sentiment classifier on a checkpoint's encoder: epochs with the encoder frozen, then end to end, "
            + "each with a fresh Adam; prints train loss and accuracy and test accuracy per epoch."})
final class FinetuneCommand extends CheckpointCommand {
    @Mixin
    DataOptions data;

    @Mixin
    RunOptions run;

    @Option(names = "--frozen-epochs", paramLabel = "N", defaultValue = "5",
            description = "epochs with the encoder frozen (default: ${DEFAULT-VALUE})")
    int frozenEpochs;

    @Option(names = "--unfrozen-epochs", paramLabel = "N", defaultValue = "5",
            description = "epochs end to end (default: ${DEFAULT-VALUE})")
    int unfrozenEpochs;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "use a seeded sample of N reviews per split (default: all)")
    int limit;

    @Override
    public Integer call() {
        Consumer<String> log = log();
        Checkpoint ckpt = loadCheckpoint();
        try (Backend backend = backendOption.open(log)) {
            DataSource source = data.resolve(log);
            try (TrainingData td = TrainingData.withVocabulary(source, ckpt.vectorizer(), limit, run.seed, log);
                 Pipeline p = new Pipeline(backend, ckpt.config(), ckpt.vectorizer(), run.createRunDir("finetune"),
                         run.seed, new Trainer.Options(run.lossEvery, -1, 0), backendOption.runner(backend), log)) {
                p.restore(ckpt, null, false);
                log.accept("finetune: from " + ckpt.directory() + ", config: " + TrainingCommand.describe(ckpt.config()));
                Pipeline.FineTuning ft = p.fineTune(td.split(Split.TRAIN), td.split(Split.TEST), frozenEpochs,
                        unfrozenEpochs);
                log.accept(String.format(Locale.ROOT, "finetune: test accuracy %.4f; checkpoint %s", ft.testAccuracy(),
                        p.checkpointDir()));
            }
        }
        return 0;
    }
}
