package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fusedbert.api.Activation;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.TensorScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Every bad-input check of {@link org.fusedbert.api.OpChecks} as run by {@link CpuBackend}: each
 * case must throw {@link IllegalArgumentException} whose message is
 * {@code "<op>: <argument> expected <what> but was <found>"}, with the expected and found parts
 * given here where they carry a number.
 */
class OpChecksTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope s = new TensorScope(cpu);
    private final List<DynamicTest> cases = new ArrayList<>();

    @AfterEach
    void close() {
        s.close();
    }

    private Tensor f(int... shape) {
        return s.zeros(DType.FLOAT32, shape);
    }

    private Tensor i(int... shape) {
        return s.zeros(DType.INT32, shape);
    }

    /** A case: the call must fail with a message starting {@code "<op>: <arg> expected "} and containing {@code detail}. */
    private void expect(String op, String arg, String detail, Executable call) {
        String prefix = op + ": " + arg + " expected ";
        cases.add(DynamicTest.dynamicTest(prefix + detail, () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
            String msg = e.getMessage();
            assertTrue(msg.startsWith(prefix) && msg.contains(" but was ") && msg.contains(detail),
                    () -> "message '" + msg + "' should start with '" + prefix + "' and contain '" + detail + "'");
        }));
    }

    @TestFactory
    Stream<DynamicTest> memory() {
        Tensor f6 = f(2, 3);
        Tensor other = new CpuBackend().allocate(DType.FLOAT32, 6);
        Tensor closed = f(2);
        closed.close();
        float[] six = new float[6];
        expect("allocate", "dtype", "FLOAT32 or INT32", () -> cpu.allocate(null, 2));
        expect("allocate", "shape", "[2, -1]", () -> cpu.allocate(DType.FLOAT32, 2, -1));
        expect("upload", "src", "a memory segment", () -> cpu.upload(null, DType.FLOAT32, 6, f6));
        expect("upload", "dtype", "FLOAT32 or INT32", () -> cpu.upload(MemorySegment.ofArray(six), null, 6, f6));
        expect("upload", "dst", "INT32", () -> cpu.upload(MemorySegment.ofArray(new int[6]), DType.INT32, 6, f6));
        expect("upload", "dst", "a tensor", () -> cpu.upload(MemorySegment.ofArray(six), DType.FLOAT32, 6, null));
        expect("upload", "dst", "backend cpu", () -> cpu.upload(MemorySegment.ofArray(six), DType.FLOAT32, 6, other));
        expect("upload", "dst", "an open tensor", () -> cpu.upload(MemorySegment.ofArray(six), DType.FLOAT32, 2, closed));
        expect("upload", "count", "6 (the elements of dst [2, 3])", () -> cpu.upload(MemorySegment.ofArray(six),
                DType.FLOAT32, 5, f6));
        expect("upload", "src", "24 bytes", () -> cpu.upload(MemorySegment.ofArray(new float[5]), DType.FLOAT32, 6, f6));
        expect("download", "src", "a tensor", () -> cpu.download(null, MemorySegment.ofArray(six)));
        expect("download", "dst", "a memory segment", () -> cpu.download(f6, null));
        expect("download", "dst", "a writable segment", () -> cpu.download(f6, MemorySegment.ofArray(six).asReadOnly()));
        expect("download", "dst", "24 bytes", () -> cpu.download(f6, MemorySegment.ofArray(new float[5])));
        expect("fill", "value", "an integer", () -> cpu.fill(i(2), 1.5));
        expect("fill", "value", "an integer", () -> cpu.fill(i(2), 3e9));
        expect("copy", "dst", "FLOAT32", () -> cpu.copy(f6, i(6)));
        expect("copy", "dst", "6 elements", () -> cpu.copy(f6, f(7)));
        expect("increment", "counter", "INT32", () -> cpu.increment(f(1)));
        expect("increment", "counter", "1 elements", () -> cpu.increment(i(2)));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> embeddings() {
        Tensor ids = s.of(new int[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor tok = f(6, 4), pos = f(5, 4), out = f(2, 3, 4);
        String fw = "embeddingForward", bw = "embeddingBackward";
        expect(fw, "ids", "INT32", () -> cpu.embeddingForward(f(2, 3), tok, pos, out));
        expect(fw, "ids", "2 dimensions", () -> cpu.embeddingForward(i(6), tok, pos, out));
        expect(fw, "tokenTable", "2 dimensions", () -> cpu.embeddingForward(ids, f(24), pos, out));
        expect(fw, "positionTable", "at least 3 rows", () -> cpu.embeddingForward(ids, tok, f(2, 4), out));
        expect(fw, "positionTable", "4 columns", () -> cpu.embeddingForward(ids, tok, f(5, 5), out));
        expect(fw, "out", "6 rows of 4", () -> cpu.embeddingForward(ids, tok, pos, f(2, 3, 5)));
        expect(fw, "out", "memory disjoint from tokenTable", () -> cpu.embeddingForward(ids, tok, pos, tok.view(2, 3, 4)));
        expect(fw, "ids[5]", "a value in [0, 4]", () -> cpu.embeddingForward(ids, f(5, 4), pos, out));
        expect(fw, "ids[0]", "a value in [0, 5]", () -> cpu.embeddingForward(s.of(new int[] {-1, 0, 0, 0, 0, 0}, 2, 3),
                tok, pos, out));
        expect(bw, "dOut", "6 rows of 4", () -> cpu.embeddingBackward(ids, f(6, 3), tok, pos));
        expect(bw, "dPositionTable", "memory disjoint from dTokenTable",
                () -> cpu.embeddingBackward(ids, out, tok, tok.narrow(0, 5)));
        expect(bw, "ids[5]", "a value in [0, 4]", () -> cpu.embeddingBackward(ids, out, f(5, 4), pos));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> denseLayers() {
        Tensor a = f(4, 3), b = f(3, 5), c = f(4, 5), bias = f(5);
        String mm = "matmul";
        expect(mm, "a", "FLOAT32", () -> cpu.matmul(i(4, 3), b, c));
        expect(mm, "a", "at least 2 dimensions", () -> cpu.matmul(f(12), b, c));
        expect(mm, "b", "3 rows (the inner dimension of op(a))", () -> cpu.matmul(a, f(4, 5), c));
        expect(mm, "b", "3 columns", () -> cpu.matmul(a, false, f(5, 4), true, null, Activation.NONE, false, c));
        expect(mm, "c", "[4, 5]", () -> cpu.matmul(a, b, f(5, 4)));
        expect(mm, "bias", "5 elements", () -> cpu.matmul(a, false, b, false, f(4), Activation.NONE, false, c));
        expect(mm, "activation", "NONE or RELU", () -> cpu.matmul(a, false, b, false, bias, null, false, c));
        Tensor square = f(4, 4);
        expect(mm, "c", "memory disjoint from a", () -> cpu.matmul(square, f(4, 4), square));
        String ba = "biasActivation";
        expect(ba, "out", "4 rows of 5", () -> cpu.biasActivation(c, bias, Activation.RELU, f(5, 4)));
        expect(ba, "bias", "5 elements", () -> cpu.biasActivation(c, f(4), Activation.RELU, c));
        expect(ba, "activation", "NONE or RELU", () -> cpu.biasActivation(c, bias, null, c));
        Tensor big = f(5, 5);
        expect(ba, "out", "memory disjoint from x", () -> cpu.biasActivation(big.narrow(0, 4), bias, Activation.NONE,
                big.narrow(1, 4)));
        expect("reluBackward", "dy", "20 elements", () -> cpu.reluBackward(c, f(4, 4), c.view(20)));
        expect("reluBackward", "dx", "memory disjoint from dy", () -> cpu.reluBackward(c, big.narrow(0, 4),
                big.narrow(1, 4)));
        expect("biasGradient", "dBias", "5 elements", () -> cpu.biasGradient(c, f(4), true));
        String lb = "linearBackward";
        Tensor dx = f(4, 3), dw = f(3, 5), db = f(5);
        expect(lb, "w", "3 rows (the columns of x)", () -> cpu.linearBackward(a, f(4, 5), c, dx, false, dw, db));
        expect(lb, "dy", "4 rows of 5", () -> cpu.linearBackward(a, b, f(4, 4), dx, false, dw, db));
        expect(lb, "dw", "shape [3, 5]", () -> cpu.linearBackward(a, b, c, dx, false, f(5, 3), db));
        expect(lb, "dx", "4 rows of 3", () -> cpu.linearBackward(a, b, c, f(3, 4), false, dw, db));
        expect(lb, "db", "5 elements", () -> cpu.linearBackward(a, b, c, dx, false, dw, f(3)));
        expect(lb, "dx", "memory disjoint from x", () -> cpu.linearBackward(a, b, c, a, false, dw, db));
        return cases.stream();
    }

    /** A bad late argument must leave the earlier outputs untouched (checks run before any write). */
    @Test
    void linearBackwardWritesNothingWhenAnArgumentIsBad() {
        Tensor a = f(4, 3), dy = f(4, 5), dx = f(4, 3), dw = f(3, 5);
        cpu.fill(a, 1);
        cpu.fill(dy, 1);
        assertThrows(IllegalArgumentException.class, () -> cpu.linearBackward(a, f(3, 5), dy, dx, false, dw, f(2)));
        assertArrayEquals(new float[12], dx.toFloatArray());
        assertArrayEquals(new float[15], dw.toFloatArray());
    }

    @TestFactory
    Stream<DynamicTest> attention() {
        Tensor qkv = f(2, 3, 12), lens = s.of(new int[] {3, 1}, 2), out = f(2, 3, 4), lse = f(2, 2, 3);
        String fw = "attentionForward", bw = "attentionBackward";
        expect(fw, "qkv", "3 dimensions", () -> cpu.attentionForward(f(6, 12), lens, 2, 1f, out, lse));
        expect(fw, "qkv", "3 * E", () -> cpu.attentionForward(f(2, 3, 13), lens, 2, 1f, out, lse));
        expect(fw, "heads", "a positive divisor of E = 4", () -> cpu.attentionForward(qkv, lens, 3, 1f, out, lse));
        expect(fw, "heads", "a positive divisor of E = 4", () -> cpu.attentionForward(qkv, lens, 0, 1f, out, lse));
        expect(fw, "scale", "a finite number", () -> cpu.attentionForward(qkv, lens, 2, Float.NaN, out, lse));
        expect(fw, "validLengths", "2 elements", () -> cpu.attentionForward(qkv, i(3), 2, 1f, out, lse));
        expect(fw, "validLengths", "INT32", () -> cpu.attentionForward(qkv, f(2), 2, 1f, out, lse));
        expect(fw, "validLengths[1]", "a value in [1, 3]", () -> cpu.attentionForward(qkv, s.of(new int[] {3, 0}, 2), 2,
                1f, out, lse));
        expect(fw, "validLengths[0]", "a value in [1, 3]", () -> cpu.attentionForward(qkv, s.of(new int[] {4, 1}, 2), 2,
                1f, out, lse));
        expect(fw, "out", "24 elements", () -> cpu.attentionForward(qkv, lens, 2, 1f, f(2, 3, 5), lse));
        expect(fw, "lse", "12 elements", () -> cpu.attentionForward(qkv, lens, 2, 1f, out, f(2, 3)));
        expect(fw, "out", "memory disjoint from qkv", () -> cpu.attentionForward(qkv, lens, 2, 1f, qkv.view(72)
                .narrow(0, 24).view(2, 3, 4), lse));
        Tensor dOut = f(2, 3, 4), delta = f(2, 2, 3), dqkv = f(2, 3, 12);
        expect(bw, "delta", "12 elements", () -> cpu.attentionBackward(qkv, lens, 2, 1f, out, lse, dOut, f(13), dqkv));
        expect(bw, "dqkv", "72 elements", () -> cpu.attentionBackward(qkv, lens, 2, 1f, out, lse, dOut, delta, f(71)));
        expect(bw, "dOut", "24 elements", () -> cpu.attentionBackward(qkv, lens, 2, 1f, out, lse, f(1), delta, dqkv));
        expect(bw, "dqkv", "memory disjoint from qkv", () -> cpu.attentionBackward(qkv, lens, 2, 1f, out, lse, dOut,
                delta, qkv));
        expect(bw, "validLengths[1]", "a value in [1, 3]", () -> cpu.attentionBackward(qkv, s.of(new int[] {1, 9}, 2),
                2, 1f, out, lse, dOut, delta, dqkv));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> layerNorm() {
        Tensor res = f(4, 6), sub = f(4, 6), g = f(6), b = f(6), out = f(4, 6), mean = f(4), rstd = f(4);
        Dropout drop = new Dropout(0.1f, 1, 0, i(1));
        String fw = "addDropoutLayerNormForward", bw = "addDropoutLayerNormBackward";
        expect(fw, "residual", "at least 2 dimensions", () -> cpu.addDropoutLayerNormForward(f(24), sub, g, b, 1e-6f,
                drop, out, mean, rstd));
        expect(fw, "sublayer", "4 rows of 6", () -> cpu.addDropoutLayerNormForward(res, f(4, 5), g, b, 1e-6f, drop, out,
                mean, rstd));
        expect(fw, "gamma", "6 elements", () -> cpu.addDropoutLayerNormForward(res, sub, f(5), b, 1e-6f, drop, out, mean,
                rstd));
        expect(fw, "beta", "6 elements", () -> cpu.addDropoutLayerNormForward(res, sub, g, f(7), 1e-6f, drop, out, mean,
                rstd));
        expect(fw, "eps", "a finite number > 0", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 0f, drop, out, mean,
                rstd));
        expect(fw, "eps", "a finite number > 0", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, Float.NaN, drop,
                out, mean, rstd));
        expect(fw, "dropout", "a Dropout", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 1e-6f, null, out, mean,
                rstd));
        expect(fw, "dropout.stepCounter", "INT32", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 1e-6f,
                new Dropout(0.1f, 1, 0, f(1)), out, mean, rstd));
        expect(fw, "mean", "4 elements", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 1e-6f, drop, out, f(3),
                rstd));
        expect(fw, "rstd", "4 elements", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 1e-6f, drop, out, mean,
                f(5)));
        expect(fw, "out", "memory disjoint from residual", () -> cpu.addDropoutLayerNormForward(res, sub, g, b, 1e-6f,
                drop, res, mean, rstd));
        Tensor dOut = f(4, 6), dRes = f(4, 6), dSub = f(4, 6), dG = f(6), dB = f(6);
        expect(bw, "dOut", "4 rows of 6", () -> cpu.addDropoutLayerNormBackward(f(4, 7), res, sub, g, mean, rstd, drop,
                dRes, dSub, dG, dB));
        expect(bw, "dGamma", "6 elements", () -> cpu.addDropoutLayerNormBackward(dOut, res, sub, g, mean, rstd, drop,
                dRes, dSub, f(4), dB));
        expect(bw, "dResidual", "memory disjoint from dOut", () -> cpu.addDropoutLayerNormBackward(dOut, res, sub, g,
                mean, rstd, drop, dOut, dSub, dG, dB));
        expect(bw, "dSublayer", "memory disjoint from dResidual", () -> cpu.addDropoutLayerNormBackward(dOut, res, sub,
                g, mean, rstd, drop, dRes, dRes, dG, dB));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> lossesAndHeads() {
        Tensor logits = f(3, 5), labels = s.of(new int[] {0, -1, 4}, 3), loss = f(1);
        String ce = "softmaxCrossEntropy";
        expect(ce, "logits", "at least 2 dimensions", () -> cpu.softmaxCrossEntropy(f(15), labels, loss));
        expect(ce, "labels", "3 elements", () -> cpu.softmaxCrossEntropy(logits, i(4), loss));
        expect(ce, "loss", "1 elements", () -> cpu.softmaxCrossEntropy(logits, labels, f(2)));
        expect(ce, "labels[2]", "-1 or a value in [0, 4]", () -> cpu.softmaxCrossEntropy(logits,
                s.of(new int[] {0, 1, 5}, 3), loss));
        expect(ce, "labels[0]", "-1 or a value in [0, 4]", () -> cpu.softmaxCrossEntropy(logits,
                s.of(new int[] {-2, 1, 1}, 3), loss));
        Tensor x = f(2, 3, 4), pooled = f(2, 4), argmax = i(2, 4);
        expect("maxPoolForward", "x", "3 dimensions", () -> cpu.maxPoolForward(f(6, 4), pooled, argmax));
        expect("maxPoolForward", "out", "8 elements", () -> cpu.maxPoolForward(x, f(2, 3), argmax));
        expect("maxPoolForward", "argmax", "INT32", () -> cpu.maxPoolForward(x, pooled, f(2, 4)));
        expect("maxPoolBackward", "dx", "3 dimensions", () -> cpu.maxPoolBackward(pooled, argmax, f(6, 4)));
        expect("maxPoolBackward", "argmax[7]", "a value in [0, 2]", () -> cpu.maxPoolBackward(pooled,
                s.of(new int[] {0, 0, 0, 0, 0, 0, 0, 3}, 2, 4), x));
        Tensor z = f(4, 1), y = s.of(new int[] {0, 1, 1, 0}, 4), probs = f(4);
        String bce = "sigmoidBinaryCrossEntropy";
        expect(bce, "logits", "shape [B] or [B, 1]", () -> cpu.sigmoidBinaryCrossEntropy(f(2, 2), y, probs, loss, null));
        expect(bce, "labels", "4 elements", () -> cpu.sigmoidBinaryCrossEntropy(z, i(3), probs, loss, null));
        expect(bce, "probs", "4 elements", () -> cpu.sigmoidBinaryCrossEntropy(z, y, f(5), loss, null));
        expect(bce, "dLogits", "shape [4, 1]", () -> cpu.sigmoidBinaryCrossEntropy(z, y, probs, loss, f(4)));
        expect(bce, "labels[1]", "a value in [0, 1]", () -> cpu.sigmoidBinaryCrossEntropy(z,
                s.of(new int[] {0, 2, 1, 0}, 4), probs, loss, null));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> mlmDataPath() {
        Tensor ids = s.of(new int[] {2, 3, 0, 4, 5, 6}, 2, 3), step = i(1), masked = i(2, 3), labels = i(2, 3);
        expect("sequenceLengths", "ids", "2 dimensions", () -> cpu.sequenceLengths(i(6), i(1)));
        expect("sequenceLengths", "lengths", "2 elements", () -> cpu.sequenceLengths(ids, i(3)));
        MaskingSpec spec = MaskingSpec.bert(7, 5);
        expect("mlmMask", "spec", "a MaskingSpec", () -> cpu.mlmMask(ids, null, step, masked, labels));
        expect("mlmMask", "stepCounter", "1 elements", () -> cpu.mlmMask(ids, spec, i(2), masked, labels));
        expect("mlmMask", "labels", "6 elements", () -> cpu.mlmMask(ids, spec, step, masked, i(5)));
        expect("mlmMask", "maskedIds", "memory disjoint from ids", () -> cpu.mlmMask(ids, spec, step, ids, labels));
        expect("mlmMask", "ids[5]", "a value in [0, 5]", () -> cpu.mlmMask(s.of(new int[] {2, 3, 0, 4, 5, 6}, 2, 3),
                spec, step, masked, labels));
        Tensor hidden = f(6, 4), rowLabels = s.of(new int[] {-1, 3, -1, 2, 5, -1}, 6);
        Tensor rows = f(3, 4), rl = i(3), ri = i(3), count = i(1);
        String ga = "gatherLabelledRows";
        expect(ga, "labels", "6 elements", () -> cpu.gatherLabelledRows(hidden, i(5), rows, rl, ri, count));
        expect(ga, "rows", "4 columns", () -> cpu.gatherLabelledRows(hidden, rowLabels, f(3, 5), rl, ri, count));
        expect(ga, "rowIndex", "3 elements", () -> cpu.gatherLabelledRows(hidden, rowLabels, rows, rl, i(2), count));
        expect(ga, "count", "1 elements", () -> cpu.gatherLabelledRows(hidden, rowLabels, rows, rl, ri, i(2)));
        expect(ga, "labels[0]", "-1 or a value in [0, ", () -> cpu.gatherLabelledRows(hidden,
                s.of(new int[] {-5, 0, 0, 0, 0, 0}, 6), rows, rl, ri, count));
        expect("scatterRows", "dHidden", "4 columns", () -> cpu.scatterRows(rows, ri, f(6, 5)));
        expect("scatterRows", "rowIndex[1]", "-1 or a value in [0, 5]", () -> cpu.scatterRows(rows,
                s.of(new int[] {0, 6, -1}, 3), hidden));
        expect("rowsToProcess", "capacity", ">= 0", () -> cpu.rowsToProcess(count, -1));
        expect("rowsToProcess", "count", "INT32", () -> cpu.rowsToProcess(f(1), 3));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> residentData() {
        Tensor source = s.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3), order = s.of(new int[] {2, 0, 1}, 3);
        Tensor index = i(1), out = i(2, 3);
        String gb = "gatherBatch";
        expect(gb, "source", "2 dimensions", () -> cpu.gatherBatch(i(9), order, index, out));
        expect(gb, "source", "at least one row", () -> cpu.gatherBatch(i(0, 3), i(0), index, out));
        expect(gb, "order", "3 elements", () -> cpu.gatherBatch(source, i(4), index, out));
        expect(gb, "batchIndex", "1 elements", () -> cpu.gatherBatch(source, order, i(2), out));
        expect(gb, "out", "3 columns (as source)", () -> cpu.gatherBatch(source, order, index, i(2, 4)));
        expect(gb, "out", "INT32", () -> cpu.gatherBatch(source, order, index, f(2, 3)));
        expect(gb, "out", "memory disjoint from source", () -> cpu.gatherBatch(source, order, index, source));
        expect(gb, "order[1]", "a value in [0, 2]", () -> cpu.gatherBatch(source, s.of(new int[] {0, 3, 1}, 3), index,
                out));
        expect(gb, "batchIndex[0]", "a value in [0, ", () -> cpu.gatherBatch(source, order, s.scalar(-1), out));
        Tensor values = f(2), history = f(5);
        String sb = "storeBatch";
        expect(sb, "values", "FLOAT32", () -> cpu.storeBatch(i(2), index, history));
        expect(sb, "batchIndex", "1 elements", () -> cpu.storeBatch(values, i(3), history));
        expect(sb, "history", "memory disjoint from values", () -> cpu.storeBatch(values, index, values));
        expect(sb, "batchIndex[0]", "a value in [0, ", () -> cpu.storeBatch(values, s.scalar(-2), history));
        return cases.stream();
    }

    @TestFactory
    Stream<DynamicTest> optimizer() {
        Tensor p = f(10), g = f(10), m = f(10), v = f(10), step = i(1);
        expect("adamStep", "grads", "10 elements", () -> cpu.adamStep(p, f(9), m, v, step, AdamConfig.KERAS));
        expect("adamStep", "step", "INT32", () -> cpu.adamStep(p, g, m, v, f(1), AdamConfig.KERAS));
        expect("adamStep", "config", "an AdamConfig", () -> cpu.adamStep(p, g, m, v, step, null));
        expect("adamStep", "v", "memory disjoint from m", () -> cpu.adamStep(p, g, m, m, step, AdamConfig.KERAS));
        return cases.stream();
    }
}
