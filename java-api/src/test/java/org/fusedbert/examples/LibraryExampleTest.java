package org.fusedbert.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Backends;
import org.junit.jupiter.api.Test;

/**
 * The README's "Using the library" example, run as written (on whatever {@code auto} opens: the CPU
 * here, a GPU where there is one) and checked against a plain double-precision computation; a
 * second test keeps the README's copy of it identical to this code.
 */
class LibraryExampleTest {
    private static final int BATCH = 2, LENGTH = 64, HIDDEN = 128, HEADS = 8;

    @Test
    void selfAttentionThroughTheBackendMatchesAPlainComputation() {
        SplittableRandom r = new SplittableRandom(5);
        float[] input = uniform(r, BATCH * LENGTH * HIDDEN, 1f);
        float[] weights = uniform(r, HIDDEN * 3 * HIDDEN, 0.1f);

        // --- README example start
        float[] result;
        String engine;
        try (Backend backend = Backends.open("auto");  // cuda, else jcuda, else the CPU (with a notice)
             Tensor x = backend.allocate(DType.FLOAT32, 2, 64, 128);  // [batch, length, hidden]
             Tensor wQkv = backend.allocate(DType.FLOAT32, 128, 3 * 128);
             Tensor lengths = backend.allocate(DType.INT32, 2);
             Tensor qkv = backend.allocate(DType.FLOAT32, 2, 64, 3 * 128);
             Tensor attended = backend.allocate(DType.FLOAT32, 2, 64, 128);
             Tensor lse = backend.allocate(DType.FLOAT32, 2, 8, 64)) {
            x.copyFrom(input);
            wQkv.copyFrom(weights);
            lengths.copyFrom(new int[] {64, 40});  // the second sequence: 40 tokens, then padding
            backend.matmul(x, wQkv, qkv);  // Q, K and V from one projection
            backend.attentionForward(qkv, lengths, 8, (float) (1 / Math.sqrt(16)), attended, lse);
            result = attended.toFloatArray();  // waits for the device
            engine = backend.name();  // cpu, cuda or jcuda
        }
        // --- README example end

        double[] expected = plainAttention(input, weights, new int[] {LENGTH, 40});
        double rtol = engine.equals("cpu") ? 1e-5 : 5e-3;  // a GPU's GEMMs run in TF32 by default
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], result[i], rtol * (1 + Math.abs(expected[i])), engine + ": element " + i);
        }
    }

    @Test
    void theReadmeShowsThisExample() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md")).stream().map(String::strip).toList();
        List<String> source = Files.readAllLines(
                Path.of("src", "test", "java", "org", "fusedbert", "examples", "LibraryExampleTest.java"));
        int from = indexOf(source, "// --- README example start") + 1, to = indexOf(source, "// --- README example end");
        List<String> example = source.subList(from, to).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        int at = readme.indexOf(example.get(0));
        assertTrue(at >= 0, "README.md lacks the example's first line: " + example.get(0));
        assertEquals(example, readme.subList(at, at + example.size()), "README.md's example differs from this test's");
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new AssertionError("marker not found: " + marker);
    }

    /** x W, split into heads, softmax over the valid keys, times V; in double. */
    private static double[] plainAttention(float[] x, float[] w, int[] valid) {
        int headDim = HIDDEN / HEADS;
        double[] qkv = new double[BATCH * LENGTH * 3 * HIDDEN];
        for (int row = 0; row < BATCH * LENGTH; row++) {
            for (int j = 0; j < 3 * HIDDEN; j++) {
                double s = 0;
                for (int k = 0; k < HIDDEN; k++) {
                    s += (double) x[row * HIDDEN + k] * w[k * 3 * HIDDEN + j];
                }
                qkv[row * 3 * HIDDEN + j] = s;
            }
        }
        double[] out = new double[BATCH * LENGTH * HIDDEN];
        double scale = 1 / Math.sqrt(headDim);
        for (int b = 0; b < BATCH; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int i = 0; i < LENGTH; i++) {
                    double[] p = new double[valid[b]];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < valid[b]; j++) {
                        double s = 0;
                        for (int c = 0; c < headDim; c++) {
                            s += qkv[(b * LENGTH + i) * 3 * HIDDEN + h * headDim + c]
                                    * qkv[(b * LENGTH + j) * 3 * HIDDEN + HIDDEN + h * headDim + c];
                        }
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < valid[b]; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int c = 0; c < headDim; c++) {
                        double o = 0;
                        for (int j = 0; j < valid[b]; j++) {
                            o += p[j] / sum * qkv[(b * LENGTH + j) * 3 * HIDDEN + 2 * HIDDEN + h * headDim + c];
                        }
                        out[(b * LENGTH + i) * HIDDEN + h * headDim + c] = o;
                    }
                }
            }
        }
        return out;
    }

    private static float[] uniform(SplittableRandom r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }
}
