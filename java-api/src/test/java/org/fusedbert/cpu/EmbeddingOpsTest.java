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
 * Embedding lookup and its scatter-add gradient. Forward against float64 (atol 1e-6: one float32
 * rounding); backward against central differences of the float64 forward (h 1e-3, atol 1e-5,
 * rtol 1e-5; the forward is linear, so the differences are exact up to rounding).
 */
class EmbeddingOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("EmbeddingOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void forwardAndBackwardWithRepeatedIds() {
        int batch = 3, length = 5, vocab = 11, hidden = 13, maxLength = 7;
        int[] ids = Tensors.ints(rnd, batch * length, 0, vocab);
        ids[0] = ids[7] = ids[14] = 4; // the same id in several rows and positions
        float[] tok = Tensors.uniform(rnd, vocab * hidden, 1f);
        float[] pos = Tensors.uniform(rnd, maxLength * hidden, 1f);
        Tensor idT = scope.of(ids, batch, length);
        Tensor tokT = scope.of(tok, vocab, hidden);
        Tensor posT = scope.of(pos, maxLength, hidden);
        Tensor out = scope.zeros(DType.FLOAT32, batch, length, hidden);
        cpu.embeddingForward(idT, tokT, posT, out);
        double[] tokD = Tensors.widen(tok), posD = Tensors.widen(pos);
        Approx.assertClose("embedding", Reference64.embedding(ids, batch, length, tokD, posD, hidden),
                out.toFloatArray(), 1e-6, 1e-7);

        float[] g = Tensors.uniform(rnd, batch * length * hidden, 1f);
        double[] gd = Tensors.widen(g);
        float[] dTok0 = Tensors.uniform(rnd, vocab * hidden, 1f);
        float[] dPos0 = Tensors.uniform(rnd, maxLength * hidden, 1f);
        Tensor dTok = scope.of(dTok0, vocab, hidden);
        Tensor dPos = scope.of(dPos0, maxLength, hidden);
        cpu.embeddingBackward(idT, scope.of(g, batch * length, hidden), dTok, dPos);
        FiniteDifferences.check("dTokenTable", t -> FiniteDifferences.dot(gd,
                        Reference64.embedding(ids, batch, length, t, posD, hidden)), tokD,
                DenseOpsTest.minus(dTok.toFloatArray(), dTok0), FiniteDifferences.sample(rnd, vocab * hidden, 1000),
                1e-3, 1e-5, 1e-5);
        FiniteDifferences.check("dPositionTable", p -> FiniteDifferences.dot(gd,
                        Reference64.embedding(ids, batch, length, tokD, p, hidden)), posD,
                DenseOpsTest.minus(dPos.toFloatArray(), dPos0), FiniteDifferences.sample(rnd, maxLength * hidden, 1000),
                1e-3, 1e-5, 1e-5);
    }

    @Test
    void backwardIsDeterministic() {
        int batch = 16, length = 33, vocab = 7, hidden = 24;
        int[] ids = Tensors.ints(rnd, batch * length, 0, vocab);
        Tensor idT = scope.of(ids, batch, length);
        Tensor g = scope.uniform(rnd, 1f, batch, length, hidden);
        float[][] results = new float[2][];
        for (int run = 0; run < 2; run++) {
            Tensor dTok = scope.zeros(DType.FLOAT32, vocab, hidden);
            cpu.embeddingBackward(idT, g, dTok, scope.zeros(DType.FLOAT32, length, hidden));
            results[run] = dTok.toFloatArray();
        }
        Approx.assertIdentical("second run", results[0], results[1]);
    }
}
