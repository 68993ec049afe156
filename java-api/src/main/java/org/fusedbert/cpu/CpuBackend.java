package org.fusedbert.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.fusedbert.api.Activation;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.api.Checks;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.OpChecks;
import org.fusedbert.api.PendingRead;
import org.fusedbert.api.Philox;
import org.fusedbert.api.Tensor;

/**
 * The reference implementation of every {@link Backend} operation in plain Java: the oracle all
 * device code is tested against, and the path for machines without a GPU.
 *
 * <p>Tensors live in off-heap memory ({@link CpuStorage}, one arena per allocation). Storage is
 * float32; sums that decide accuracy (layernorm statistics, softmax normalisers, losses, bias,
 * gamma/beta and embedding gradients, the whole attention core) accumulate in float64. Every
 * operation is deterministic: parallel work is cut into chunks fixed by the problem size, each
 * writing its own outputs, and reductions add per-chunk partials in chunk order, so the thread
 * count ({@link #CpuBackend(int)}) does not change a bit. Nor does the JIT: exponentials are
 * {@code VectorMath.exp} and vector sums are added lane by lane in a fixed order, never the Vector
 * API's {@code EXP} or floating-point {@code reduceLanes(ADD)}, whose results depend on whether
 * C2 has compiled the caller. Matrix products
 * run on {@link Sgemm}. Dropout and MLM masking draw from {@link Philox} exactly as {@link Dropout}
 * and {@link MaskingSpec} document, so kernels can reproduce the masks bit for bit.
 *
 * <p>Every operation validates its arguments with {@link OpChecks} (shapes, then index values)
 * before it touches memory.
 */
public final class CpuBackend implements Backend {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Elements per chunk of an element-wise operation. */
    private static final int ELEMENT_GRAIN = 1 << 15;
    /** Elements per chunk of a row-wise operation: rows per chunk = this / row length. */
    private static final int ROW_GRAIN_ELEMENTS = 1 << 13;

    private final CpuThreads threads;

    /**
     * A CPU backend on the process-wide default pool: one worker per core, or
     * {@code -Dfusedbert.cpu.threads}.
     */
    public CpuBackend() {
        this.threads = CpuThreads.DEFAULT;
    }

    /**
     * A CPU backend whose parallel work runs on {@code threads} workers (a pool shared by every
     * backend of that count). Results are bit-identical for every thread count: work is cut by the
     * problem size, never by the threads.
     *
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public CpuBackend(int threads) {
        if (threads < 1) {
            throw Checks.fail("CpuBackend", "threads", ">= 1", threads);
        }
        this.threads = CpuThreads.of(threads);
    }

    /** Worker threads this backend's parallel operations use. */
    public int threads() {
        return threads.threads;
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        OpChecks.allocate(dtype, shape);
        long bytes = Tensor.countElements(shape) * dtype.byteSize();
        return new Tensor(this, new CpuStorage(bytes), 0, dtype, shape, true);
    }

    @Override
    public void upload(MemorySegment src, DType dtype, long count, Tensor dst) {
        OpChecks.upload(this, src, dtype, count, dst);
        MemorySegment.copy(src, 0, dst.segment(), 0, count * dtype.byteSize());
    }

    @Override
    public void download(Tensor src, MemorySegment dst) {
        OpChecks.download(this, src, dst);
        MemorySegment.copy(src.segment(), 0, dst, 0, src.byteSize());
    }

    /** Work here is done when its call returns, so the read is a copy, done at once. */
    @Override
    public PendingRead readAsync(Tensor src) {
        OpChecks.readAsync(this, src);
        MemorySegment copy = MemorySegment.ofArray(new byte[Math.toIntExact(src.byteSize())]);
        MemorySegment.copy(src.segment(), 0, copy, 0, src.byteSize());
        return new PendingRead(src.dtype(), src.numel()) {
            @Override
            protected boolean arrived() {
                return true;
            }

            @Override
            protected MemorySegment values() {
                return copy;
            }

            @Override
            protected void release() {
            }
        };
    }

