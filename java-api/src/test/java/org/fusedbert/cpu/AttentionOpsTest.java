package org.fusedbert.cpu;

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
 * The attention core. Forward ({@code out}, {@code lse}) against float64 (atol 1e-5, rtol 1e-5);
 * backward ({@code dqkv}) against central differences of the float64 forward of
 * {@code sum(dOut * out)} (h 1e-3, atol 2e-5, rtol 1e-3: the backward reads the float32 lse), at
 * sampled elements of Q, K and V including keys past each sequence's valid length.
 */
class AttentionOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("AttentionOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void headDim16OddLengthWithPadding() {
        check(3, 13, 2, 16, new int[] {13, 5, 1}, (float) (1 / Math.sqrt(16)));
    }

    /** Longer than a vector of keys: several key chunks, a partial last one. */
    @Test
    void severalKeyChunksWithPadding() {
        check(2, 37, 2, 16, new int[] {37, 19}, 0.25f);
    }

    @Test
    void oddHeadDimWithoutPadding() {
        check(2, 9, 3, 5, null, 0.3f);
    }

    private void check(int batch, int length, int heads, int headDim, int[] lengths, float scale) {
        int embed = heads * headDim;
        float[] qkv = Tensors.uniform(rnd, batch * length * 3 * embed, 1.5f);
        Tensor qkvT = scope.of(qkv, batch, length, 3 * embed);
        Tensor lenT = lengths == null ? null : scope.of(lengths, batch);
        Tensor out = scope.zeros(DType.FLOAT32, batch, length, embed);
        Tensor lse = scope.zeros(DType.FLOAT32, batch, heads, length);
        cpu.attentionForward(qkvT, lenT, heads, scale, out, lse);
        double[] qkvD = Tensors.widen(qkv);
        Reference64.Attention ref = Reference64.attention(qkvD, batch, length, embed, heads, lengths, scale);
        Approx.assertClose("out", ref.out(), out.toFloatArray(), 1e-5, 1e-5);
        Approx.assertClose("lse", ref.lse(), lse.toFloatArray(), 1e-5, 1e-5);

        float[] g = Tensors.uniform(rnd, batch * length * embed, 1f);
        double[] gd = Tensors.widen(g);
        Tensor dOut = scope.of(g, batch, length, embed);
        Tensor delta = scope.zeros(DType.FLOAT32, batch, heads, length);
        Tensor dqkv = scope.uniform(rnd, 9f, batch, length, 3 * embed); // overwritten
        cpu.attentionBackward(qkvT, lenT, heads, scale, out, lse, dOut, delta, dqkv);

        double[] expectedDelta = new double[batch * heads * length];
        float[] outF = out.toFloatArray();
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < length; i++) {
                    for (int c = 0; c < headDim; c++) {
                        int at = (b * length + i) * embed + h * headDim + c;
                        expectedDelta[(b * heads + h) * length + i] += (double) g[at] * outF[at];
                    }
                }
            }
        }
        Approx.assertClose("delta", expectedDelta, delta.toFloatArray(), 1e-6, 1e-5);
        FiniteDifferences.check("dqkv", x -> FiniteDifferences.dot(gd,
                        Reference64.attention(x, batch, length, embed, heads, lengths, scale).out()),
                qkvD, dqkv.toFloatArray(), FiniteDifferences.sample(rnd, qkv.length, 150), 1e-3, 2e-5, 1e-3);
        if (lengths != null) {
            // keys and values past the valid length get exactly zero gradient
            float[] d = dqkv.toFloatArray();
            for (int b = 0; b < batch; b++) {
                for (int j = lengths[b]; j < length; j++) {
                    for (int c = embed; c < 3 * embed; c++) {
                        float v = d[(b * length + j) * 3 * embed + c];
                        if (v != 0f) {
                            throw new AssertionError("dK/dV of padded key b=" + b + " j=" + j + " is " + v);
                        }
                    }
                }
            }
        }
    }
}
