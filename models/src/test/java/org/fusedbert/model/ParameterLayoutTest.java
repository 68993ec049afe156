package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusedbert.model.ParameterLayout.Entry;
import org.fusedbert.model.ParameterLayout.Group;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.ParameterLayout.Range;
import org.junit.jupiter.api.Test;

class ParameterLayoutTest {
    private static boolean inside(Entry e, Range r) {
        return e.offset() >= r.offset() && e.offset() + e.numel() <= r.offset() + r.length();
    }

    @Test
    void eachPhaseTrainsExactlyItsParametersAsOneRange() {
        ParameterLayout layout = new ParameterLayout(new BertConfig(101, 9, 12, 3, 10, 2, 0.1f, 1e-6f, 4, 1e-3f, 5, false));
        for (Entry e : layout.entries()) {
            boolean mlm = e.group() == Group.MLM_HEAD;
            boolean encoder = e.group() == Group.ENCODER;
            boolean classifier = e.group() == Group.CLASSIFIER;
            assertEquals(mlm || encoder, inside(e, layout.range(Phase.PRETRAIN)), e.name());
            assertEquals(classifier, inside(e, layout.range(Phase.FROZEN)), e.name());
            assertEquals(encoder || classifier, inside(e, layout.range(Phase.UNFROZEN)), e.name());
        }
    }

    @Test
    void entriesAreAlignedDisjointAndInOrder() {
        ParameterLayout layout = new ParameterLayout(BertConfig.SEED);
        long end = 0;
        for (Entry e : layout.entries()) {
            assertEquals(0, e.offset() % ParameterLayout.ALIGN_FLOATS, e.name());
            assertTrue(e.offset() >= end, e.name());
            end = e.offset() + e.numel();
        }
        assertTrue(layout.totalElements() >= end);
        assertEquals(layout.range(Phase.PRETRAIN).length() + layout.range(Phase.FROZEN).length(), layout.totalElements());
        // The seed's model: 2 x 30,000 x 128 tables/head, 256 x 128 positions, one block, the classifier.
        long block = 128 * 384 + 384 + 128 * 128 + 128 + 4 * 128 + 128 * 128 + 128 + 128 * 128 + 128;
        long expected = 30_000L * 128 + 30_000 + 30_000L * 128 + 256 * 128 + block + 128 * 64 + 64 + 64 + 1;
        assertEquals(expected, layout.parameterCount());
    }

    @Test
    void qkvKeepsEachProjectionsGlorotFan() {
        Entry qkv = new ParameterLayout(BertConfig.SEED).entry("encoder.0.attention.qkv.weight");
        assertEquals(128, qkv.fanIn());
        assertEquals(128, qkv.fanOut());
        assertEquals(384, qkv.shape()[1]);
    }

    @Test
    void unknownNameIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ParameterLayout(BertConfig.SEED).entry("encoder.9.ffn.dense1.weight"));
        assertTrue(e.getMessage().contains("encoder.9.ffn.dense1.weight"));
    }
}
