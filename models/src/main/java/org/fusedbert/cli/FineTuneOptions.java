package org.fusedbert.cli;

import java.util.ArrayList;
import java.util.List;
import org.fusedbert.model.FineTuneRecipe;
import picocli.CommandLine.Option;

/**
 * How {@code train} and {@code finetune} fine-tune the classifier ({@code @Mixin}): a named
 * {@link FineTuneRecipe} and options that change any of its settings.
 */
public final class FineTuneOptions {
    @Option(names = "--recipe", paramLabel = "NAME", defaultValue = "validated",
            description = "fine-tuning recipe: validated (default: the seed's epochs and learning rates, 10%% of the "
                    + "training reviews held out, the epoch with the best validation accuracy kept) or seed (the "
                    + "seed's schedule: no validation, the last epoch kept)")
    String recipe = "validated";

    @Option(names = "--frozen-epochs", paramLabel = "N", description = "classifier epochs with the encoder frozen (seed: 5)")
    Integer frozenEpochs;

    @Option(names = "--unfrozen-epochs", paramLabel = "N", description = "classifier epochs end to end (seed: 5)")
    Integer unfrozenEpochs;

    @Option(names = "--frozen-lr", paramLabel = "LR", description = "Adam learning rate of the frozen phase "
            + "(default: --lr, 0.001)")
    Float frozenLearningRate;

    @Option(names = "--unfrozen-lr", paramLabel = "LR", description = "Adam learning rate of the unfrozen phase "
            + "(default: --lr, 0.001)")
    Float unfrozenLearningRate;

    @Option(names = "--validation-split", paramLabel = "FRACTION", description = "share of the training reviews held "
            + "out of training to validate every classifier epoch on, 0 for none (validated: 0.1; seed: 0)")
    Double validationSplit;

    @Option(names = "--restore-best", negatable = true, description = "keep the parameters of the classifier epoch "
            + "with the best validation accuracy, put back at the end of each phase (validated: on; seed: off)")
    Boolean restoreBest;

    @Option(names = "--patience", paramLabel = "N", description = "end a classifier phase after N epochs without "
            + "a better validation accuracy, 0 to run them all (default: 0)")
    Integer patience;

    /**
     * Rejects option values no recipe can take, naming the option, before any data is read: the
     * epoch counts here, the rest by resolving the recipe as given (learning rates, split, patience).
     */
    void validate() {
        OptionChecks.atLeast("--frozen-epochs", frozenEpochs, 0);
        OptionChecks.atLeast("--unfrozen-epochs", unfrozenEpochs, 0);
        resolve(0.001f, null, null);
    }

    /**
     * The recipe: the named one at the model's {@code learningRate}, its epochs
     * {@code defaultFrozen} and {@code defaultUnfrozen} where given (a quick configuration's), then
     * every option given. The name says which options changed it.
     */
    FineTuneRecipe resolve(float learningRate, Integer defaultFrozen, Integer defaultUnfrozen) {
        FineTuneRecipe base = FineTuneRecipe.named(recipe, learningRate);
        List<String> changed = new ArrayList<>();
        int frozen = pick(frozenEpochs, defaultFrozen, base.frozenEpochs(), "--frozen-epochs", changed);
        int unfrozen = pick(unfrozenEpochs, defaultUnfrozen, base.unfrozenEpochs(), "--unfrozen-epochs", changed);
        float frozenLr = pick(frozenLearningRate, null, base.frozenLearningRate(), "--frozen-lr", changed);
        float unfrozenLr = pick(unfrozenLearningRate, null, base.unfrozenLearningRate(), "--unfrozen-lr", changed);
        double fraction = pick(validationSplit, null, base.validationFraction(), "--validation-split", changed);
        // Without a split there is nothing to restore from: turning the split off turns restoring off.
        boolean restore = pick(restoreBest, null, base.restoreBest() && fraction > 0, "--restore-best", changed);
        int wait = pick(patience, null, base.patience(), "--patience", changed);
        String name = changed.isEmpty() ? base.name() : base.name() + " with " + String.join(" ", changed);
        return new FineTuneRecipe(name, frozen, unfrozen, frozenLr, unfrozenLr, fraction, restore, wait);
    }

    private static <T> T pick(T given, T quickDefault, T recipeDefault, String option, List<String> changed) {
        if (given != null) {
            if (!given.equals(recipeDefault)) {
                changed.add(given instanceof Boolean on ? (on ? option : option.replaceFirst("--", "--no-"))
                        : option + " " + (given instanceof Float f ? FineTuneRecipe.formatRate(f) : given));
            }
            return given;
        }
        return quickDefault != null ? quickDefault : recipeDefault;
    }
}
