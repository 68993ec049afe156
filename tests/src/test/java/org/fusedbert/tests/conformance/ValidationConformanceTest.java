package org.fusedbert.tests.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.Function;
import java.util.stream.Stream;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.tests.TestDevices;
import org.fusedbert.tests.TestDevices.Candidate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A device backend rejects bad arguments exactly as the CPU reference does (same exception, same
 * message), before it launches anything; on a host-visible device (the simulator) that includes
 * range checks of index values such as token ids and labels. (Tensors made here are small and
 * left to the backend: a rejected call never owns them.)
 */
class ValidationConformanceTest {
    /** One bad call: builds its tensors on the given backend and makes the call. */
    private record BadCall(String name, boolean valueCheck, Function<Backend, Runnable> call) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Tensor f(Backend b, int... shape) {
        return b.allocate(DType.FLOAT32, shape);
    }

    private static Tensor i(Backend b, int[] values, int... shape) {
        return b.allocate(DType.INT32, shape).copyFrom(values);
    }

    static Stream<Object[]> calls() {
        Stream<BadCall> calls = Stream.of(
                new BadCall("layernorm hidden mismatch", false, b -> () -> b.addDropoutLayerNormForward(f(b, 4, 8), f(b, 4, 8),
                        f(b, 7), f(b, 8), 1e-6f, Dropout.NONE, f(b, 4, 8), f(b, 4), f(b, 4))),
                new BadCall("cross-entropy label count", false, b -> () -> b.softmaxCrossEntropy(f(b, 3, 10),
                        i(b, new int[2], 2), f(b, 1))),
                new BadCall("cross-entropy label value", true, b -> () -> b.softmaxCrossEntropy(f(b, 3, 10),
                        i(b, new int[] {0, 10, -1}, 3), f(b, 1))),
                new BadCall("embedding id value", true, b -> () -> b.embeddingForward(i(b, new int[] {0, 5, 2, 1}, 2, 2),
                        f(b, 5, 4), f(b, 2, 4), f(b, 2, 2, 4))),
                new BadCall("matmul inner dimension", false, b -> () -> b.matmul(f(b, 3, 4), false, f(b, 5, 2), false, null,
                        Activation.NONE, false, f(b, 3, 2))),
                new BadCall("adam dtype", false, b -> () -> b.adamStep(f(b, 4), f(b, 4), f(b, 4), f(b, 4), f(b, 1),
                        org.fusedbert.api.AdamConfig.KERAS)),
                new BadCall("binary label value", true, b -> () -> b.sigmoidBinaryCrossEntropy(f(b, 2),
                        i(b, new int[] {0, 2}, 2), f(b, 2), f(b, 1), null)),
                new BadCall("max-pool output shape", false, b -> () -> b.maxPoolForward(f(b, 2, 3, 4), f(b, 2, 3),
                        b.allocate(DType.INT32, 2, 4))));
        return calls.flatMap(c -> TestDevices.ALL.stream().map(d -> new Object[] {d, c}));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("calls")
    void rejectsLikeTheReference(Candidate device, BadCall bad) {
        Backend dev = TestDevices.backend(device);
        if (bad.valueCheck()) {
            try (Tensor probe = dev.allocate(DType.INT32, 1)) {
                Assumptions.assumeTrue(probe.storage().hostSegment() != null,
                        "index values are range-checked only where device memory is host-visible");
            }
        }
        IllegalArgumentException expected = assertThrows(IllegalArgumentException.class,
                bad.call().apply(Conformance.reference())::run, "the CPU reference accepted " + bad);
        IllegalArgumentException actual = assertThrows(IllegalArgumentException.class,
                bad.call().apply(dev)::run, device.name() + " accepted " + bad);
        assertEquals(expected.getMessage(), actual.getMessage(), bad.name());
    }
}
