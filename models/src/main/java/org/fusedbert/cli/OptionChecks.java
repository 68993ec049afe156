package org.fusedbert.cli;

/** Range checks of numeric options, failing with the option's name as the user typed it. */
final class OptionChecks {
    private OptionChecks() {
    }

    /** Fails unless {@code value} (null: not given) is at least {@code min}. */
    static void atLeast(String option, Number value, long min) {
        if (value != null && value.longValue() < min) {
            throw new IllegalArgumentException(option + ": expected >= " + min + " but was " + value);
        }
    }
}