    @Override
    public void fill(Tensor t, double value) {
        OpChecks.fill(this, t, value);
        MemorySegment s = t.segment();
        int bits = t.dtype() == DType.FLOAT32 ? Float.floatToRawIntBits((float) value) : (int) value;
        if (bits == 0) {
            s.fill((byte) 0);
            return;
        }
        int[] pattern = new int[(int) Math.min(t.numel(), 4096)];
        Arrays.fill(pattern, bits);
        for (long i = 0; i < t.numel(); i += pattern.length) {
            int n = (int) Math.min(pattern.length, t.numel() - i);
            MemorySegment.copy(pattern, 0, s, I, i * 4, n);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        OpChecks.copy(this, src, dst);
        MemorySegment.copy(src.segment(), 0, dst.segment(), 0, src.byteSize());
    }

    @Override
    public void increment(Tensor counter) {
        OpChecks.increment(this, counter);
        MemorySegment s = counter.segment();
        s.set(I, 0, s.get(I, 0) + 1);
    }

    /** CPU operations finish before they return: nothing to wait for. */
    @Override
    public void synchronize() {
    }

    /** Nothing backend-wide to free: worker pools are shared by the process and their threads are daemons. */
    @Override
    public void close() {
    }

    // ------------------------------------------------------------------ embeddings

    @Override
    public void embeddingForward(Tensor ids, Tensor tokenTable, Tensor positionTable, Tensor out) {
        OpChecks.embeddingForward(this, ids, tokenTable, positionTable, out);
        int batch = ids.dim(0), length = ids.dim(1), vocab = tokenTable.dim(0), hidden = tokenTable.dim(1);
        MemorySegment idSeg = ids.segment();
        OpChecks.tokenIds("embeddingForward", "ids", idSeg, ids.numel(), vocab);
        MemorySegment tok = tokenTable.segment(), pos = positionTable.segment(), o = out.segment();
        threads.forRange(batch * length, rowGrain(hidden), (from, to) -> {
            float[] t = new float[hidden];
            float[] p = new float[hidden];
            for (int r = from; r < to; r++) {
                int id = idSeg.getAtIndex(I, r);
                MemorySegment.copy(tok, F, (long) id * hidden * 4, t, 0, hidden);
                MemorySegment.copy(pos, F, (long) (r % length) * hidden * 4, p, 0, hidden);
                for (int c = 0; c < hidden; c++) {
                    t[c] += p[c];
                }
                MemorySegment.copy(t, 0, o, F, (long) r * hidden * 4, hidden);
            }
        });
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTokenTable, Tensor dPositionTable) {
        OpChecks.embeddingBackward(this, ids, dOut, dTokenTable, dPositionTable);
        int batch = ids.dim(0), length = ids.dim(1), vocab = dTokenTable.dim(0), hidden = dTokenTable.dim(1);
        int rows = batch * length;
        int[] idOf = new int[rows];
        MemorySegment.copy(ids.segment(), I, 0, idOf, 0, rows);
        OpChecks.tokenIds("embeddingBackward", "ids", ids.segment(), rows, vocab);
        // Group positions by id (stable: positions ascending), then each id's rows are summed in
        // float64 by one thread and added to its table row once.
        int[] start = new int[vocab + 1];
        for (int id : idOf) {
            start[id + 1]++;
        }
        for (int v = 0; v < vocab; v++) {
            start[v + 1] += start[v];
        }
        int[] order = new int[rows];
        int[] next = Arrays.copyOf(start, vocab);
        for (int r = 0; r < rows; r++) {
            order[next[idOf[r]]++] = r;
        }
        int[] present = new int[rows];
        int distinct = 0;
        for (int v = 0; v < vocab; v++) {
            if (start[v + 1] > start[v]) {
                present[distinct++] = v;
            }
        }
        MemorySegment d = dOut.segment(), dTok = dTokenTable.segment(), dPos = dPositionTable.segment();
        threads.forRange(distinct, Math.max(1, rowGrain(hidden) / 4), (from, to) -> {
            double[] acc = new double[hidden];
            float[] row = new float[hidden];
            for (int u = from; u < to; u++) {
                int id = present[u];
                Arrays.fill(acc, 0.0);
                for (int t = start[id]; t < start[id + 1]; t++) {
                    addRow(d, (long) order[t] * hidden, row, acc);
                }
                addInto(dTok, (long) id * hidden, row, acc);
            }
        });
        threads.forRange(length, Math.max(1, rowGrain(hidden) / Math.max(1, batch)), (from, to) -> {
            double[] acc = new double[hidden];
            float[] row = new float[hidden];
            for (int l = from; l < to; l++) {
                Arrays.fill(acc, 0.0);
                for (int b = 0; b < batch; b++) {
                    addRow(d, ((long) b * length + l) * hidden, row, acc);
                }
                addInto(dPos, (long) l * hidden, row, acc);
            }
        });
    }

    /** {@code acc += s[offset : offset + acc.length]}, via the scratch row. */
    private static void addRow(MemorySegment s, long offset, float[] scratch, double[] acc) {
        MemorySegment.copy(s, F, offset * 4, scratch, 0, acc.length);
        for (int c = 0; c < acc.length; c++) {
            acc[c] += scratch[c];
        }
    }

    /** {@code s[offset : offset + acc.length] = float(s + acc)}: one rounding per element. */
    private static void addInto(MemorySegment s, long offset, float[] scratch, double[] acc) {
        MemorySegment.copy(s, F, offset * 4, scratch, 0, acc.length);
        for (int c = 0; c < acc.length; c++) {
            scratch[c] = (float) (scratch[c] + acc[c]);
        }
        MemorySegment.copy(scratch, 0, s, F, offset * 4, acc.length);
    }

    // ------------------------------------------------------------------ dense layers

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor bias,
                       Activation activation, boolean accumulate, Tensor c) {
        OpChecks.matmul(this, a, transposeA, b, transposeB, bias, activation, accumulate, c);
        int aRows = (int) a.rows();
        int bRows = (int) b.rows();
        int m = transposeA ? a.dim(-1) : aRows;
        int k = transposeA ? aRows : a.dim(-1);
        int n = transposeB ? bRows : b.dim(-1);
        Sgemm.sgemm(threads, transposeA, transposeB, m, n, k, 1f,
                a.segment(), 0, Math.max(1, a.dim(-1)), b.segment(), 0, Math.max(1, b.dim(-1)),
                bias == null ? null : bias.segment(), activation, accumulate ? 1f : 0f,
                c.segment(), 0, Math.max(1, n));
    }

