package org.fusedbert.testing;

import java.util.Random;

/**
 * Fresh random seeds for tests, printed so that a failure can be reproduced: run again with
 * {@code -Dfusedbert.test.seed=<seed>} to get the same inputs.
 */
public final class Seeds {
    private Seeds() {
    }

    /** The seed for {@code what}: the system property when set, else a fresh one; printed either way. */
    public static long seed(String what) {
        Long fixed = Long.getLong("fusedbert.test.seed");
        long seed = fixed != null ? fixed : System.nanoTime() ^ what.hashCode();
        System.out.println("[seed] " + what + ": " + seed + " (rerun with -Dfusedbert.test.seed=" + seed + ")");
        return seed;
    }

    /** A generator seeded by {@link #seed}. */
    public static Random random(String what) {
        return new Random(seed(what));
    }
}
