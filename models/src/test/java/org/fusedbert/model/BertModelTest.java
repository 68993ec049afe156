package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.ParameterLayout.Range;
import org.junit.jupiter.api.Test;

class BertModelTest {
    private static final BertConfig CONFIG = new BertConfig(40, 12, 16, 2, 24, 1, 0.1f, 1e-6f, 4, 3e-3f, 8, false);

    private static int[] batch(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[CONFIG.batchSize() * CONFIG.maxLen()];
        for (int b = 0; b < CONFIG.batchSize(); b++) {
            int len = 3 + r.nextInt(CONFIG.maxLen() - 2);
            for (int l = 0; l < len; l++) {
                ids[b * CONFIG.maxLen() + l] = 2 + r.nextInt(CONFIG.vocabSize() - 3);
            }
        }
        return ids;
    }

    private static final int[] IDENTITY = {0, 1, 2, 3};

    /** One batch's rows as resident examples. */
    private static ResidentData resident(Backend be, int[] ids, int[] labels) {
        return new ResidentData("batch", be, Examples.of(ids, labels, CONFIG.maxLen()), labels != null, CONFIG.batchSize());
    }

    @Test
    void pretrainingStepsLowerTheLossAndTouchOnlyThePretrainedRange() {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG);
             BertModel m = new BertModel(p, 5, CONFIG.batchSize(), true)) {
            p.initialize(1);
            float[] before = p.download();
            m.startPhase(Phase.PRETRAIN, AdamConfig.KERAS.withLearningRate(CONFIG.learningRate()));
            float first = 0;
            float last = 0;
            try (ResidentData data = resident(be, batch(9), null)) {
                for (int s = 0; s < 40; s++) {
                    data.startEpoch(IDENTITY, 0);
                    m.pretrainStep(data);
                    float loss = data.readLosses(0, 1)[0];
                    first = s == 0 ? loss : first;
                    last = loss;
                }
            }
            assertEquals(40, m.stepCounter().toIntArray()[0]);
            assertEquals(40, m.optimizer().stepCounter().toIntArray()[0]);
            assertTrue(last < 0.75 * first, "loss " + first + " -> " + last);
            float[] after = p.download();
            Range classifier = p.layout().range(Phase.FROZEN);
            for (long i = classifier.offset(); i < classifier.offset() + classifier.length(); i++) {
                assertEquals(before[(int) i], after[(int) i]);
            }
        }
    }

    @Test
    void frozenStepsChangeOnlyTheClassifierAndUnfrozenStepsTheEncoderToo() {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG);
             BertModel m = new BertModel(p, 5, CONFIG.batchSize(), true)) {
            p.initialize(2);
            ResidentData data = resident(be, batch(3), new int[] {1, 0, 0, 1});
            data.startEpoch(IDENTITY, 0);
            float[] before = p.download();
            m.startPhase(Phase.FROZEN, AdamConfig.KERAS);
            m.classifierStep(data, false);
            float[] frozen = p.download();
            Range head = p.layout().range(Phase.FROZEN);
            for (int i = 0; i < before.length; i++) {
                boolean inHead = i >= head.offset() && i < head.offset() + head.length();
                if (!inHead) {
                    assertEquals(before[i], frozen[i], "index " + i);
                }
            }
            assertNotEquals(before[(int) head.offset()], frozen[(int) head.offset()]);
            m.startPhase(Phase.UNFROZEN, AdamConfig.KERAS);
            data.startEpoch(IDENTITY, 0);
            m.classifierStep(data, true);
            assertEquals(1, data.batchIndex().toIntArray()[0]);
            data.close();
            float[] unfrozen = p.download();
            int token = (int) p.layout().entry("embeddings.token").offset();
            int mlm = (int) p.layout().entry("mlm.dense.weight").offset();
            int q = (int) p.layout().entry("encoder.0.attention.qkv.weight").offset();
            assertNotEquals(frozen[q], unfrozen[q]);
            assertEquals(frozen[mlm], unfrozen[mlm]);
            // Token 0 (padding) appears in the batch; its embedding row gets a gradient too.
            assertNotEquals(frozen[token], unfrozen[token]);
        }
    }

    @Test
    void identicalSeedsGiveBitIdenticalTraining() {
        float[][] results = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG);
                 BertModel m = new BertModel(p, 77, CONFIG.batchSize(), true)) {
                p.initialize(4);
                m.startPhase(Phase.PRETRAIN, AdamConfig.KERAS);
                for (int s = 0; s < 3; s++) {
                    try (ResidentData data = resident(be, batch(s), null)) {
                        data.startEpoch(IDENTITY, 0);
                        m.pretrainStep(data);
                    }
                }
                results[run] = p.download();
            }
        }
        assertArrayEquals(results[0], results[1]);
    }
}
