package org.fusedbert.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.fusedbert.api.Activation;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.tests.TestDevices.Candidate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A captured sequence of backend operations (GEMM with bias, ReLU, layernorm, column sums) replays
 * bit for bit what the same operations compute eagerly, on whatever the inputs hold at replay
 * time: on a GPU that is a CUDA graph from stream capture, on the simulator its recorded launches.
 */
class GraphCaptureConformanceTest {
    static Stream<Candidate> devices() {
        return TestDevices.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void replayEqualsEagerOnTheCurrentInputs(Candidate candidate) {
        DeviceBackend backend = TestDevices.backend(candidate);
        int rows = 37, hidden = 64, out = 48;
        SplittableRandom r = new SplittableRandom(11);
        try (Tensor x = backend.allocate(DType.FLOAT32, rows, hidden);
             Tensor w = backend.allocate(DType.FLOAT32, hidden, out);
             Tensor b = backend.allocate(DType.FLOAT32, out);
             Tensor y = backend.allocate(DType.FLOAT32, rows, out);
             Tensor h = backend.allocate(DType.FLOAT32, rows, out);
             Tensor colSum = backend.allocate(DType.FLOAT32, out)) {
            w.copyFrom(uniform(r, hidden * out));
            b.copyFrom(uniform(r, out));
            Runnable step = () -> {
                backend.matmul(x, false, w, false, b, Activation.NONE, false, y);
                backend.biasActivation(y, null, Activation.RELU, h);
                backend.biasGradient(h, colSum, false);
            };
            x.copyFrom(uniform(r, rows * hidden));
            step.run();  // eager once first, so scratch and GEMM plans exist before capture
            backend.synchronize();
            try (DeviceGraph graph = backend.device().capture(step)) {
                assertTrue(graph.nodeCount() >= 3, "nodes: " + graph.nodeCount());
                for (int replay = 0; replay < 3; replay++) {
                    float[] input = uniform(r, rows * hidden);
                    x.copyFrom(input);
                    graph.launch();
                    float[] replayed = h.toFloatArray();
                    float[] replayedSums = colSum.toFloatArray();
                    step.run();
                    assertArrayEquals(h.toFloatArray(), replayed, candidate + " replay " + replay + ": activations");
                    assertArrayEquals(colSum.toFloatArray(), replayedSums, candidate + " replay " + replay + ": sums");
                }
            }
        }
    }

    private static float[] uniform(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }
}
