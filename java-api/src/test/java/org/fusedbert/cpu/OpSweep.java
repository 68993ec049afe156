package org.fusedbert.cpu;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.fusedbert.api.Activation;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.TensorScope;
import org.fusedbert.testing.Tensors;

/**
 * Every {@link CpuBackend} operation that does arithmetic, forward and backward, on fixed
 * pseudo-random inputs (the same in every JVM), with the bits of every output collected by name:
 * what the determinism tests compare across thread counts and JIT states. {@link #main} runs it in
 * another JVM (started with {@code -Xint} by {@link CpuDeterminismTest}) and writes the outputs to
 * a file.
 */
final class OpSweep {
    /**
     * The shapes of one sweep: batch, sequence length, hidden width, heads, feed-forward width,
     * classes (vocabulary of the embedding and the softmax), Adam parameters.
     */
    record Size(int batch, int length, int hidden, int heads, int ffn, int classes, int params) {
    }

    /** Odd sizes and vector tails everywhere (head dimension 18); small enough for the interpreter. */
    static final Size SMALL = new Size(2, 13, 36, 2, 47, 37, 1_003);
    /** Large enough that every parallel loop has several chunks and the matmuls split over threads. */
    static final Size PARALLEL = new Size(4, 75, 48, 3, 144, 120, 40_003);

    private OpSweep() {
    }

