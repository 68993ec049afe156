package org.fusedbert.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fusedbert.api.MaskingSpec;
import org.junit.jupiter.api.Test;

/**
 * Statistics of the MLM masks over a batch of encoded synthetic reviews (about 55,000 real tokens,
 * about 8,000 selected). Tolerances are about six standard deviations of the binomial counts, so
 * a failure means a wrong rule, not bad luck: selection 0.15 ± 0.01, [mask] 0.80 ± 0.03, random
 * and kept 0.10 ± 0.02 each.
 */
class DynamicMaskingTest {
    private static final int ROWS = 1000;
    private static final int LENGTH = 128;
    private static final TextVectorizer VECTORIZER;
    private static final int[] IDS = new int[ROWS * LENGTH];

    static {
        List<Review> reviews = new SyntheticReviews(11).corpus(ROWS).split(Split.TRAIN);
        // A small vocabulary, so that some tokens are [UNK] (never to be masked).
        VECTORIZER = TextVectorizer.adapt(reviews.stream().map(Review::text).toList(), 120, LENGTH);
        for (int r = 0; r < ROWS; r++) {
            VECTORIZER.encode(reviews.get(r).text(), IDS, r * LENGTH);
        }
    }

    private final int maskId = VECTORIZER.maskId();
    private final DynamicMasking masking = DynamicMasking.bert(1234, maskId, 10);

    @Test
    void batchHasPaddingUnknownAndRealTokens() {
        int pad = 0, unk = 0;
        for (int id : IDS) {
            pad += id == TextVectorizer.PAD_ID ? 1 : 0;
            unk += id == TextVectorizer.UNK_ID ? 1 : 0;
        }
        assertTrue(pad > 10_000 && unk > 1_000 && IDS.length - pad - unk > 50_000, pad + " pad, " + unk + " unk");
    }

    @Test
    void fifteenPercentOfRealTokensSelectedThen80_10_10() {
        int[] masked = new int[IDS.length], labels = new int[IDS.length];
        masking.apply(0, 0, IDS, masked, labels);
        int real = 0, selected = 0, asMask = 0, random = 0, kept = 0, topWordReal = 0, topWordSelected = 0;
        for (int p = 0; p < IDS.length; p++) {
            int id = IDS[p];
            if (id < 2) {
                assertEquals(-1, labels[p], "padding and [UNK] are never selected");
                assertEquals(id, masked[p]);
                continue;
            }
            real++;
            topWordReal += id == 2 ? 1 : 0;
            if (labels[p] == -1) {
                assertEquals(id, masked[p], "unselected tokens stay");
                continue;
            }
            selected++;
            topWordSelected += id == 2 ? 1 : 0;
            assertEquals(id, labels[p], "the label is the original id");
            if (masked[p] == maskId) {
                asMask++;
            } else if (masked[p] != id) {
                random++;
                assertTrue(masked[p] >= 2 && masked[p] < maskId, "random ids are not special: " + masked[p]);
            } else {
                kept++; // includes random draws that hit the original id (1 in 117 of the 10%)
            }
        }
        assertEquals(0.15, (double) selected / real, 0.01, "selection rate over " + real + " real tokens");
        assertEquals(0.80, (double) asMask / selected, 0.03, "[mask] share of " + selected);
        assertEquals(0.10, (double) random / selected, 0.02, "random share");
        assertEquals(0.10, (double) kept / selected, 0.02, "kept share");
        // Unlike the seed, the most frequent word (id 2) is masked like any other.
        assertEquals(0.15, (double) topWordSelected / topWordReal, 0.04, "id 2 selection over " + topWordReal);
    }

    @Test
    void reproducibleForASeedAndRedrawnEachEpoch() {
        int[] m0 = new int[IDS.length], l0 = new int[IDS.length], again = new int[IDS.length], l0b = new int[IDS.length];
        masking.apply(0, 3, IDS, m0, l0);
        DynamicMasking.bert(1234, maskId, 10).apply(0, 3, IDS, again, l0b);
        assertArrayEquals(m0, again);
        assertArrayEquals(l0, l0b);

        int[] m1 = new int[IDS.length], l1 = new int[IDS.length];
        masking.apply(1, 3, IDS, m1, l1);
        int both = 0, first = 0;
        for (int p = 0; p < IDS.length; p++) {
            first += l0[p] != -1 ? 1 : 0;
            both += l0[p] != -1 && l1[p] != -1 ? 1 : 0;
        }
        // Independent draws: a position selected in epoch 0 is selected again in epoch 1 with p = 0.15.
        assertEquals(0.15, (double) both / first, 0.04, "overlap of epoch 0 and epoch 1 selections");

        int[] other = new int[IDS.length], otherLabels = new int[IDS.length];
        DynamicMasking.bert(99, maskId, 10).apply(0, 3, IDS, other, otherLabels);
        assertFalse(java.util.Arrays.equals(l0, otherLabels), "another seed draws other masks");
    }

    @Test
    void staticMaskingRepeatsTheBatchMaskEveryEpoch() {
        DynamicMasking fixed = new DynamicMasking(MaskingSpec.bert(1234, maskId), 10, false);
        int[] m0 = new int[IDS.length], l0 = new int[IDS.length], m5 = new int[IDS.length], l5 = new int[IDS.length];
        fixed.apply(0, 4, IDS, m0, l0);
        fixed.apply(5, 4, IDS, m5, l5);
        assertArrayEquals(m0, m5);
        assertArrayEquals(l0, l5);
    }

    @Test
    void stepIsTheTrainingStepCounter() {
        assertEquals(0, masking.step(0, 0));
        assertEquals(23, masking.step(2, 3));
        assertEquals(3, new DynamicMasking(MaskingSpec.bert(1, maskId), 10, false).step(2, 3));
        // The same draw as MaskingSpec at that step: the device applies it with the same counter.
        int[] viaMasking = new int[IDS.length], l = new int[IDS.length], viaSpec = new int[IDS.length], ls = new int[IDS.length];
        masking.apply(2, 3, IDS, viaMasking, l);
        MaskingSpec.bert(1234, maskId).apply(IDS, 23, viaSpec, ls);
        assertArrayEquals(viaSpec, viaMasking);
        assertThrows(IllegalArgumentException.class, () -> masking.step(0, 10));
        assertThrows(IllegalArgumentException.class, () -> masking.step(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> masking.step(Integer.MAX_VALUE, 0));
        assertThrows(IllegalArgumentException.class, () -> DynamicMasking.bert(1, maskId, 0));
    }
}
