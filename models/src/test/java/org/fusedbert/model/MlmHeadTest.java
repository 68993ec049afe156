package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Projecting only the masked rows gives the seed's loss and gradients: the seed's cross-entropy
 * over all B*L positions weighted 1 at masked positions (and divided by their count), computed
 * here directly in float64 over every position.
 */
class MlmHeadTest {
    @Test
    void gatheredRowsGiveTheSeedsWeightedLossAndGradients() {
        BertConfig c = new BertConfig(23, 9, 6, 2, 8, 1, 0f, 1e-6f, 2, 1e-3f, 4, false);
        int rows = 2 * 9;
        int h = c.hidden();
        int v = c.vocabSize();
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, c); Workspace ws = new Workspace()) {
            p.initialize(3);
            MlmHead head = new MlmHead(p, ws, rows, 8);
            Workspace.Buffer hidden = ws.request("hidden", DType.FLOAT32, rows, h);
            Workspace.Buffer labels = ws.request("labels", DType.INT32, rows);
            ws.allocate(be);
            SplittableRandom r = new SplittableRandom(1);
            float[] x = new float[rows * h];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextDouble(-1, 1);
            }
            int[] y = new int[rows];
            Arrays.fill(y, -1);
            int[] masked = {0, 4, 5, 11, 17};
            for (int m : masked) {
                y[m] = 2 + r.nextInt(v - 2);
            }
            hidden.get().copyFrom(x);
            labels.get().copyFrom(y);
            be.fill(p.grads(), 0);
            head.lossAndGradient(hidden.get(), labels.get());
            assertEquals(masked.length, head.labelledCount().toIntArray()[0]);

            float[] w = p.get("mlm.dense.weight").toFloatArray();
            float[] b = p.get("mlm.dense.bias").toFloatArray();
            double loss = 0;
            double[] dx = new double[rows * h];
            double[] dw = new double[h * v];
            double[] db = new double[v];
            int n = masked.length;
            for (int row = 0; row < rows; row++) {
                double weight = y[row] == -1 ? 0 : 1; // the seed's sample weight
                double[] z = new double[v];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    z[j] = b[j];
                    for (int k = 0; k < h; k++) {
                        z[j] += (double) x[row * h + k] * w[k * v + j];
                    }
                    max = Math.max(max, z[j]);
                }
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    sum += Math.exp(z[j] - max);
                }
                int label = Math.max(y[row], 0);
                loss += weight * (Math.log(sum) + max - z[label]) / n;
                for (int j = 0; j < v; j++) {
                    double g = weight * (Math.exp(z[j] - max) / sum - (j == label ? 1 : 0)) / n;
                    db[j] += g;
                    for (int k = 0; k < h; k++) {
                        dx[row * h + k] += g * w[k * v + j];
                        dw[k * v + j] += g * x[row * h + k];
                    }
                }
            }
            assertEquals(loss, head.loss().item(), 1e-5);
            assertClose(dx, head.gradHidden().toFloatArray(), 1e-6);
            assertClose(dw, p.grad("mlm.dense.weight").toFloatArray(), 1e-6);
            assertClose(db, p.grad("mlm.dense.bias").toFloatArray(), 1e-6);
        }
    }

    @Test
    void capacityLeavesAWideMarginAndNeverExceedsTheRows() {
        assertEquals(1552, MlmHead.capacity(32 * 256, 0.15f));
        assertEquals(10, MlmHead.capacity(10, 0.15f));
        for (int rows = 1; rows < 5000; rows += 37) {
            int c = MlmHead.capacity(rows, 0.15f);
            assertTrue(c <= rows && c >= Math.min(rows, 0.15 * rows + 64), rows + " -> " + c);
        }
    }

    private static void assertClose(double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol + 1e-4 * Math.abs(expected[i]), "element " + i);
        }
    }
}
