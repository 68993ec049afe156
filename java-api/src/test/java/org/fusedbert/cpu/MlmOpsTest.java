package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.fusedbert.api.DType;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.Seeds;
import org.fusedbert.testing.TensorScope;
import org.fusedbert.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The MLM data path: sequence lengths, masking, gathering labelled rows and scattering their gradients. */
class MlmOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("MlmOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void sequenceLengthsEndAtTheLastNonPadding() {
        int[] ids = {
            5, 6, 7, 0, 0,   // 3
            0, 0, 0, 0, 0,   // all padding: 1
            4, 0, 9, 0, 0,   // a zero inside: 3
            1, 2, 3, 4, 5,   // full: 5
        };
        Tensor lengths = scope.zeros(DType.INT32, 4);
        cpu.sequenceLengths(scope.of(ids, 4, 5), lengths);
        assertArrayEquals(new int[] {3, 1, 3, 5}, lengths.toIntArray());
    }

    @Test
    void gatherBatchFollowsTheOrderAndWrapsAroundAtTheEpochsEnd() {
        int n = 5, width = 3;
        int[] source = Tensors.ints(rnd, n * width, 0, 1000);
        int[] order = {3, 0, 4, 1, 2};
        Tensor src = scope.of(source, n, width), ord = scope.of(order, n), index = scope.scalar(0);
        Tensor out = scope.zeros(DType.INT32, 2, width);
        for (int batch = 0; batch < 3; batch++) {
            cpu.gatherBatch(src, ord, index, out);
            int[] expected = new int[2 * width];
            for (int b = 0; b < 2; b++) {
                int row = order[(batch * 2 + b) % n]; // batch 2 takes order[4] and wraps to order[0]
                System.arraycopy(source, row * width, expected, b * width, width);
            }
            assertArrayEquals(expected, out.toIntArray(), "batch " + batch);
            cpu.increment(index);
        }
    }

    @Test
    void storeBatchWritesAtTheBatchsPlaceAndDropsWhatFallsBeyond() {
        Tensor history = scope.zeros(DType.FLOAT32, 7);
        Tensor values = scope.of(new float[] {1.5f, -2f, 3f}, 3);
        cpu.storeBatch(values, scope.scalar(0), history);
        cpu.storeBatch(scope.of(new float[] {4f, 5f, 6f}, 3), scope.scalar(2), history); // 6, 7, 8: only 6 fits
        assertArrayEquals(new float[] {1.5f, -2f, 3f, 0f, 0f, 0f, 4f}, history.toFloatArray());
        Tensor losses = scope.zeros(DType.FLOAT32, 3);
        cpu.storeBatch(scope.of(new float[] {0.25f}, 1), scope.scalar(1), losses);
        assertArrayEquals(new float[] {0f, 0.25f, 0f}, losses.toFloatArray());
    }

    @Test
    void maskMatchesMaskingSpecApply() {
        int batch = 4, length = 33, maskId = 50;
        MaskingSpec spec = MaskingSpec.bert(rnd.nextLong(), maskId);
        int[] ids = Tensors.ints(rnd, batch * length, 0, maskId);
        Tensor idT = scope.of(ids, batch, length);
        Tensor step = scope.scalar(3);
        Tensor masked = scope.zeros(DType.INT32, batch, length);
        Tensor labels = scope.zeros(DType.INT32, batch, length);
        cpu.mlmMask(idT, spec, step, masked, labels);
        int[] expectedMasked = new int[ids.length], expectedLabels = new int[ids.length];
        spec.apply(ids, 3, expectedMasked, expectedLabels);
        assertArrayEquals(expectedMasked, masked.toIntArray());
        assertArrayEquals(expectedLabels, labels.toIntArray());
        cpu.increment(step);
        cpu.mlmMask(idT, spec, step, masked, labels);
        assertFalse(Arrays.equals(expectedLabels, labels.toIntArray()), "another step draws another mask");
    }

    /**
     * On 32768 real tokens: 15% selected (sd 0.2%, tolerance 1%); of the selected, 80% masked,
     * 10% random, 10% kept (sd at most 0.6%, tolerance 3%); specials and unselected untouched.
     */
    @Test
    void maskStatisticsFollowTheRule() {
        int batch = 64, length = 512, maskId = 1000;
        int[] ids = Tensors.ints(rnd, batch * length, 2, maskId);
        ids[0] = 0;
        ids[1] = 1;
        Tensor masked = scope.zeros(DType.INT32, batch, length);
        Tensor labels = scope.zeros(DType.INT32, batch, length);
        cpu.mlmMask(scope.of(ids, batch, length), MaskingSpec.bert(rnd.nextLong(), maskId), scope.scalar(0), masked,
                labels);
        int[] m = masked.toIntArray(), y = labels.toIntArray();
        assertEquals(-1, y[0]);
        assertEquals(-1, y[1]);
        int selected = 0, toMask = 0, toRandom = 0, kept = 0;
        for (int p = 0; p < ids.length; p++) {
            if (y[p] == -1) {
                assertEquals(ids[p], m[p], "unselected token changed at " + p);
                continue;
            }
            assertEquals(ids[p], y[p], "label is the original id");
            selected++;
            if (m[p] == maskId) {
                toMask++;
            } else if (m[p] == ids[p]) {
                kept++;
            } else {
                assertTrue(m[p] >= 2 && m[p] < maskId, "random id in [2, maskId): " + m[p]);
                toRandom++;
            }
        }
        assertEquals(0.15, selected / (double) ids.length, 0.01);
        assertEquals(0.8, toMask / (double) selected, 0.03);
        assertEquals(0.1, toRandom / (double) selected, 0.03);
        assertEquals(0.1, kept / (double) selected, 0.03);
    }

    @Test
    void gatherAndScatterLabelledRows() {
        int rows = 21, cols = 5;
        int[] labels = new int[rows];
        Arrays.fill(labels, -1);
        int[] labelled = {0, 3, 4, 11, 20};
        for (int r : labelled) {
            labels[r] = 100 + r;
        }
        float[] hidden = Tensors.uniform(rnd, rows * cols, 1f);
        Tensor hiddenT = scope.of(hidden, 3, 7, cols);
        Tensor labelT = scope.of(labels, 3, 7);
        for (int capacity : new int[] {8, 3}) {
            Tensor gathered = scope.uniform(rnd, 1f, capacity, cols);
            Tensor rowLabels = scope.zeros(DType.INT32, capacity);
            Tensor rowIndex = scope.zeros(DType.INT32, capacity);
            Tensor count = scope.zeros(DType.INT32, 1);
            cpu.gatherLabelledRows(hiddenT, labelT, gathered, rowLabels, rowIndex, count);
            assertEquals(labelled.length, count.getInt(0), "count is the total, beyond capacity too");
            int filled = Math.min(capacity, labelled.length);
            assertEquals(filled, cpu.rowsToProcess(count, capacity));
            float[] g = gathered.toFloatArray();
            int[] gl = rowLabels.toIntArray(), gi = rowIndex.toIntArray();
            for (int i = 0; i < capacity; i++) {
                if (i < filled) {
                    int r = labelled[i];
                    assertEquals(r, gi[i]);
                    assertEquals(100 + r, gl[i]);
                    assertArrayEquals(Arrays.copyOfRange(hidden, r * cols, r * cols + cols),
                            Arrays.copyOfRange(g, i * cols, i * cols + cols));
                } else {
                    assertEquals(-1, gi[i]);
                    assertEquals(-1, gl[i]);
                    assertArrayEquals(new float[cols], Arrays.copyOfRange(g, i * cols, i * cols + cols));
                }
            }
            float[] dRows = Tensors.uniform(rnd, capacity * cols, 1f);
            Tensor dHidden = scope.uniform(rnd, 9f, rows, cols);
            cpu.scatterRows(scope.of(dRows, capacity, cols), rowIndex, dHidden);
            float[] expected = new float[rows * cols];
            for (int i = 0; i < filled; i++) {
                System.arraycopy(dRows, i * cols, expected, labelled[i] * cols, cols);
            }
            assertArrayEquals(expected, dHidden.toFloatArray());
        }
    }
}
