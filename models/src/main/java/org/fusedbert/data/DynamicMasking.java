package org.fusedbert.data;

import org.fusedbert.api.MaskingSpec;

/**
 * The data-side view of MLM masking: which step's draw a batch gets, and the masks themselves
 * for host batches (tools and tests; training applies the same rule on the device through
 * {@code Backend.mlmMask} with the same step).
 *
 * <p>The rule is {@link MaskingSpec}'s (15% of real tokens selected; of those 80% {@code [mask]},
 * 10% a random non-special id, 10% kept; padding and {@code [UNK]} never selected). Unlike the
 * seed, the most frequent word (id 2) can be masked too: the seed's exclusion of it is a quirk we
 * deliberately do not copy.
 *
 * <p>With dynamic masking (the default) batch {@code b} of epoch {@code e} draws with step
 * {@code e * batchesPerEpoch + b}, the training step counter, so the same review gets a fresh
 * mask every epoch. Static masking uses step {@code b} in every epoch: the same batch gets the
 * same mask again, as when masks are drawn once in preprocessing.
 */
public final class DynamicMasking {
    private final MaskingSpec spec;
    private final int batchesPerEpoch;
    private final boolean redrawEachEpoch;

    /**
     * @param spec            the rule and its seed
     * @param batchesPerEpoch batches in one epoch (at least 1)
     * @param redrawEachEpoch true for dynamic masking (new masks each epoch), false for static
     */
    public DynamicMasking(MaskingSpec spec, int batchesPerEpoch, boolean redrawEachEpoch) {
        if (batchesPerEpoch < 1) {
            throw DataErrors.fail("masking: batchesPerEpoch", "at least 1", Integer.toString(batchesPerEpoch));
        }
        this.spec = spec;
        this.batchesPerEpoch = batchesPerEpoch;
        this.redrawEachEpoch = redrawEachEpoch;
    }

    /** BERT's rule with dynamic masking, for a vocabulary whose last id is {@code maskId}. */
    public static DynamicMasking bert(long seed, int maskId, int batchesPerEpoch) {
        return new DynamicMasking(MaskingSpec.bert(seed, maskId), batchesPerEpoch, true);
    }

    /** The rule. */
    public MaskingSpec spec() {
        return spec;
    }

    /** The step whose draws batch {@code batch} of epoch {@code epoch} uses (what the trainer's step counter holds). */
    public int step(int epoch, int batch) {
        if (epoch < 0 || batch < 0 || batch >= batchesPerEpoch) {
            throw DataErrors.fail("masking: epoch/batch", "epoch >= 0 and batch in [0, " + batchesPerEpoch + ")",
                    epoch + "/" + batch);
        }
        if (!redrawEachEpoch) {
            return batch;
        }
        long step = (long) epoch * batchesPerEpoch + batch;
        if (step > Integer.MAX_VALUE) {
            throw DataErrors.fail("masking: step", "at most " + Integer.MAX_VALUE, Long.toString(step));
        }
        return (int) step;
    }

    /**
     * Masks one host batch: {@code ids} is {@code [batch, length]} row-major; {@code maskedIds}
     * receives the corrupted input and {@code labels} the original id at selected positions, -1
     * elsewhere.
     */
    public void apply(int epoch, int batch, int[] ids, int[] maskedIds, int[] labels) {
        spec.apply(ids, step(epoch, batch), maskedIds, labels);
    }
}
