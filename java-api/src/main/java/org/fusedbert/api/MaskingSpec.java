package org.fusedbert.api;

/**
 * The masked-language-model corruption rule (BERT's, as the Keras example applies it): each real
 * token (id &gt;= 2: not padding 0, not {@code [UNK]} 1) is selected with probability
 * {@code selectRate}; a selected token becomes {@code maskId} with probability {@code maskRate},
 * a uniformly random non-special id in {@code [2, maskId)} with probability {@code randomRate},
 * and stays itself otherwise. Labels hold the original id at selected positions and -1 elsewhere.
 *
 * <p>For token position {@code p} of a batch (row-major over {@code [batch, length]}) the three
 * draws are words 0, 1 and 2 of {@code Philox.block(seed, p, 0, step, Philox.DOMAIN_MASKING)}:
 * select when {@code u0 < selectRate}; then mask when {@code u1 < maskRate}, random when
 * {@code u1 < maskRate + randomRate}; the random id is {@code 2 + mulhi(word2, maskId - 2)}.
 *
 * @param seed       the run's seed
 * @param selectRate probability a real token is selected (0.15)
 * @param maskRate   share of selected tokens replaced by the mask id (0.8)
 * @param randomRate share replaced by a random id (0.1)
 * @param maskId     the {@code [mask]} id: the last id of the vocabulary
 */
public record MaskingSpec(long seed, float selectRate, float maskRate, float randomRate, int maskId) {
    public MaskingSpec {
        if (!(selectRate >= 0f && selectRate <= 1f)) {
            throw new IllegalArgumentException("MaskingSpec: selectRate expected in [0, 1] but was " + selectRate);
        }
        if (!(maskRate >= 0f && randomRate >= 0f && maskRate + randomRate <= 1f)) {
            throw new IllegalArgumentException("MaskingSpec: maskRate + randomRate expected in [0, 1] but was "
                    + maskRate + " + " + randomRate);
        }
        if (maskId < 3) {
            throw new IllegalArgumentException("MaskingSpec: maskId expected >= 3 but was " + maskId);
        }
    }

    /** BERT's 15% / 80-10-10 rule. */
    public static MaskingSpec bert(long seed, int maskId) {
        return new MaskingSpec(seed, 0.15f, 0.8f, 0.1f, maskId);
    }

    /**
     * The rule at one position: returns the label in the high 32 bits (-1 when not selected) and
     * the corrupted id in the low 32 bits. Only ids &gt;= 2 can be selected (the Keras example also
     * never masks id 2, its most frequent word; that quirk is deliberately not copied).
     *
     * @param id       the original id, in [0, maskId]
     * @param position the token's index within the batch, row-major over [batch, length]
     * @param step     the draw's step (see {@link Backend#mlmMask})
     */
    public long draw(int id, int position, int step) {
        if (id < 2) {
            return (-1L << 32) | (id & 0xFFFFFFFFL);
        }
        int[] w = new int[4];
        Philox.block(seed, position, 0, step, Philox.DOMAIN_MASKING, w);
        if (!(Philox.toUniform(w[0]) < selectRate)) {
            return (-1L << 32) | (id & 0xFFFFFFFFL);
        }
        float u1 = Philox.toUniform(w[1]);
        int corrupted;
        if (u1 < maskRate) {
            corrupted = maskId;
        } else if (u1 < maskRate + randomRate) {
            corrupted = 2 + Philox.mulhi(w[2], maskId - 2);
        } else {
            corrupted = id;
        }
        return ((long) id << 32) | (corrupted & 0xFFFFFFFFL);
    }

    /**
     * Applies the rule to a whole batch held in host arrays (position = array index).
     *
     * @throws IllegalArgumentException if an id is outside [0, maskId] or the lengths differ
     */
    public void apply(int[] ids, int step, int[] maskedIds, int[] labels) {
        if (maskedIds.length != ids.length || labels.length != ids.length) {
            throw Checks.fail("mlmMask", "maskedIds/labels", ids.length + " elements",
                    maskedIds.length + "/" + labels.length);
        }
        for (int p = 0; p < ids.length; p++) {
            if (ids[p] < 0 || ids[p] > maskId) {
                throw Checks.fail("mlmMask", "ids[" + p + "]", "a value in [0, " + maskId + "]", ids[p]);
            }
            long d = draw(ids[p], p, step);
            maskedIds[p] = (int) d;
            labels[p] = (int) (d >> 32);
        }
    }
}
