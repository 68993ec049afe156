package org.fusedbert.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.data.DataSource;
import org.fusedbert.data.Split;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.FineTuneRecipe;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.RunSummary;
import org.fusedbert.model.Trainer;
import org.fusedbert.model.ValidationSplit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code fusedbert train}: the main job: pretrain, fine-tune, evaluate. */
@Command(name = "train", description = {
    "The main job: MLM pretraining, then the sentiment classifier (encoder frozen, then unfrozen), then the "
            + "test accuracy. Data as 'prepare' finds it; without IMDB data, the synthetic corpus with a quick "
            + "configuration on CPU."})
final class TrainCommand extends TrainingCommand {
    @Mixin
    FineTuneOptions fineTuning;

    @Override
    public Integer call() throws IOException {
        validateOptions();
        fineTuning.validate();
        Consumer<String> log = log();
        long start = System.nanoTime();
        try (RunFolder folder = run.open("train"); Backend backend = backendOption.open(log)) {
            DataSource source = resolveData(backend, null);
            BertConfig requested = requestedConfig(backend);
            Integer quickEpochs = quick ? QUICK_CLASSIFIER_EPOCHS : null;
            FineTuneRecipe recipe = fineTuning.resolve(requested.learningRate(), quickEpochs, quickEpochs);
            try (TrainingData td = TrainingData.prepare(source, settings(requested), limit, run.seed, log)) {
                BertConfig config = requested.toBuilder().vocabSize(td.vectorizer().vocabularySize()).build();
                log.accept((quick ? "config: quick synthetic-data configuration for CPU (pass any size option, "
                        + "e.g. --hidden 128 --max-len 256, for the seed's): " : "config: ") + describe(config));
                log.accept(String.format(Locale.ROOT, "schedule: %d MLM epochs, %d frozen + %d unfrozen classifier "
                        + "epochs, recipe %s, seed %d", mlmEpochs(), recipe.frozenEpochs(), recipe.unfrozenEpochs(),
                        recipe.name(), run.seed));
                try (Pipeline p = new Pipeline(backend, config, td.vectorizer(), folder, run.seed,
                        trainerOptions(), backendOption.runner(backend), log)) {
                    p.recordData(source);
                    log.accept("run: " + p.runDir);
                    List<Double> losses = newLosses();
                    List<String> probeTop = new ArrayList<>();
                    List<Trainer.ClassifierEpoch> epochs = new ArrayList<>();
                    ValidationSplit split = Pipeline.validationSplit(td.split(Split.TRAIN), recipe, run.seed);
                    int validationSize = split == null ? 0 : split.validationRows().length;
                    Trainer.ClassifierEpoch[] kept = {null};
                    // Rewritten after every epoch, so that a run cut short still has its summary.
                    java.util.function.BiConsumer<Double, Boolean> summary = (accuracy, complete) -> {
                        try {
                            new RunSummary(backend.name(), backendOption.describe(backend), source.description(),
                                    config, losses.size(), losses, Pipeline.SEED_PROBE, probeTop, epochs, recipe,
                                    validationSize, kept[0], accuracy, (System.nanoTime() - start) / 1e9,
                                    p.model.workspaceBytes(), p.params.layout().parameterCount(), complete)
                                    .write(p.runDir);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(p.runDir + ": cannot write the run summary: "
                                    + e.getMessage(), e);
                        }
                    };
                    p.onProbe(candidates -> {
                        probeTop.clear();
                        candidates.get(0).forEach(c -> probeTop.add(String.format(Locale.ROOT, "%s %.3f", c.token(),
                                c.probability())));
                        summary.accept(null, false);
                    });
                    p.trainer.onClassifierEpoch(e -> {
                        epochs.add(e);
                        summary.accept(e.testAccuracy(), false);
                    });
                    if (!pretrain(p, td, null, losses)) {
                        log.accept("train: stopped during pretraining; continue with ./fusedbert pretrain --resume "
                                + p.checkpointDir());
                        folder.completed();
                        return 0;
                    }
                    Pipeline.FineTuning ft = p.fineTune(td.split(Split.TRAIN), split, td.split(Split.TEST), recipe);
                    double accuracy = ft.testAccuracy();
                    double wall = (System.nanoTime() - start) / 1e9;
                    kept[0] = ft.result().kept();
                    summary.accept(accuracy, true);
                    log.accept("summary:");
                    for (int e = 0; e < losses.size(); e++) {
                        log.accept(String.format(Locale.ROOT, "  MLM loss after epoch %d: %.4f", e + 1, losses.get(e)));
                    }
                    Trainer.ClassifierEpoch k = ft.result().kept();
                    log.accept(String.format(Locale.ROOT, "  test accuracy: %.4f (%,d reviews; %s)", accuracy,
                            ft.testSize(), k == null ? "the last epoch's parameters, recipe " + recipe.name()
                                    : String.format(Locale.ROOT, "%s epoch %d kept by validation accuracy %.4f on "
                                            + "%,d held-out training reviews, recipe %s",
                                            k.phase() == Phase.FROZEN ? "frozen" : "unfrozen", k.epoch(),
                                            k.validationAccuracy(), ft.validationSize(), recipe.name())));
                    log.accept(String.format(Locale.ROOT, "  wall time: %.1f s", wall));
                    // runs/latest names default runs only: others need their folder named.
                    String which = folder.namedByLatest() ? "" : " --checkpoint " + p.runDir;
                    log.accept("  checkpoint: " + p.checkpointDir() + " (try ./fusedbert fill-mask" + which + " \""
                            + Pipeline.SEED_PROBE + "\" or ./fusedbert predict" + which + " \"what a wonderful film\")");
                    log.accept("  metrics: " + p.runDir.resolve("metrics.jsonl") + ", " + p.runDir.resolve("loss.png"));
                }
            }
            folder.completed();
        }
        return 0;
    }
}
