package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.model.ParameterLayout.Entry;
import org.junit.jupiter.api.Test;

class ParametersTest {
    private static final BertConfig SMALL = new BertConfig(500, 40, 24, 4, 20, 2, 0.1f, 1e-6f, 4, 1e-3f, 8, false);

    @Test
    void initializationIsSeededAndFollowsTheSeedsInitializers() {
        try (Backend be = new CpuBackend(); Parameters a = new Parameters(be, SMALL); Parameters b = new Parameters(be, SMALL)) {
            a.initialize(42);
            b.initialize(42);
            float[] va = a.download();
            assertArrayEquals(va, b.download(), "same seed, same parameters");
            b.initialize(43);
            assertFalse(Arrays.equals(va, b.download()), "another seed, other parameters");

            boolean[] covered = new boolean[va.length];
            for (Entry e : a.layout().entries()) {
                float[] t = a.get(e.name()).toFloatArray();
                assertEquals(e.numel(), t.length, e.name());
                for (int i = 0; i < t.length; i++) {
                    covered[(int) e.offset() + i] = true;
                }
                float max = 0;
                double sum = 0;
                for (float x : t) {
                    max = Math.max(max, Math.abs(x));
                    sum += x;
                }
                switch (e.init()) {
                    case ZEROS -> assertEquals(0f, max, e.name());
                    case ONES -> assertTrue(allEqual(t, 1f), e.name());
                    case UNIFORM_005, GLOROT -> {
                        double limit = e.init() == ParameterLayout.Init.UNIFORM_005 ? 0.05
                                : Math.sqrt(6.0 / (e.fanIn() + e.fanOut()));
                        assertTrue(max <= limit, e.name() + " max " + max + " limit " + limit);
                        if (t.length >= 400) { // enough draws for the spread and the mean to be telling
                            assertTrue(max > 0.95 * limit, e.name() + " max " + max + " limit " + limit);
                            assertTrue(Math.abs(sum / t.length) < 0.1 * limit, e.name() + " mean " + sum / t.length);
                        }
                    }
                }
            }
            double qkvLimit = Math.sqrt(6.0 / (24 + 24));
            float[] qkv = a.get("encoder.1.attention.qkv.weight").toFloatArray();
            assertTrue(Math.abs(qkv[qkv.length - 1]) <= qkvLimit);
            for (int i = 0; i < va.length; i++) {
                if (!covered[i]) {
                    assertEquals(0f, va[i], "padding stays zero at " + i);
                }
            }
        }
    }

    @Test
    void namedViewsShareTheFlatBuffers() {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, SMALL)) {
            be.fill(p.get("classifier.output.bias"), 2.5);
            be.fill(p.grad("encoder.1.ffn.dense2.bias"), -1);
            Entry bias = p.layout().entry("classifier.output.bias");
            assertEquals(2.5f, p.values().toFloatArray()[(int) bias.offset()]);
            Entry d2 = p.layout().entry("encoder.1.ffn.dense2.bias");
            float[] g = p.grads().toFloatArray();
            assertEquals(-1f, g[(int) d2.offset() + 23]);
            p.zeroGrads(p.layout().range(ParameterLayout.Phase.UNFROZEN));
            assertTrue(allEqual(p.grads().toFloatArray(), 0f));
        }
    }

    private static boolean allEqual(float[] t, float v) {
        for (float x : t) {
            if (x != v) {
                return false;
            }
        }
        return true;
    }
}
