package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
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
 * Residual add + dropout + layernorm. The dropout mask comes from Philox (the float64 reference
 * draws it with {@code Philox.keep}), so finite differences see a fixed function. Forward against
 * float64 (atol 1e-5, rtol 1e-5); backward against central differences of the float64 forward of
 * {@code sum(dOut * out)} (h 1e-3, atol 1e-4, rtol 1e-3).
 */
class LayerNormOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("LayerNormOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void withDropout() {
        check(new Dropout(0.25f, rnd.nextLong(), 3, scope.scalar(5)), 5);
    }

    @Test
    void withoutDropout() {
        check(Dropout.NONE, 0);
    }

    private void check(Dropout dropout, int step) {
        int rows = 14, cols = 37;
        float eps = 1e-5f;
        float[] res = Tensors.uniform(rnd, rows * cols, 1f);
        float[] sub = Tensors.uniform(rnd, rows * cols, 1f);
        float[] gamma = Tensors.uniform(rnd, cols, 1f);
        float[] beta = Tensors.uniform(rnd, cols, 1f);
        Tensor resT = scope.of(res, 2, 7, cols);
        Tensor subT = scope.of(sub, 2, 7, cols);
        Tensor gammaT = scope.of(gamma, cols);
        Tensor out = scope.zeros(DType.FLOAT32, 2, 7, cols);
        Tensor mean = scope.zeros(DType.FLOAT32, rows);
        Tensor rstd = scope.zeros(DType.FLOAT32, rows);
        cpu.addDropoutLayerNormForward(resT, subT, gammaT, scope.of(beta, cols), eps, dropout, out, mean, rstd);

        boolean[] keep = Reference64.dropoutKeep(dropout, rows * cols, step);
        if (dropout.active()) {
            int dropped = 0;
            for (boolean k : keep) {
                dropped += k ? 0 : 1;
            }
            assertTrue(dropped > 0 && dropped < rows * cols, "dropout drops some but not all: " + dropped);
        }
        double keepScale = 1.0 / (1.0 - dropout.rate());
        double[] resD = Tensors.widen(res), subD = Tensors.widen(sub), gammaD = Tensors.widen(gamma);
        double[] betaD = Tensors.widen(beta);
        Reference64.LayerNorm ref = Reference64.addDropoutLayerNorm(resD, subD, gammaD, betaD, rows, cols, eps, keep,
                keepScale);
        Approx.assertClose("out", ref.out(), out.toFloatArray(), 1e-5, 1e-5);
        Approx.assertClose("mean", ref.mean(), mean.toFloatArray(), 1e-6, 1e-6);
        Approx.assertClose("rstd", ref.rstd(), rstd.toFloatArray(), 1e-6, 1e-6);

        float[] g = Tensors.uniform(rnd, rows * cols, 1f);
        double[] gd = Tensors.widen(g);
        float[] dGamma0 = Tensors.uniform(rnd, cols, 1f);
        float[] dBeta0 = Tensors.uniform(rnd, cols, 1f);
        Tensor dRes = scope.uniform(rnd, 9f, rows, cols);
        Tensor dSub = scope.uniform(rnd, 9f, rows, cols);
        Tensor dGamma = scope.of(dGamma0, cols);
        Tensor dBeta = scope.of(dBeta0, cols);
        cpu.addDropoutLayerNormBackward(scope.of(g, rows, cols), resT, subT, gammaT, mean, rstd, dropout, dRes, dSub,
                dGamma, dBeta);
        FiniteDifferences.check("dResidual", x -> FiniteDifferences.dot(gd,
                        Reference64.addDropoutLayerNorm(x, subD, gammaD, betaD, rows, cols, eps, keep, keepScale).out()),
                resD, dRes.toFloatArray(), FiniteDifferences.sample(rnd, rows * cols, 120), 1e-3, 1e-4, 1e-3);
        FiniteDifferences.check("dSublayer", x -> FiniteDifferences.dot(gd,
                        Reference64.addDropoutLayerNorm(resD, x, gammaD, betaD, rows, cols, eps, keep, keepScale).out()),
                subD, dSub.toFloatArray(), FiniteDifferences.sample(rnd, rows * cols, 120), 1e-3, 1e-4, 1e-3);
        FiniteDifferences.check("dGamma", x -> FiniteDifferences.dot(gd,
                        Reference64.addDropoutLayerNorm(resD, subD, x, betaD, rows, cols, eps, keep, keepScale).out()),
                gammaD, DenseOpsTest.minus(dGamma.toFloatArray(), dGamma0), FiniteDifferences.sample(rnd, cols, 100),
                1e-3, 1e-4, 1e-3);
        FiniteDifferences.check("dBeta", x -> FiniteDifferences.dot(gd,
                        Reference64.addDropoutLayerNorm(resD, subD, gammaD, x, rows, cols, eps, keep, keepScale).out()),
                betaD, DenseOpsTest.minus(dBeta.toFloatArray(), dBeta0), FiniteDifferences.sample(rnd, cols, 100),
                1e-3, 1e-4, 1e-3);
    }

    @Test
    void maskChangesWithStepAndSite() {
        int rows = 4, cols = 64;
        Tensor res = scope.zeros(DType.FLOAT32, rows, cols);
        Tensor sub = scope.zeros(DType.FLOAT32, rows, cols);
        cpu.fill(sub, 1);
        Tensor gamma = scope.zeros(DType.FLOAT32, cols);
        cpu.fill(gamma, 1);
        Tensor beta = scope.zeros(DType.FLOAT32, cols);
        Tensor step = scope.scalar(1);
        float[][] outs = new float[3][];
        Dropout[] drops = {new Dropout(0.5f, 42, 1, step), new Dropout(0.5f, 42, 1, step), new Dropout(0.5f, 42, 2, step)};
        for (int i = 0; i < 3; i++) {
            Tensor out = scope.zeros(DType.FLOAT32, rows, cols);
            if (i == 1) {
                cpu.increment(step);
            }
            cpu.addDropoutLayerNormForward(res, sub, gamma, beta, 1e-6f, drops[i], out, scope.zeros(DType.FLOAT32, rows),
                    scope.zeros(DType.FLOAT32, rows));
            outs[i] = out.toFloatArray();
        }
        assertTrue(!java.util.Arrays.equals(outs[0], outs[1]), "a new step draws a new mask");
        assertTrue(!java.util.Arrays.equals(outs[1], outs[2]), "another site draws another mask");
    }
}
