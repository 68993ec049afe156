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
}
