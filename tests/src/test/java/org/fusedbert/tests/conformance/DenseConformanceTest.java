package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.Activation;
import org.fusedbert.api.DType;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dense-layer operations on each device against the CPU reference: bias + activation (in place
 * and not, with and without bias), the ReLU gradient, column sums for bias gradients (one chunk and
 * many, overwrite and accumulate), and the device's GEMM behind {@code matmul}.
 */
class DenseConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 1},
                new Object[] {7, 33},
                new Object[] {255, 128},
                new Object[] {300, 100},
                new Object[] {1000, 7});
    }

    @ParameterizedTest(name = "{0} rows={1} cols={2}")
    @MethodSource("cases")
    void elementwiseAndColumnSumsMatchReference(Candidate device, int rows, int cols) {
        String shape = "[" + rows + ", " + cols + "]";
        long seed = Conformance.seed("dense" + shape);
        SplittableRandom r = Conformance.random(seed);
        int n = rows * cols;
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair x = t.input(Conformance.uniform(r, n, 1f), rows, cols);
            Pair bias = t.input(Conformance.uniform(r, cols, 1f), cols);
            for (Activation act : Activation.values()) {
                Pair out = t.output(DType.FLOAT32, rows, cols);
                t.cpu().biasActivation(x.cpu(), bias.cpu(), act, out.cpu());
                t.dev().biasActivation(x.dev(), bias.dev(), act, out.dev());
                new Conformance.Where("biasActivation " + act, device.name(), shape, seed)
                        .assertClose("out", out.cpuFloats(), out.devFloats(), Conformance.ELEMENTWISE);
            }
            Pair noBias = t.output(DType.FLOAT32, rows, cols);
            t.cpu().biasActivation(x.cpu(), null, Activation.RELU, noBias.cpu());
            t.dev().biasActivation(x.dev(), null, Activation.RELU, noBias.dev());
            new Conformance.Where("biasActivation without bias", device.name(), shape, seed)
                    .assertIdentical("out", noBias.cpuFloats(), noBias.devFloats());
            Pair inPlace = t.input(x.cpuFloats(), rows, cols);
            t.cpu().biasActivation(inPlace.cpu(), bias.cpu(), Activation.RELU, inPlace.cpu());
            t.dev().biasActivation(inPlace.dev(), bias.dev(), Activation.RELU, inPlace.dev());
            new Conformance.Where("biasActivation in place", device.name(), shape, seed)
                    .assertClose("x", inPlace.cpuFloats(), inPlace.devFloats(), Conformance.ELEMENTWISE);

            Pair dy = t.input(Conformance.uniform(r, n, 1f), rows, cols);
            Pair dx = t.output(DType.FLOAT32, rows, cols);
            t.cpu().reluBackward(inPlace.cpu(), dy.cpu(), dx.cpu());
            t.dev().reluBackward(inPlace.dev(), dy.dev(), dx.dev());
            new Conformance.Where("reluBackward", device.name(), shape, seed)
                    .assertIdentical("dx", dx.cpuFloats(), dx.devFloats());
            t.cpu().reluBackward(x.cpu(), dy.cpu(), dy.cpu());
            t.dev().reluBackward(x.dev(), dy.dev(), dy.dev());
            new Conformance.Where("reluBackward in place", device.name(), shape, seed)
                    .assertIdentical("dy", dy.cpuFloats(), dy.devFloats());

            Pair dBias = t.output(DType.FLOAT32, cols);
            t.cpu().biasGradient(x.cpu(), dBias.cpu(), false);
            t.dev().biasGradient(x.dev(), dBias.dev(), false);
            new Conformance.Where("biasGradient", device.name(), shape, seed)
                    .assertClose("dBias", dBias.cpuFloats(), dBias.devFloats(), Conformance.REDUCTION);
            t.cpu().biasGradient(dy.cpu(), dBias.cpu(), true);
            t.dev().biasGradient(dy.dev(), dBias.dev(), true);
            new Conformance.Where("biasGradient accumulate", device.name(), shape, seed)
                    .assertClose("dBias", dBias.cpuFloats(), dBias.devFloats(), Conformance.REDUCTION);
        }
    }

    static Stream<Arguments> matmulCases() {
        return TestDevices.cross(
                new Object[] {1, 1, 1, false, false},
                new Object[] {7, 33, 5, true, false},
                new Object[] {30, 17, 64, false, true},
                new Object[] {12, 40, 9, true, true});
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} transA={4} transB={5}")
    @MethodSource("matmulCases")
    void matmulMatchesReference(Candidate device, int m, int n, int k, boolean transA, boolean transB) {
        String shape = "m " + m + " n " + n + " k " + k + (transA ? " A^T" : "") + (transB ? " B^T" : "");
        long seed = Conformance.seed("matmul" + shape);
        SplittableRandom r = Conformance.random(seed);
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair a = transA ? t.input(Conformance.uniform(r, m * k, 1f), k, m)
                    : t.input(Conformance.uniform(r, m * k, 1f), m, k);
            Pair b = transB ? t.input(Conformance.uniform(r, k * n, 1f), n, k)
                    : t.input(Conformance.uniform(r, k * n, 1f), k, n);
            Pair bias = t.input(Conformance.uniform(r, n, 1f), n);
            Pair c = t.output(DType.FLOAT32, m, n);
            t.cpu().matmul(a.cpu(), transA, b.cpu(), transB, bias.cpu(), Activation.RELU, false, c.cpu());
            t.dev().matmul(a.dev(), transA, b.dev(), transB, bias.dev(), Activation.RELU, false, c.dev());
            var where = new Conformance.Where("matmul", device.name(), shape, seed);
            where.assertClose("c (bias, relu)", c.cpuFloats(), c.devFloats(), Conformance.ELEMENTWISE);
            t.cpu().matmul(a.cpu(), transA, b.cpu(), transB, null, Activation.NONE, true, c.cpu());
            t.dev().matmul(a.dev(), transA, b.dev(), transB, null, Activation.NONE, true, c.dev());
            where.assertClose("c (accumulated)", c.cpuFloats(), c.devFloats(), Conformance.ELEMENTWISE);
        }
    }
}