    /** The bits of every output of one sweep on {@code cpu}, in a fixed order. */
    static Map<String, int[]> run(CpuBackend cpu, Size size) {
        Random rnd = new Random(20_240_917L);
        Map<String, int[]> out = new LinkedHashMap<>();
        int b = size.batch(), l = size.length(), h = size.hidden(), f = size.ffn(), v = size.classes();
        int rows = b * l;
        try (TensorScope s = new TensorScope(cpu)) {
            int[] lengths = new int[b];
            int[] ids = new int[rows];
            for (int r = 0; r < b; r++) {
                lengths[r] = r == 0 ? l : 1 + rnd.nextInt(l);
                for (int p = 0; p < l; p++) {
                    ids[r * l + p] = p < lengths[r] ? 1 + rnd.nextInt(v - 1) : 0;
                }
            }
            Tensor idsT = s.of(ids, b, l);
            Tensor step = s.scalar(7);

            Tensor emb = s.zeros(DType.FLOAT32, b, l, h);
            Tensor tok = s.uniform(rnd, 0.5f, v, h);
            Tensor pos = s.uniform(rnd, 0.5f, l, h);
            cpu.embeddingForward(idsT, tok, pos, emb);
            Tensor dTok = s.zeros(DType.FLOAT32, v, h);
            Tensor dPos = s.zeros(DType.FLOAT32, l, h);
            cpu.embeddingBackward(idsT, s.uniform(rnd, 1f, b, l, h), dTok, dPos);
            put(out, "embeddingForward", emb);
            put(out, "embeddingBackward.dToken", dTok);
            put(out, "embeddingBackward.dPosition", dPos);

            // attention on a projection of the embeddings, keys padded per row
            Tensor wqkv = s.uniform(rnd, 0.3f, h, 3 * h);
            Tensor qkv = s.zeros(DType.FLOAT32, b, l, 3 * h);
            cpu.matmul(emb, false, wqkv, false, s.uniform(rnd, 0.1f, 3 * h), Activation.NONE, false, qkv);
            Tensor valid = s.of(lengths, b);
            Tensor att = s.zeros(DType.FLOAT32, b, l, h);
            Tensor lse = s.zeros(DType.FLOAT32, b, size.heads(), l);
            float scale = (float) (1 / Math.sqrt(h / size.heads()));
            cpu.attentionForward(qkv, valid, size.heads(), scale, att, lse);
            Tensor delta = s.zeros(DType.FLOAT32, b, size.heads(), l);
            Tensor dqkv = s.zeros(DType.FLOAT32, b, l, 3 * h);
            cpu.attentionBackward(qkv, valid, size.heads(), scale, att, lse, s.uniform(rnd, 1f, b, l, h), delta, dqkv);
            put(out, "matmul.qkv", qkv);
            put(out, "attentionForward.out", att);
            put(out, "attentionForward.lse", lse);
            put(out, "attentionBackward.delta", delta);
            put(out, "attentionBackward.dqkv", dqkv);

            // residual + dropout + layernorm
            Dropout dropout = new Dropout(0.1f, 99, 3, step);
            Tensor gamma = s.uniform(rnd, 1f, h);
            Tensor ln = s.zeros(DType.FLOAT32, b, l, h);
            Tensor mean = s.zeros(DType.FLOAT32, rows);
            Tensor rstd = s.zeros(DType.FLOAT32, rows);
            cpu.addDropoutLayerNormForward(emb, att, gamma, s.uniform(rnd, 1f, h), 1e-6f, dropout, ln, mean, rstd);
            Tensor dRes = s.zeros(DType.FLOAT32, b, l, h);
            Tensor dSub = s.zeros(DType.FLOAT32, b, l, h);
            Tensor dGamma = s.zeros(DType.FLOAT32, h);
            Tensor dBeta = s.zeros(DType.FLOAT32, h);
            cpu.addDropoutLayerNormBackward(s.uniform(rnd, 1f, b, l, h), emb, att, gamma, mean, rstd, dropout, dRes,
                    dSub, dGamma, dBeta);
            put(out, "addDropoutLayerNormForward.out", ln);
            put(out, "addDropoutLayerNormForward.mean", mean);
            put(out, "addDropoutLayerNormForward.rstd", rstd);
            put(out, "addDropoutLayerNormBackward.dResidual", dRes);
            put(out, "addDropoutLayerNormBackward.dSublayer", dSub);
            put(out, "addDropoutLayerNormBackward.dGamma", dGamma);
            put(out, "addDropoutLayerNormBackward.dBeta", dBeta);

            // feed-forward layer: matmul + bias + ReLU, its backward (all transposes, bias gradient)
            Tensor w1 = s.uniform(rnd, 0.3f, h, f);
            Tensor b1 = s.uniform(rnd, 0.3f, f);
            Tensor hid = s.zeros(DType.FLOAT32, rows, f);
            cpu.matmul(ln, false, w1, false, b1, Activation.RELU, false, hid);
            Tensor pre = s.zeros(DType.FLOAT32, rows, f);
            cpu.matmul(ln, false, w1, false, null, Activation.NONE, false, pre);
            Tensor act = s.zeros(DType.FLOAT32, rows, f);
            cpu.biasActivation(pre, b1, Activation.RELU, act);
            Tensor dHid = s.uniform(rnd, 1f, rows, f);
            cpu.reluBackward(hid, dHid, dHid);
            Tensor dLn = s.uniform(rnd, 1f, b, l, h);
            Tensor dw1 = s.uniform(rnd, 1f, h, f);
            Tensor db1 = s.uniform(rnd, 1f, f);
            cpu.linearBackward(ln, w1, dHid, dLn, true, dw1, db1);
            put(out, "matmul.relu", hid);
            put(out, "biasActivation", act);
            put(out, "reluBackward", dHid);
            put(out, "linearBackward.dx", dLn);
            put(out, "linearBackward.dw", dw1);
            put(out, "linearBackward.db", db1);

            // softmax cross-entropy over the classes, some rows unlabelled
            Tensor logits = s.zeros(DType.FLOAT32, rows, v);
            cpu.matmul(ln, false, s.uniform(rnd, 1f, h, v), false, null, Activation.NONE, false, logits);
            int[] labels = Tensors.ints(rnd, rows, 0, v);
            for (int r = 0; r < rows; r += 3) {
                labels[r] = -1;
            }
            Tensor loss = s.zeros(DType.FLOAT32, 1);
            cpu.softmaxCrossEntropy(logits, s.of(labels, rows), loss);
            put(out, "softmaxCrossEntropy.loss", loss);
            put(out, "softmaxCrossEntropy.dLogits", logits);

            // classifier: max pooling, sigmoid cross-entropy
            Tensor pooled = s.zeros(DType.FLOAT32, b, h);
            Tensor argmax = s.zeros(DType.INT32, b, h);
            cpu.maxPoolForward(ln, pooled, argmax);
            Tensor dPool = s.zeros(DType.FLOAT32, b, l, h);
            cpu.maxPoolBackward(s.uniform(rnd, 1f, b, h), argmax, dPool);
            Tensor z = s.zeros(DType.FLOAT32, b);
            cpu.matmul(pooled, false, s.uniform(rnd, 1f, h, 1), false, null, Activation.NONE, false, z.view(b, 1));
            Tensor probs = s.zeros(DType.FLOAT32, b);
            Tensor bce = s.zeros(DType.FLOAT32, 1);
            Tensor dz = s.zeros(DType.FLOAT32, b);
            cpu.sigmoidBinaryCrossEntropy(z, s.of(Tensors.ints(rnd, b, 0, 2), b), probs, bce, dz);
            put(out, "maxPoolForward.out", pooled);
            put(out, "maxPoolForward.argmax", argmax);
            put(out, "maxPoolBackward", dPool);
            put(out, "sigmoidBinaryCrossEntropy.probs", probs);
            put(out, "sigmoidBinaryCrossEntropy.loss", bce);
            put(out, "sigmoidBinaryCrossEntropy.dLogits", dz);

            // MLM masking and an Adam step
            Tensor masked = s.zeros(DType.INT32, b, l);
            Tensor mlmLabels = s.zeros(DType.INT32, b, l);
            cpu.mlmMask(idsT, MaskingSpec.bert(5, v), step, masked, mlmLabels);
            put(out, "mlmMask.ids", masked);
            put(out, "mlmMask.labels", mlmLabels);
            int n = size.params();
            Tensor params = s.uniform(rnd, 1f, n);
            Tensor m = s.uniform(rnd, 0.1f, n);
            Tensor sq = s.of(abs(Tensors.uniform(rnd, n, 0.1f)), n);
            cpu.adamStep(params, s.uniform(rnd, 1f, n), m, sq, s.scalar(3), AdamConfig.KERAS);
            put(out, "adamStep.params", params);
            put(out, "adamStep.m", m);
            put(out, "adamStep.v", sq);
        }
        return out;
    }

