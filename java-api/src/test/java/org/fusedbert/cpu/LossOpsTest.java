package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.Approx;
import org.fusedbert.testing.FiniteDifferences;
import org.fusedbert.testing.Reference64;
import org.fusedbert.testing.Seeds;
import org.fusedbert.testing.TensorScope;
import org.fusedbert.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Losses and heads: masked softmax cross-entropy, global max pooling, sigmoid + binary
 * cross-entropy. Losses against float64 (atol 1e-6, rtol 1e-6); gradients against central
 * differences of the float64 loss (h 1e-3, atol 1e-6, rtol 1e-4).
 */
class LossOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("LossOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void softmaxCrossEntropyIgnoresUnlabelledRows() {
        int rows = 9, classes = 29;
        float[] logits = Tensors.uniform(rnd, rows * classes, 4f);
        int[] labels = Tensors.ints(rnd, rows, 0, classes);
        labels[1] = labels[4] = labels[8] = -1;
        labels[2] = classes - 1;
        Tensor logitsT = scope.of(logits, 3, 3, classes);
        Tensor loss = scope.zeros(DType.FLOAT32, 1);
        cpu.softmaxCrossEntropy(logitsT, scope.of(labels, rows), loss);
        double[] x = Tensors.widen(logits);
        assertEquals(Reference64.softmaxCrossEntropy(x, labels, classes), loss.item(), 1e-6);
        float[] grad = logitsT.toFloatArray();
        Approx.assertClose("dlogits", Reference64.softmaxCrossEntropyGradient(x, labels, classes), grad, 1e-7, 1e-5);
        FiniteDifferences.check("dlogits", v -> Reference64.softmaxCrossEntropy(v, labels, classes), x, grad,
                FiniteDifferences.sample(rnd, rows * classes, 120), 1e-3, 1e-6, 1e-4);
    }

    @Test
    void softmaxCrossEntropyWithNoLabelledRowIsZero() {
        Tensor logits = scope.uniform(rnd, 3f, 4, 6);
        Tensor loss = scope.zeros(DType.FLOAT32, 1);
        cpu.fill(loss, 7);
        cpu.softmaxCrossEntropy(logits, scope.of(new int[] {-1, -1, -1, -1}, 4), loss);
        assertEquals(0f, loss.item());
        assertArrayEquals(new float[24], logits.toFloatArray());
    }

    @Test
    void maxPoolForwardBackward() {
        int batch = 3, length = 7, hidden = 5;
        float[] x = Tensors.uniform(rnd, batch * length * hidden, 1f);
        // a tie: the first position attaining the maximum wins
        x[(0 * length + 2) * hidden + 1] = 5f;
        x[(0 * length + 4) * hidden + 1] = 5f;
        Tensor xT = scope.of(x, batch, length, hidden);
        Tensor out = scope.zeros(DType.FLOAT32, batch, hidden);
        Tensor argmax = scope.zeros(DType.INT32, batch, hidden);
        cpu.maxPoolForward(xT, out, argmax);
        double[] xd = Tensors.widen(x);
        Approx.assertClose("max", Reference64.maxPool(xd, batch, length, hidden), out.toFloatArray(), 0, 0);
        int[] arg = argmax.toIntArray();
        assertEquals(2, arg[1], "first position of a tie");
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < hidden; h++) {
                assertEquals(out.getFloat(b * hidden + h), x[(b * length + arg[b * hidden + h]) * hidden + h]);
            }
        }
        float[] g = Tensors.uniform(rnd, batch * hidden, 1f);
        double[] gd = Tensors.widen(g);
        Tensor dx = scope.uniform(rnd, 9f, batch, length, hidden);
        cpu.maxPoolBackward(scope.of(g, batch, hidden), argmax, dx);
        xd[(0 * length + 4) * hidden + 1] = 4.5; // break the tie for finite differences
        FiniteDifferences.check("dx", v -> FiniteDifferences.dot(gd, Reference64.maxPool(v, batch, length, hidden)), xd,
                dx.toFloatArray(), FiniteDifferences.sample(rnd, x.length, 200), 1e-4, 1e-6, 1e-4);
    }

    @Test
    void sigmoidBinaryCrossEntropy() {
        int batch = 7;
        float[] z = Tensors.uniform(rnd, batch, 3f);
        z[0] = 60f;  // saturated: stable formulation, no inf or NaN
        z[1] = -60f;
        int[] y = {1, 1, 0, 1, 0, 0, 1};
        Tensor zT = scope.of(z, batch, 1);
        Tensor probs = scope.zeros(DType.FLOAT32, batch);
        Tensor loss = scope.zeros(DType.FLOAT32, 1);
        Tensor dz = scope.uniform(rnd, 9f, batch, 1);
        Tensor yT = scope.of(y, batch);
        cpu.sigmoidBinaryCrossEntropy(zT, yT, probs, loss, dz);
        double[] zd = Tensors.widen(z);
        assertEquals(Reference64.sigmoidBinaryCrossEntropy(zd, y), loss.item(), 1e-6);
        double[] p = new double[batch];
        for (int i = 0; i < batch; i++) {
            p[i] = 1 / (1 + Math.exp(-zd[i]));
        }
        Approx.assertClose("probs", p, probs.toFloatArray(), 1e-7, 1e-6);
        FiniteDifferences.check("dLogits", v -> Reference64.sigmoidBinaryCrossEntropy(v, y), zd, dz.toFloatArray(),
                FiniteDifferences.sample(rnd, batch, batch), 1e-3, 1e-6, 1e-4);
        // evaluation: no gradient tensor
        cpu.sigmoidBinaryCrossEntropy(scope.of(z, batch), yT, probs, loss, null);
        assertEquals(Reference64.sigmoidBinaryCrossEntropy(zd, y), loss.item(), 1e-6);
    }
}
