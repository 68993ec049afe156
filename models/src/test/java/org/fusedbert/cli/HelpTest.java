package org.fusedbert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HelpTest {
    /** The one-line errors say "see ./fusedbert X --help": that must work for every command. */
    @ParameterizedTest
    @ValueSource(strings = {"train", "pretrain", "finetune", "evaluate", "fill-mask", "predict", "prepare", "report", "info"})
    void everyCommandPrintsItsUsageOnHelp(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("Usage: fusedbert " + command), run.out());
    }

    /** Every command answers --version (-V) with the program's version, not an empty line. */
    @ParameterizedTest
    @ValueSource(strings = {"train", "predict", "info"})
    void everyCommandPrintsTheVersion(String command) {
        CliRun run = CliRun.of(command, "-V");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().startsWith("fusedbert "), run.out());
    }
}
