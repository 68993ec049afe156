package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Residual + dropout + layernorm, forward and backward, on each device against the CPU reference:
 * every float4 variant (1 to 8 float4 per lane: H up to 128, 256, ..., 1024, full rows and rows
 * that end inside a chunk), the scalar variant (odd H, unaligned tensors), with and without
 * dropout. The backward's grid is sized by the device's multiprocessors (3 on the simulator), so
 * the shapes cover a one-block grid (N = 1), blocks with idle warps, warps that take several
 * rows per step with the last step partly past the end, and several steps per warp.
 */
class LayerNormConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 128, 0.0f, true},
                new Object[] {7, 128, 0.1f, true},
                new Object[] {255, 128, 0.1f, true},
                new Object[] {256, 128, 0.0f, true},
                new Object[] {300, 128, 0.25f, true},
                new Object[] {500, 64, 0.1f, true},
                new Object[] {7, 100, 0.1f, true},
                new Object[] {9, 200, 0.1f, true},
                new Object[] {130, 384, 0.1f, true},
                new Object[] {5, 512, 0.1f, true},
                new Object[] {23, 640, 0.0f, true},
                new Object[] {1, 768, 0.1f, true},
                new Object[] {200, 768, 0.1f, true},
                new Object[] {33, 800, 0.1f, true},
                new Object[] {40, 1020, 0.1f, true},
                new Object[] {3, 1024, 0.1f, true},
                new Object[] {5, 33, 0.1f, true},
                new Object[] {300, 37, 0.1f, true},
                new Object[] {6, 128, 0.1f, false},
                new Object[] {2, 1500, 0.1f, true});
    }

    @ParameterizedTest(name = "{0} rows={1} hidden={2} dropout={3} aligned={4}")
    @MethodSource("cases")
    void forwardAndBackwardMatchReference(Candidate device, int rows, int hidden, float rate, boolean aligned) {
        String shape = "[" + rows + ", " + hidden + "] dropout " + rate + (aligned ? "" : " unaligned");
        long seed = Conformance.seed("layernorm" + shape);
        SplittableRandom r = Conformance.random(seed);
        int n = rows * hidden;
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair residual = aligned ? t.input(Conformance.uniform(r, n, 2f), rows, hidden)
                    : t.unalignedInput(Conformance.uniform(r, n, 2f), rows, hidden);
            Pair sublayer = t.input(Conformance.uniform(r, n, 1f), rows, hidden);
            Pair gamma = t.input(shift(Conformance.uniform(r, hidden, 0.5f), 1f), hidden);
            Pair beta = t.input(Conformance.uniform(r, hidden, 0.5f), hidden);
            Pair step = t.input(new int[] {r.nextInt(0, 100_000)}, 1);
            long dropSeed = r.nextLong();
            int site = r.nextInt(0, 16);
            Dropout cpuDrop = new Dropout(rate, dropSeed, site, step.cpu());
            Dropout devDrop = new Dropout(rate, dropSeed, site, step.dev());
            float eps = 1e-6f;

            Pair out = t.output(DType.FLOAT32, rows, hidden);
            Pair mean = t.output(DType.FLOAT32, rows);
            Pair rstd = t.output(DType.FLOAT32, rows);
            t.cpu().addDropoutLayerNormForward(residual.cpu(), sublayer.cpu(), gamma.cpu(), beta.cpu(), eps, cpuDrop,
                    out.cpu(), mean.cpu(), rstd.cpu());
            t.dev().addDropoutLayerNormForward(residual.dev(), sublayer.dev(), gamma.dev(), beta.dev(), eps, devDrop,
                    out.dev(), mean.dev(), rstd.dev());
            var where = new Conformance.Where("addDropoutLayerNormForward", device.name(), shape, seed);
            where.assertClose("out", out.cpuFloats(), out.devFloats(), Conformance.LAYERNORM);
            where.assertClose("mean", mean.cpuFloats(), mean.devFloats(), Conformance.LAYERNORM);
            where.assertClose("rstd", rstd.cpuFloats(), rstd.devFloats(), Conformance.LAYERNORM);

            // The backward gets the reference's saved statistics on both sides, so it is judged alone.
            Pair savedMean = t.input(mean.cpuFloats(), rows);
            Pair savedRstd = t.input(rstd.cpuFloats(), rows);
            Pair dOut = t.input(Conformance.uniform(r, n, 1f), rows, hidden);
            Pair dResidual = t.output(DType.FLOAT32, rows, hidden);
            Pair dSublayer = t.output(DType.FLOAT32, rows, hidden);
            float[] dGamma0 = Conformance.uniform(r, hidden, 1f);
            float[] dBeta0 = Conformance.uniform(r, hidden, 1f);
            Pair dGamma = t.input(dGamma0, hidden);  // accumulated into
            Pair dBeta = t.input(dBeta0, hidden);
            t.cpu().addDropoutLayerNormBackward(dOut.cpu(), residual.cpu(), sublayer.cpu(), gamma.cpu(), savedMean.cpu(),
                    savedRstd.cpu(), cpuDrop, dResidual.cpu(), dSublayer.cpu(), dGamma.cpu(), dBeta.cpu());
            t.dev().addDropoutLayerNormBackward(dOut.dev(), residual.dev(), sublayer.dev(), gamma.dev(), savedMean.dev(),
                    savedRstd.dev(), devDrop, dResidual.dev(), dSublayer.dev(), dGamma.dev(), dBeta.dev());
            var back = new Conformance.Where("addDropoutLayerNormBackward", device.name(), shape, seed);
            back.assertClose("dResidual", dResidual.cpuFloats(), dResidual.devFloats(), Conformance.LAYERNORM);
            back.assertClose("dSublayer", dSublayer.cpuFloats(), dSublayer.devFloats(), Conformance.LAYERNORM);
            back.assertClose("dGamma", dGamma.cpuFloats(), dGamma.devFloats(), Conformance.REDUCTION);
            back.assertClose("dBeta", dBeta.cpuFloats(), dBeta.devFloats(), Conformance.REDUCTION);

            // Deterministic: a second run from the same state gives the same bits.
            Pair dGammaAgain = t.input(dGamma0, hidden);
            Pair dBetaAgain = t.input(dBeta0, hidden);
            t.dev().addDropoutLayerNormBackward(dOut.dev(), residual.dev(), sublayer.dev(), gamma.dev(), savedMean.dev(),
                    savedRstd.dev(), devDrop, dResidual.dev(), dSublayer.dev(), dGammaAgain.dev(), dBetaAgain.dev());
            var rerun = new Conformance.Where("addDropoutLayerNormBackward rerun", device.name(), shape, seed);
            rerun.assertIdentical("dGamma", dGamma.devFloats(), dGammaAgain.devFloats());
            rerun.assertIdentical("dBeta", dBeta.devFloats(), dBetaAgain.devFloats());
        }
    }

    private static float[] shift(float[] x, float by) {
        for (int i = 0; i < x.length; i++) {
            x[i] += by;
        }
        return x;
    }
}