    private static float[] abs(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.abs(x[i]);
        }
        return x;
    }

    private static void put(Map<String, int[]> out, String name, Tensor t) {
        if (t.dtype() == DType.INT32) {
            out.put(name, t.toIntArray());
            return;
        }
        float[] values = t.toFloatArray();
        int[] bits = new int[values.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        out.put(name, bits);
    }

    static void write(Map<String, int[]> outputs, Path file) throws IOException {
        try (DataOutputStream data = new DataOutputStream(Files.newOutputStream(file))) {
            data.writeInt(outputs.size());
            for (Map.Entry<String, int[]> e : outputs.entrySet()) {
                data.writeUTF(e.getKey());
                data.writeInt(e.getValue().length);
                for (int bits : e.getValue()) {
                    data.writeInt(bits);
                }
            }
        }
    }

    static Map<String, int[]> read(Path file) throws IOException {
        Map<String, int[]> outputs = new LinkedHashMap<>();
        try (DataInputStream data = new DataInputStream(Files.newInputStream(file))) {
            int entries = data.readInt();
            for (int e = 0; e < entries; e++) {
                String name = data.readUTF();
                int[] bits = new int[data.readInt()];
                for (int i = 0; i < bits.length; i++) {
                    bits[i] = data.readInt();
                }
                outputs.put(name, bits);
            }
        }
        return outputs;
    }

    /** {@code OpSweep <SMALL|PARALLEL> <output file>}: one sweep on the default CPU backend, written to the file. */
    public static void main(String[] args) throws IOException {
        Size size = args[0].equals("PARALLEL") ? PARALLEL : SMALL;
        try (CpuBackend cpu = new CpuBackend()) {
            write(run(cpu, size), Path.of(args[1]));
        }
    }
}
