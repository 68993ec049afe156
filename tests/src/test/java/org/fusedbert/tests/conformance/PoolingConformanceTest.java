package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.DType;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Max pooling over the sequence on each device against the CPU reference, exact: values drawn
 * from a handful of levels so that ties are common and the first-argmax rule is what decides.
 */
class PoolingConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, 1, 128},
                new Object[] {3, 7, 33},
                new Object[] {2, 255, 128},
                new Object[] {2, 256, 20},
                new Object[] {2, 300, 128});
    }

    @ParameterizedTest(name = "{0} batch={1} length={2} hidden={3}")
    @MethodSource("cases")
    void maxPoolMatchesReference(Candidate device, int batch, int length, int hidden) {
        String shape = Conformance.shape(batch, length, hidden);
        long seed = Conformance.seed("maxPool" + shape);
        SplittableRandom r = Conformance.random(seed);
        float[] x = new float[batch * length * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(-3, 4) * 0.5f;
        }
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            Pair in = t.input(x, batch, length, hidden);
            Pair out = t.output(DType.FLOAT32, batch, hidden);
            Pair argmax = t.output(DType.INT32, batch, hidden);
            t.cpu().maxPoolForward(in.cpu(), out.cpu(), argmax.cpu());
            t.dev().maxPoolForward(in.dev(), out.dev(), argmax.dev());
            var where = new Conformance.Where("maxPoolForward", device.name(), shape, seed);
            where.assertIdentical("out", out.cpuFloats(), out.devFloats());
            where.assertExact("argmax", argmax.cpuInts(), argmax.devInts());

            Pair dOut = t.input(Conformance.uniform(r, batch * hidden, 1f), batch, hidden);
            Pair dx = t.output(DType.FLOAT32, batch, length, hidden);
            t.cpu().maxPoolBackward(dOut.cpu(), argmax.cpu(), dx.cpu());
            t.dev().maxPoolBackward(dOut.dev(), argmax.dev(), dx.dev());
            new Conformance.Where("maxPoolBackward", device.name(), shape, seed)
                    .assertIdentical("dx", dx.cpuFloats(), dx.devFloats());
        }
    }
}
