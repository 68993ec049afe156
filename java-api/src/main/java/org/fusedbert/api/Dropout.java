package org.fusedbert.api;

/**
 * Inverted dropout driven by the counter-based {@link Philox} generator: element {@code i} of a
 * call (its row-major index in the dropped tensor, viewed as {@code [rows, cols]}) is kept when
 * {@code Philox.uniform(seed, i, site, step, Philox.DOMAIN_DROPOUT) >= rate}, with {@code step}
 * read from {@code stepCounter[0]}; a kept element becomes {@code x * scale()} (one float32
 * multiplication), a dropped one 0. The mask is never stored; the backward regenerates it from the
 * same (seed, site, step).
 *
 * @param rate        probability of dropping an element, in [0, 1); 0 disables dropout
 * @param seed        the run's seed
 * @param site        which dropout in the model this is (a small constant per call site)
 * @param stepCounter an int32 tensor of one element holding the training step: it lives in backend
 *                    memory so that a captured graph draws a fresh mask at each replay; may be
 *                    {@code null} when {@code rate == 0}
 */
public record Dropout(float rate, long seed, int site, Tensor stepCounter) {
    /** No dropout (inference). */
    public static final Dropout NONE = new Dropout(0f, 0L, 0, null);

    public Dropout {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("Dropout: rate expected in [0, 1) but was " + rate);
        }
        if (rate > 0f && stepCounter == null) {
            throw new IllegalArgumentException("Dropout: stepCounter expected (a one-element int32 tensor) but was null");
        }
    }

    /** The factor applied to kept elements: {@code 1f / (1f - rate)}, computed in float32. */
    public float scale() {
        return 1f / (1f - rate);
    }

    /** Whether this drops anything. */
    public boolean active() {
        return rate > 0f;
    }
}