    @Override
    public void biasActivation(Tensor x, Tensor bias, Activation activation, Tensor out) {
        OpChecks.biasActivation(this, x, bias, activation, out);
        int cols = x.dim(-1);
        int rows = (int) x.rows();
        MemorySegment xs = x.segment(), os = out.segment();
        float[] bv = bias == null ? new float[cols] : bias.toFloatArray();
        boolean relu = activation == Activation.RELU;
        threads.forRange(rows, rowGrain(cols), (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                MemorySegment.copy(xs, F, (long) r * cols * 4, row, 0, cols);
                for (int c = 0; c < cols; c++) {
                    float v = row[c] + bv[c];
                    row[c] = relu ? Math.max(v, 0f) : v;
                }
                MemorySegment.copy(row, 0, os, F, (long) r * cols * 4, cols);
            }
        });
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        OpChecks.reluBackward(this, y, dy, dx);
        MemorySegment ys = y.segment(), dys = dy.segment(), dxs = dx.segment();
        forElementChunks(y.numel(), (from, len) -> {
            float[] yv = new float[len];
            float[] g = new float[len];
            MemorySegment.copy(ys, F, from * 4, yv, 0, len);
            MemorySegment.copy(dys, F, from * 4, g, 0, len);
            for (int i = 0; i < len; i++) {
                g[i] = yv[i] > 0f ? g[i] : 0f;
            }
            MemorySegment.copy(g, 0, dxs, F, from * 4, len);
        });
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dBias, boolean accumulate) {
        OpChecks.biasGradient(this, dy, dBias, accumulate);
        int cols = dy.dim(-1);
        int rows = (int) dy.rows();
        double[] sums = columnSums(dy.segment(), rows, cols);
        MemorySegment db = dBias.segment();
        for (int c = 0; c < cols; c++) {
            double old = accumulate ? db.getAtIndex(F, c) : 0.0;
            db.setAtIndex(F, c, (float) (old + sums[c]));
        }
    }

    /** Column sums of a [rows, cols] matrix in float64, from per-chunk partials added in chunk order. */
    private double[] columnSums(MemorySegment s, int rows, int cols) {
        int grain = rowGrain(cols);
        int chunks = chunks(rows, grain);
        double[][] partial = new double[chunks][];
        threads.forChunks(chunks, chunk -> {
            double[] acc = new double[cols];
            float[] row = new float[cols];
            int to = (int) Math.min(rows, (long) chunk * grain + grain);
            for (int r = chunk * grain; r < to; r++) {
                addRow(s, (long) r * cols, row, acc);
            }
            partial[chunk] = acc;
        });
        double[] total = new double[cols];
        for (double[] p : partial) {
            for (int c = 0; c < cols; c++) {
                total[c] += p[c];
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ attention

    @Override
    public void attentionForward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse) {
        OpChecks.attentionForward(this, qkv, validLengths, heads, scale, out, lse);
        CpuAttention attention = attention("attentionForward", qkv, validLengths, heads, scale);
        MemorySegment qs = qkv.segment(), os = out.segment(), ls = lse.segment();
        threads.forChunks(attention.tasks(), task -> attention.forward(task / heads, task % heads, qs, os, ls));
    }

    @Override
    public void attentionBackward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse,
                                  Tensor dOut, Tensor delta, Tensor dqkv) {
        OpChecks.attentionBackward(this, qkv, validLengths, heads, scale, out, lse, dOut, delta, dqkv);
        CpuAttention attention = attention("attentionBackward", qkv, validLengths, heads, scale);
        MemorySegment qs = qkv.segment(), os = out.segment(), ls = lse.segment(), dos = dOut.segment();
        MemorySegment deltas = delta.segment(), dqs = dqkv.segment();
        threads.forChunks(attention.tasks(),
                task -> attention.backward(task / heads, task % heads, qs, os, ls, dos, deltas, dqs));
    }

    /** The call's geometry, after checking the valid lengths are in [1, L]. */
    private static CpuAttention attention(String op, Tensor qkv, Tensor validLengths, int heads, float scale) {
        int batch = qkv.dim(0), length = qkv.dim(1);
        int[] lengths = new int[batch];
        if (validLengths == null) {
            Arrays.fill(lengths, length);
        } else {
            OpChecks.validLengths(op, "validLengths", validLengths.segment(), batch, length);
            MemorySegment.copy(validLengths.segment(), I, 0, lengths, 0, batch);
        }
        return new CpuAttention(batch, length, qkv.dim(2) / 3, heads, lengths, scale);
    }

    // ------------------------------------------------------------------ residual + dropout + layernorm

    @Override
    public void addDropoutLayerNormForward(Tensor residual, Tensor sublayer, Tensor gamma, Tensor beta, float eps,
                                           Dropout dropout, Tensor out, Tensor mean, Tensor rstd) {
        OpChecks.addDropoutLayerNormForward(this, residual, sublayer, gamma, beta, eps, dropout, out, mean, rstd);
        int cols = residual.dim(-1);
        int rows = (int) residual.rows();
        float[] g = gamma.toFloatArray(), bt = beta.toFloatArray();
        int step = dropout.active() ? dropout.stepCounter().getInt(0) : 0;
        MemorySegment rs = residual.segment(), ss = sublayer.segment(), os = out.segment();
        MemorySegment ms = mean.segment(), rstds = rstd.segment();
        threads.forRange(rows, rowGrain(cols), (from, to) -> {
            float[] s = new float[cols];
            float[] keep = new float[cols];
            int[] words = new int[4];
            for (int r = from; r < to; r++) {
                residualSum(rs, ss, r, cols, dropout, step, s, keep, words);
                double mu = 0;
                for (int c = 0; c < cols; c++) {
                    mu += s[c];
                }
                mu /= cols;
                double var = 0;
                for (int c = 0; c < cols; c++) {
                    double x = s[c] - mu;
                    var += x * x;
                }
                var /= cols;
                double inv = 1.0 / Math.sqrt(var + eps);
                for (int c = 0; c < cols; c++) {
                    s[c] = (float) ((s[c] - mu) * inv * g[c] + bt[c]);
                }
                MemorySegment.copy(s, 0, os, F, (long) r * cols * 4, cols);
                ms.setAtIndex(F, r, (float) mu);
                rstds.setAtIndex(F, r, (float) inv);
            }
        });
    }

    @Override
    public void addDropoutLayerNormBackward(Tensor dOut, Tensor residual, Tensor sublayer, Tensor gamma, Tensor mean,
                                            Tensor rstd, Dropout dropout, Tensor dResidual, Tensor dSublayer,
                                            Tensor dGamma, Tensor dBeta) {
        OpChecks.addDropoutLayerNormBackward(this, dOut, residual, sublayer, gamma, mean, rstd, dropout, dResidual,
                dSublayer, dGamma, dBeta);
        int cols = residual.dim(-1);
        int rows = (int) residual.rows();
        float[] g = gamma.toFloatArray();
        int step = dropout.active() ? dropout.stepCounter().getInt(0) : 0;
        MemorySegment dos = dOut.segment(), rs = residual.segment(), ss = sublayer.segment();
        MemorySegment ms = mean.segment(), rstds = rstd.segment();
        MemorySegment drs = dResidual.segment(), dss = dSublayer.segment();
        int grain = rowGrain(cols);
        int chunks = chunks(rows, grain);
        double[][] gammaPartial = new double[chunks][];
        double[][] betaPartial = new double[chunks][];
        threads.forChunks(chunks, chunk -> {
            float[] s = new float[cols];
            float[] keep = new float[cols];
            float[] dy = new float[cols];
            float[] outRow = new float[cols];
            double[] xhat = new double[cols];
            double[] dGammaAcc = new double[cols];
            double[] dBetaAcc = new double[cols];
            int[] words = new int[4];
            int to = (int) Math.min(rows, (long) chunk * grain + grain);
            for (int r = chunk * grain; r < to; r++) {
                residualSum(rs, ss, r, cols, dropout, step, s, keep, words);
                MemorySegment.copy(dos, F, (long) r * cols * 4, dy, 0, cols);
                double mu = ms.getAtIndex(F, r);
                double inv = rstds.getAtIndex(F, r);
                double meanG = 0, meanGX = 0;
                for (int c = 0; c < cols; c++) {
                    xhat[c] = (s[c] - mu) * inv;
                    double gc = (double) dy[c] * g[c];
                    meanG += gc;
                    meanGX += gc * xhat[c];
                    dGammaAcc[c] += dy[c] * xhat[c];
                    dBetaAcc[c] += dy[c];
                }
                meanG /= cols;
                meanGX /= cols;
                for (int c = 0; c < cols; c++) {
                    outRow[c] = (float) (inv * ((double) dy[c] * g[c] - meanG - xhat[c] * meanGX));
                }
                MemorySegment.copy(outRow, 0, drs, F, (long) r * cols * 4, cols);
                for (int c = 0; c < cols; c++) {
                    outRow[c] = keep[c] != 0f ? outRow[c] * keep[c] : 0f;
                }
                MemorySegment.copy(outRow, 0, dss, F, (long) r * cols * 4, cols);
            }
            gammaPartial[chunk] = dGammaAcc;
            betaPartial[chunk] = dBetaAcc;
        });
        accumulateChunks(dGamma.segment(), gammaPartial, cols);
        accumulateChunks(dBeta.segment(), betaPartial, cols);
    }

    /**
     * Row r of {@code residual + dropout(sublayer)} into {@code s}, in float32 as {@link Dropout}
     * defines it, and each element's dropout factor into {@code keep} (0, or {@code 1/(1-rate)}).
     */
    private static void residualSum(MemorySegment residual, MemorySegment sublayer, int r, int cols, Dropout dropout,
                                    int step, float[] s, float[] keep, int[] words) {
        long base = (long) r * cols;
        MemorySegment.copy(residual, F, base * 4, s, 0, cols);
        float[] sub = keep; // keep doubles as the sublayer row: element c is read before it is overwritten
        MemorySegment.copy(sublayer, F, base * 4, sub, 0, cols);
        if (!dropout.active()) {
            for (int c = 0; c < cols; c++) {
                s[c] += sub[c];
                keep[c] = 1f;
            }
            return;
        }
        float scale = dropout.scale();
        long group = -1;
        for (int c = 0; c < cols; c++) {
            long index = base + c;
            if (index >>> 2 != group) {
                group = index >>> 2;
                Philox.block(dropout.seed(), (int) group, dropout.site(), step, Philox.DOMAIN_DROPOUT, words);
            }
            boolean kept = Philox.toUniform(words[(int) (index & 3)]) >= dropout.rate();
            if (kept) {
                s[c] += sub[c] * scale;
            }
            keep[c] = kept ? scale : 0f;
        }
    }

    /** {@code target[c] = float(target[c] + sum of partials[*][c])}, partials added in chunk order. */
    private static void accumulateChunks(MemorySegment target, double[][] partials, int cols) {
        double[] total = new double[cols];
        for (double[] p : partials) {
            for (int c = 0; c < cols; c++) {
                total[c] += p[c];
            }
        }
        for (int c = 0; c < cols; c++) {
            target.setAtIndex(F, c, (float) (target.getAtIndex(F, c) + total[c]));
        }
    }

    // ------------------------------------------------------------------ losses and heads

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss) {
        OpChecks.softmaxCrossEntropy(this, logits, labels, loss);
        int classes = logits.dim(-1);
        int rows = (int) logits.rows();
        MemorySegment labelSeg = labels.segment();
        OpChecks.labels("softmaxCrossEntropy", "labels", labelSeg, rows, classes);
        int[] label = new int[rows];
        MemorySegment.copy(labelSeg, I, 0, label, 0, rows);
        int labelled = 0;
        for (int y : label) {
            labelled += y == -1 ? 0 : 1;
        }
        double invN = labelled == 0 ? 0.0 : 1.0 / labelled;
        double[] rowLoss = new double[rows];
        MemorySegment ls = logits.segment();
        threads.forRange(rows, rowGrain(classes), (from, to) -> {
            float[] x = new float[classes];
            double[] e = new double[classes];
            double[] lanes = new double[D.length()];
            for (int r = from; r < to; r++) {
                long offset = (long) r * classes * 4;
                if (label[r] == -1) {
                    Arrays.fill(x, 0f);
                    MemorySegment.copy(x, 0, ls, F, offset, classes);
                    continue;
                }
                MemorySegment.copy(ls, F, offset, x, 0, classes);
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, x[c]);
                    e[c] = x[c];
                }
                double sum = expShiftedSum(e, classes, max, lanes);
                rowLoss[r] = max + Math.log(sum) - x[label[r]];
                double norm = invN / sum;
                for (int c = 0; c < classes; c++) {
                    x[c] = (float) (e[c] * norm);
                }
                x[label[r]] = (float) ((e[label[r]] / sum - 1.0) * invN);
                MemorySegment.copy(x, 0, ls, F, offset, classes);
            }
        });
        double total = 0;
        for (double l : rowLoss) {
            total += l;
        }
        loss.segment().set(F, 0, (float) (total * invN));
    }

    /**
     * {@code e[c] = exp(e[c] - shift)} for c &lt; n, in float64 vector lanes (a masked vector for the
     * tail, so every element gets the same exp); returns their sum: lane-wise partial sums over
     * vectors, then the lanes in order, the same bits in every JIT state.
     */
    private static double expShiftedSum(double[] e, int n, double shift, double[] lanes) {
        DoubleVector acc = DoubleVector.zero(D);
        int c = 0;
        for (; c <= n - D.length(); c += D.length()) {
            DoubleVector v = VectorMath.exp(DoubleVector.fromArray(D, e, c).sub(shift));
            v.intoArray(e, c);
            acc = acc.add(v);
        }
        if (c < n) {
            VectorMask<Double> tail = D.indexInRange(c, n);
            DoubleVector v = VectorMath.exp(DoubleVector.fromArray(D, e, c, tail).sub(shift));
            v.intoArray(e, c, tail);
            acc = acc.add(v, tail);
        }
        return VectorMath.sumInOrder(acc, lanes);
    }

    @Override
    public void maxPoolForward(Tensor x, Tensor out, Tensor argmax) {
        OpChecks.maxPoolForward(this, x, out, argmax);
        int batch = x.dim(0), length = x.dim(1), hidden = x.dim(2);
        MemorySegment xs = x.segment(), os = out.segment(), as = argmax.segment();
        threads.forRange(batch, Math.max(1, rowGrain(hidden) / length), (from, to) -> {
            float[] best = new float[hidden];
            int[] where = new int[hidden];
            float[] row = new float[hidden];
            for (int b = from; b < to; b++) {
                long base = (long) b * length * hidden;
                MemorySegment.copy(xs, F, base * 4, best, 0, hidden);
                Arrays.fill(where, 0);
                for (int l = 1; l < length; l++) {
                    MemorySegment.copy(xs, F, (base + (long) l * hidden) * 4, row, 0, hidden);
                    for (int c = 0; c < hidden; c++) {
                        if (row[c] > best[c]) {
                            best[c] = row[c];
                            where[c] = l;
                        }
                    }
                }
                MemorySegment.copy(best, 0, os, F, (long) b * hidden * 4, hidden);
                MemorySegment.copy(where, 0, as, I, (long) b * hidden * 4, hidden);
            }
        });
    }

    @Override
    public void maxPoolBackward(Tensor dOut, Tensor argmax, Tensor dx) {
        OpChecks.maxPoolBackward(this, dOut, argmax, dx);
        int batch = dx.dim(0), length = dx.dim(1), hidden = dx.dim(2);
        OpChecks.intRange("maxPoolBackward", "argmax", argmax.segment(), argmax.numel(), 0, length - 1);
        MemorySegment ds = dOut.segment(), as = argmax.segment(), xs = dx.segment();
        xs.fill((byte) 0);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < hidden; c++) {
                long bc = (long) b * hidden + c;
                int l = as.getAtIndex(I, bc);
                xs.setAtIndex(F, ((long) b * length + l) * hidden + c, ds.getAtIndex(F, bc));
            }
        }
    }

    @Override
    public void sigmoidBinaryCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss, Tensor dLogits) {
        OpChecks.sigmoidBinaryCrossEntropy(this, logits, labels, probs, loss, dLogits);
        int batch = (int) logits.numel();
        OpChecks.binaryLabels("sigmoidBinaryCrossEntropy", "labels", labels.segment(), batch);
        MemorySegment zs = logits.segment(), ys = labels.segment(), ps = probs.segment();
        MemorySegment gs = dLogits == null ? null : dLogits.segment();
        double total = 0;
        for (int i = 0; i < batch; i++) {
            double z = zs.getAtIndex(F, i);
            int y = ys.getAtIndex(I, i);
            double ez = Math.exp(-Math.abs(z));
            double p = z >= 0 ? 1.0 / (1.0 + ez) : ez / (1.0 + ez);
            total += Math.max(z, 0.0) - z * y + Math.log1p(ez);
            ps.setAtIndex(F, i, (float) p);
            if (gs != null) {
                gs.setAtIndex(F, i, (float) ((p - y) / batch));
            }
        }
        loss.segment().set(F, 0, batch == 0 ? 0f : (float) (total / batch));
    }

    // ------------------------------------------------------------------ MLM data path

    @Override
    public void sequenceLengths(Tensor ids, Tensor lengths) {
        OpChecks.sequenceLengths(this, ids, lengths);
        int batch = ids.dim(0), length = ids.dim(1);
        MemorySegment is = ids.segment(), ls = lengths.segment();
        for (int b = 0; b < batch; b++) {
            int last = 0;
            for (int l = length - 1; l >= 0; l--) {
                if (is.getAtIndex(I, (long) b * length + l) != 0) {
                    last = l;
                    break;
                }
            }
            ls.setAtIndex(I, b, last + 1);
        }
    }

    @Override
    public void mlmMask(Tensor ids, MaskingSpec spec, Tensor stepCounter, Tensor maskedIds, Tensor labels) {
        OpChecks.mlmMask(this, ids, spec, stepCounter, maskedIds, labels);
        int n = (int) ids.numel();
        MemorySegment is = ids.segment(), ms = maskedIds.segment(), ls = labels.segment();
        OpChecks.intRange("mlmMask", "ids", is, n, 0, spec.maskId());
        int step = stepCounter.getInt(0);
        threads.forRange(n, ELEMENT_GRAIN / 8, (from, to) -> {
            for (int p = from; p < to; p++) {
                long d = spec.draw(is.getAtIndex(I, p), p, step);
                ms.setAtIndex(I, p, (int) d);
                ls.setAtIndex(I, p, (int) (d >> 32));
            }
        });
    }

    @Override
    public void gatherLabelledRows(Tensor hidden, Tensor labels, Tensor rows, Tensor rowLabels, Tensor rowIndex,
                                   Tensor count) {
        OpChecks.gatherLabelledRows(this, hidden, labels, rows, rowLabels, rowIndex, count);
        int cols = hidden.dim(-1);
        int n = (int) hidden.rows();
        int capacity = (int) rows.rows();
        MemorySegment labelSeg = labels.segment();
        OpChecks.labels("gatherLabelledRows", "labels", labelSeg, n, Integer.MAX_VALUE);
        MemorySegment hs = hidden.segment(), rs = rows.segment(), rls = rowLabels.segment(), ris = rowIndex.segment();
        int gathered = 0;
        for (int r = 0; r < n; r++) {
            int y = labelSeg.getAtIndex(I, r);
            if (y == -1) {
                continue;
            }
            if (gathered < capacity) {
                MemorySegment.copy(hs, (long) r * cols * 4, rs, (long) gathered * cols * 4, (long) cols * 4);
                rls.setAtIndex(I, gathered, y);
                ris.setAtIndex(I, gathered, r);
            }
            gathered++;
        }
        int filled = Math.min(gathered, capacity);
        rs.asSlice((long) filled * cols * 4).fill((byte) 0);
        for (int i = filled; i < capacity; i++) {
            rls.setAtIndex(I, i, -1);
            ris.setAtIndex(I, i, -1);
        }
        count.segment().set(I, 0, gathered);
    }

    @Override
    public void scatterRows(Tensor dRows, Tensor rowIndex, Tensor dHidden) {
        OpChecks.scatterRows(this, dRows, rowIndex, dHidden);
        int cols = dRows.dim(-1);
        int capacity = (int) dRows.rows();
        int n = (int) dHidden.rows();
        MemorySegment ris = rowIndex.segment();
        OpChecks.labels("scatterRows", "rowIndex", ris, capacity, n);
        MemorySegment rs = dRows.segment(), hs = dHidden.segment();
        hs.fill((byte) 0);
        for (int i = 0; i < capacity; i++) {
            int r = ris.getAtIndex(I, i);
            if (r != -1) {
                MemorySegment.copy(rs, (long) i * cols * 4, hs, (long) r * cols * 4, (long) cols * 4);
            }
        }
    }

    /** The exact count, clamped to {@code [0, capacity]}: host memory costs nothing to read. */
    @Override
    public int rowsToProcess(Tensor count, int capacity) {
        OpChecks.rowsToProcess(this, count, capacity);
        return Math.max(0, Math.min(count.getInt(0), capacity));
    }

    // ------------------------------------------------------------------ resident data

    @Override
    public void gatherBatch(Tensor source, Tensor order, Tensor batchIndex, Tensor out) {
        OpChecks.gatherBatch(this, source, order, batchIndex, out);
        int n = source.dim(0), width = source.dim(1), batch = out.dim(0);
        MemorySegment ss = source.segment(), os = order.segment(), out32 = out.segment();
        OpChecks.intRange("gatherBatch", "order", os, n, 0, n - 1L);
        OpChecks.intRange("gatherBatch", "batchIndex", batchIndex.segment(), 1, 0, Integer.MAX_VALUE);
        long first = (long) batchIndex.getInt(0) * batch;
        for (int b = 0; b < batch; b++) {
            int row = os.getAtIndex(I, (first + b) % n);
            MemorySegment.copy(ss, 4L * row * width, out32, 4L * b * width, 4L * width);
        }
    }

    @Override
    public void storeBatch(Tensor values, Tensor batchIndex, Tensor history) {
        OpChecks.storeBatch(this, values, batchIndex, history);
        OpChecks.intRange("storeBatch", "batchIndex", batchIndex.segment(), 1, 0, Integer.MAX_VALUE);
        long n = values.numel();
        long first = batchIndex.getInt(0) * n;
        MemorySegment vs = values.segment(), hs = history.segment();
        for (long i = 0; i < n && first + i < history.numel(); i++) {
            hs.setAtIndex(F, first + i, vs.getAtIndex(F, i));
        }
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor step, AdamConfig config) {
        OpChecks.adamStep(this, params, grads, m, v, step, config);
        MemorySegment st = step.segment();
        int t = st.get(I, 0) + 1;
        st.set(I, 0, t);
        float alpha = config.stepSize(t);
        float oneMinusBeta1 = 1f - config.beta1();
        float oneMinusBeta2 = 1f - config.beta2();
        float eps = config.epsilon();
        MemorySegment ps = params.segment(), gs = grads.segment(), mSeg = m.segment(), vSeg = v.segment();
        forElementChunks(params.numel(), (from, len) -> {
            float[] p = new float[len];
            float[] g = new float[len];
            float[] mv = new float[len];
            float[] vv = new float[len];
            MemorySegment.copy(ps, F, from * 4, p, 0, len);
            MemorySegment.copy(gs, F, from * 4, g, 0, len);
            MemorySegment.copy(mSeg, F, from * 4, mv, 0, len);
            MemorySegment.copy(vSeg, F, from * 4, vv, 0, len);
            for (int i = 0; i < len; i++) {
                float gi = g[i];
                float mi = mv[i] + (gi - mv[i]) * oneMinusBeta1;
                float vi = vv[i] + (gi * gi - vv[i]) * oneMinusBeta2;
                mv[i] = mi;
                vv[i] = vi;
                p[i] = p[i] - mi * alpha / ((float) Math.sqrt(vi) + eps);
            }
            MemorySegment.copy(p, 0, ps, F, from * 4, len);
            MemorySegment.copy(mv, 0, mSeg, F, from * 4, len);
            MemorySegment.copy(vv, 0, vSeg, F, from * 4, len);
        });
    }

    // ------------------------------------------------------------------ helpers

    /** Rows per chunk for rows of {@code cols} elements: about {@link #ROW_GRAIN_ELEMENTS} elements. */
    private static int rowGrain(int cols) {
        return Math.max(1, ROW_GRAIN_ELEMENTS / Math.max(1, cols));
    }

    /** The body of an element-wise loop over {@code [from, from + length)}. */
    @FunctionalInterface
    private interface ElementChunk {
        void run(long from, int length);
    }

    /** Runs {@code body} over {@code [0, n)} in chunks of {@link #ELEMENT_GRAIN} elements, in parallel. */
    private void forElementChunks(long n, ElementChunk body) {
        threads.forChunks(chunks(n, ELEMENT_GRAIN), chunk -> {
            long from = (long) chunk * ELEMENT_GRAIN;
            body.run(from, (int) Math.min(ELEMENT_GRAIN, n - from));
        });
    }

    private static int chunks(long n, int grain) {
        return (int) ((n + grain - 1) / grain);
    }
}
