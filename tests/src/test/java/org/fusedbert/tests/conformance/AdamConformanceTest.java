package org.fusedbert.tests.conformance;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.fusedbert.tests.conformance.Twin.Pair;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fused Adam on each device against the CPU reference: sizes that leave a scalar tail after the
 * float4 body, an unaligned buffer (scalar path), and two consecutive steps so the device-resident
 * step counter and its bias correction are exercised.
 */
class AdamConformanceTest {
    static Stream<Arguments> cases() {
        return TestDevices.cross(
                new Object[] {1, true},
                new Object[] {7, true},
                new Object[] {1001, true},
                new Object[] {30003, true},
                new Object[] {1001, false});
    }

    @ParameterizedTest(name = "{0} params={1} aligned={2}")
    @MethodSource("cases")
    void twoStepsMatchReference(Candidate device, int count, boolean aligned) {
        String shape = "[" + count + "]" + (aligned ? "" : " unaligned");
        long seed = Conformance.seed("adamStep" + shape);
        SplittableRandom r = Conformance.random(seed);
        float[] v0 = Conformance.uniform(r, count, 1e-2f);
        for (int i = 0; i < count; i++) {
            v0[i] = Math.abs(v0[i]);
        }
        AdamConfig config = new AdamConfig(3e-3f, 0.9f, 0.999f, 1e-7f);
        try (Twin t = new Twin(Conformance.reference(), TestDevices.backend(device))) {
            float[] p0 = Conformance.uniform(r, count, 1f);
            Pair params = aligned ? t.input(p0, count) : t.unalignedInput(p0, count);
            Pair grads = t.input(Conformance.uniform(r, count, 0.1f), count);
            Pair m = t.input(Conformance.uniform(r, count, 0.1f), count);
            Pair v = t.input(v0, count);
            Pair step = t.input(new int[] {r.nextInt(0, 50)}, 1);
            var where = new Conformance.Where("adamStep", device.name(), shape, seed);
            for (int s = 0; s < 2; s++) {
                t.cpu().adamStep(params.cpu(), grads.cpu(), m.cpu(), v.cpu(), step.cpu(), config);
                t.dev().adamStep(params.dev(), grads.dev(), m.dev(), v.dev(), step.dev(), config);
                where.assertExact("step", step.cpuInts(), step.devInts());
                where.assertClose("params", params.cpuFloats(), params.devFloats(), Conformance.ELEMENTWISE);
                where.assertClose("m", m.cpuFloats(), m.devFloats(), Conformance.ELEMENTWISE);
                where.assertClose("v", v.cpuFloats(), v.devFloats(), Conformance.ELEMENTWISE);
            }
        }
    }
}
