package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bad option value fails at once, in one line naming the option, before a backend opens, data is
 * read or prepared, or a run directory is made (the cache and run folders stay absent).
 */
class OptionValidationTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
        "train|--mlm-epochs -1|--mlm-epochs: expected >= 0 but was -1",
        "train|--frozen-epochs -2|--frozen-epochs: expected >= 0 but was -2",
        "train|--unfrozen-epochs -1|--unfrozen-epochs: expected >= 0 but was -1",
        "train|--limit -5|--limit: expected >= 0 but was -5",
        "train|--max-steps -2|--max-steps: expected >= -1 but was -2",
        "train|--checkpoint-every -1|--checkpoint-every: expected >= 0 but was -1",
        "train|--loss-every 0|--loss-every: expected >= 1 but was 0",
        "train|--unfrozen-lr -1|--unfrozen-lr: expected a learning rate > 0 but was -1.0",
        "train|--validation-split 2|--validation-split: expected a fraction in [0, 0.5] but was 2.0",
        "train|--patience -3|--patience: expected >= 0 but was -3",
        "train|--lr 0|--lr: expected > 0 but was 0.0",
        "train|--batch-size 0|--batch-size: expected > 0 but was 0",
        "train|--batch-size 20000|--batch-size: expected small enough that a step's activations",
        "train|--hidden 100 --heads 8|--heads: expected a divisor of hidden 100 but was 8",
        "train|--pretrain-splits train,foo|--pretrain-splits: expected a comma-separated list of train, test, unsup "
                + "but was train,foo",
        "pretrain|--pretrain-splits foo|--pretrain-splits: expected a comma-separated list of train, test, unsup "
                + "but was foo",
        "pretrain|--mlm-epochs -1|--mlm-epochs: expected >= 0 but was -1",
        "pretrain|--dropout 1.5|--dropout: expected a value in [0, 1) but was 1.5",
        "prepare|--sequence-length 0|--sequence-length: expected >= 1 but was 0",
        "prepare|--vocabulary-size 3|--vocabulary-size: expected >= 4 but was 3",
        "finetune|--frozen-epochs -1|--frozen-epochs: expected >= 0 but was -1",
        "finetune|--loss-every 0|--loss-every: expected >= 1 but was 0",
        "finetune|--frozen-epochs 0 --unfrozen-epochs 0|expected at least one classifier epoch in all but were 0 and 0",
        "train|--synthetic-reviews -3|--synthetic-reviews: expected >= 1 but was -3",
        "evaluate|--limit -1|--limit: expected >= 0 but was -1",
        "train|--run-dir=|--run-dir: expected a folder name but was empty"})
    void badValuesFailBeforeAnyWork(String command, String option, String message) {
        assertFailsEarly(command, "cpu", option, message);
    }

    /** The simulator, like a GPU, has attention kernels for head dimensions 16, 32, 64 and 128 only. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"train", "pretrain"})
    void aHeadDimensionWithoutKernelsFailsBeforeTheDataIsPrepared(String command) {
        assertFailsEarly(command, "sim", "--hidden 72 --heads 8",
                "--hidden 72 / --heads 8: head dimension expected one of [16, 32, 64, 128] on sim but was 9");
    }

    private void assertFailsEarly(String command, String backend, String option, String message) {
        Path cache = tmp.resolve("cache"), runDir = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of(command, "--cache-dir", cache.toString()));
        if (!command.equals("prepare")) {
            args.addAll(List.of("--backend", backend));
        }
        if (!command.equals("prepare") && !command.equals("evaluate") && !option.startsWith("--run-dir")) {
            args.addAll(List.of("--run-dir", runDir.toString()));
        }
        args.addAll(List.of(option.split(" ")));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertTrue(run.failedWithOneLine(), run.code() + ": " + run.err());
        assertTrue(run.err().contains(message), run.err());
        assertFalse(Files.exists(cache), "data was prepared before the option was checked");
        assertFalse(Files.exists(runDir), "a run directory was made before the option was checked");
    }
}
