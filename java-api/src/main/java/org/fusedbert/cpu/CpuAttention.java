package org.fusedbert.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The attention core of {@link CpuBackend}, one task per (batch, head). Each task copies its
 * head's Q rows and its valid K and V rows transposed ({@code [d, n]}, padded with zeros to whole
 * vectors) into arrays, then works query row by query row with Vector API lanes running over the
 * keys: products in float32 (16-term dot products), softmax normalisers (added in key order) and
 * {@code delta} in float64, exponentials by {@link VectorMath#exp}, which gives the same bits
 * whether the JIT has compiled this code or not. Keys at or past the valid length get score -inf,
 * hence probability 0 and zero gradient.
 */
final class CpuAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final int batch;
    private final int length;
    private final int embed;
    private final int heads;
    private final int headDim;
    private final int[] lengths;
    private final float scale;

    /** Geometry of one call: qkv is [batch, length, 3 * embed]; lengths[b] keys of row b are valid. */
    CpuAttention(int batch, int length, int embed, int heads, int[] lengths, float scale) {
        this.batch = batch;
        this.length = length;
        this.embed = embed;
        this.heads = heads;
        this.headDim = embed / heads;
        this.lengths = lengths;
        this.scale = scale;
    }

    /** Element offset of row (b, l), part (0 = Q, 1 = K, 2 = V), head h in qkv. */
    private long qkvOffset(int b, int l, int part, int h) {
        return ((long) b * length + l) * 3L * embed + (long) part * embed + (long) h * headDim;
    }

    /** Element offset of row (b, l), head h in a [B, L, E] tensor. */
    private long rowOffset(int b, int l, int h) {
        return ((long) b * length + l) * embed + (long) h * headDim;
    }

    private static int padded(int n) {
        return (n + VL - 1) / VL * VL;
    }

    /** Rows [0, rows) of one head's slice as [rows, d]; {@code offset(r)} is row r's element offset. */
    private float[] rows(MemorySegment s, int rows, java.util.function.IntToLongFunction offset) {
        int d = headDim;
        float[] dst = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(s, F, offset.applyAsLong(r) * 4, dst, r * d, d);
        }
        return dst;
    }

    /** Rows [0, n) of one head's K or V, transposed to [d, nPad] with zero padding. */
    private float[] transposed(MemorySegment qkv, int b, int part, int h, int n, int nPad) {
        int d = headDim;
        float[] row = new float[d];
        float[] dst = new float[d * nPad];
        for (int j = 0; j < n; j++) {
            MemorySegment.copy(qkv, F, qkvOffset(b, j, part, h) * 4, row, 0, d);
            for (int c = 0; c < d; c++) {
                dst[c * nPad + j] = row[c];
            }
        }
        return dst;
    }

    /**
     * {@code s[j] = factor * a[i, :] . bt[:, j]} for j in [0, nPad), with -inf at {@code j >= n}
     * when {@code maskTail}; returns the maximum. Four key chunks at a time: four independent
     * FMA chains hide the FMA latency.
     */
    private float scores(float[] a, int i, float[] bt, int n, int nPad, float factor, boolean maskTail, float[] s) {
        int d = headDim;
        int ai = i * d;
        int jb = 0;
        for (; jb + 4 * VL <= nPad; jb += 4 * VL) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                FloatVector x = FloatVector.broadcast(S, a[ai + c]);
                int base = c * nPad + jb;
                acc0 = FloatVector.fromArray(S, bt, base).fma(x, acc0);
                acc1 = FloatVector.fromArray(S, bt, base + VL).fma(x, acc1);
                acc2 = FloatVector.fromArray(S, bt, base + 2 * VL).fma(x, acc2);
                acc3 = FloatVector.fromArray(S, bt, base + 3 * VL).fma(x, acc3);
            }
            acc0.mul(factor).intoArray(s, jb);
            acc1.mul(factor).intoArray(s, jb + VL);
            acc2.mul(factor).intoArray(s, jb + 2 * VL);
            acc3.mul(factor).intoArray(s, jb + 3 * VL);
        }
        for (; jb < nPad; jb += VL) {
            FloatVector acc = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                acc = FloatVector.fromArray(S, bt, c * nPad + jb).fma(FloatVector.broadcast(S, a[ai + c]), acc);
            }
            acc.mul(factor).intoArray(s, jb);
        }
        if (maskTail && n < nPad) {
            int last = nPad - VL;
            FloatVector tail = FloatVector.fromArray(S, s, last);
            FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(tail, S.indexInRange(last, n)).intoArray(s, last);
        }
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (jb = 0; jb < nPad; jb += VL) {
            max = max.max(FloatVector.fromArray(S, s, jb));
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** Rows [0, n) of one head's K or V as [n, dPad], columns zero-padded to whole vectors. */
    private float[] paddedRows(MemorySegment qkv, int b, int part, int h, int n, int dPad) {
        float[] dst = new float[n * dPad];
        for (int j = 0; j < n; j++) {
            MemorySegment.copy(qkv, F, qkvOffset(b, j, part, h) * 4, dst, j * dPad, headDim);
        }
        return dst;
    }

    /**
     * {@code out[0:dPad] = sum_{j < n} w[j] * m[j, :]}: lanes run over the head dimension; four
     * accumulators (j mod 4) hide the FMA latency and are added pairwise at the end.
     */
    private static void weightedRows(float[] w, float[] m, int n, int dPad, float[] out) {
        for (int c0 = 0; c0 < dPad; c0 += VL) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S), acc3 = FloatVector.zero(S);
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                int base = j * dPad + c0;
                acc0 = FloatVector.fromArray(S, m, base).fma(FloatVector.broadcast(S, w[j]), acc0);
                acc1 = FloatVector.fromArray(S, m, base + dPad).fma(FloatVector.broadcast(S, w[j + 1]), acc1);
                acc2 = FloatVector.fromArray(S, m, base + 2 * dPad).fma(FloatVector.broadcast(S, w[j + 2]), acc2);
                acc3 = FloatVector.fromArray(S, m, base + 3 * dPad).fma(FloatVector.broadcast(S, w[j + 3]), acc3);
            }
            for (; j < n; j++) {
                acc0 = FloatVector.fromArray(S, m, j * dPad + c0).fma(FloatVector.broadcast(S, w[j]), acc0);
            }
            acc0.add(acc1).add(acc2.add(acc3)).intoArray(out, c0);
        }
    }

    /** The forward for (b, h): out rows and lse. */
    void forward(int b, int h, MemorySegment qkv, MemorySegment out, MemorySegment lse) {
        int d = headDim, n = lengths[b], nPad = padded(n), dPad = padded(d);
        float[] q = rows(qkv, length, r -> qkvOffset(b, r, 0, h));
        float[] kt = transposed(qkv, b, 1, h, n, nPad);
        float[] v = paddedRows(qkv, b, 2, h, n, dPad);
        float[] s = new float[nPad];
        float[] o = new float[dPad];
        float[] lseRow = new float[length];
        for (int i = 0; i < length; i++) {
            float max = scores(q, i, kt, n, nPad, scale, true, s);
            for (int jb = 0; jb < nPad; jb += VL) {
                VectorMath.exp(FloatVector.fromArray(S, s, jb).sub(max)).intoArray(s, jb);
            }
            // In key order, not reduceLanes (whose order is the JIT's choice); padded keys are 0.
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += s[j];
            }
            weightedRows(s, v, n, dPad, o);
            float inv = (float) (1.0 / sum);
            for (int c = 0; c < d; c++) {
                o[c] *= inv;
            }
            MemorySegment.copy(o, 0, out, F, rowOffset(b, i, h) * 4, d);
            lseRow[i] = (float) (max + Math.log(sum));
        }
        MemorySegment.copy(lseRow, 0, lse, F, ((long) b * heads + h) * length * 4, length);
    }

    /** The backward for (b, h): dQ, dK, dV slices of dqkv and the delta row. */
    void backward(int b, int h, MemorySegment qkv, MemorySegment out, MemorySegment lse, MemorySegment dOut,
                  MemorySegment delta, MemorySegment dqkv) {
        int d = headDim, n = lengths[b], nPad = padded(n), dPad = padded(d);
        float[] q = rows(qkv, length, r -> qkvOffset(b, r, 0, h));
        float[] o = rows(out, length, r -> rowOffset(b, r, h));
        float[] k = paddedRows(qkv, b, 1, h, n, dPad);
        float[] g = rows(dOut, length, r -> rowOffset(b, r, h));
        float[] kt = transposed(qkv, b, 1, h, n, nPad);
        float[] vt = transposed(qkv, b, 2, h, n, nPad);
        float[] lseRow = new float[length];
        MemorySegment.copy(lse, F, ((long) b * heads + h) * length * 4, lseRow, 0, length);
        float[] p = new float[nPad];
        float[] ds = new float[nPad];
        float[] dkt = new float[d * nPad];
        float[] dvt = new float[d * nPad];
        float[] dq = new float[dPad];
        float[] deltaRow = new float[length];
        for (int i = 0; i < length; i++) {
            double di = 0;
            for (int c = 0; c < d; c++) {
                di += (double) g[i * d + c] * o[i * d + c];
            }
            float deltaI = (float) di;
            deltaRow[i] = deltaI;
            scores(q, i, kt, n, nPad, scale, true, p);
            float rowLse = lseRow[i];
            for (int jb = 0; jb < nPad; jb += VL) {
                VectorMath.exp(FloatVector.fromArray(S, p, jb).sub(rowLse)).intoArray(p, jb);
            }
            // dP = dO_i . V_j, then dS = P (dP - delta_i); padded keys have P = 0, hence dS = 0
            scores(g, i, vt, n, nPad, 1f, false, ds);
            for (int jb = 0; jb < nPad; jb += VL) {
                FloatVector pv = FloatVector.fromArray(S, p, jb);
                pv.mul(FloatVector.fromArray(S, ds, jb).sub(deltaI)).intoArray(ds, jb);
            }
            weightedRows(ds, k, n, dPad, dq);
            for (int c = 0; c < d; c++) {
                dq[c] *= scale;
            }
            MemorySegment.copy(dq, 0, dqkv, F, qkvOffset(b, i, 0, h) * 4, d);
            for (int c = 0; c < d; c++) {
                FloatVector qc = FloatVector.broadcast(S, q[i * d + c] * scale);
                FloatVector gc = FloatVector.broadcast(S, g[i * d + c]);
                int base = c * nPad;
                for (int jb = 0; jb < nPad; jb += VL) {
                    FloatVector.fromArray(S, ds, jb).fma(qc, FloatVector.fromArray(S, dkt, base + jb))
                            .intoArray(dkt, base + jb);
                    FloatVector.fromArray(S, p, jb).fma(gc, FloatVector.fromArray(S, dvt, base + jb))
                            .intoArray(dvt, base + jb);
                }
            }
        }
        float[] row = new float[d];
        for (int j = 0; j < length; j++) {
            for (int c = 0; c < d; c++) {
                row[c] = j < n ? dkt[c * nPad + j] : 0f;
            }
            MemorySegment.copy(row, 0, dqkv, F, qkvOffset(b, j, 1, h) * 4, d);
            for (int c = 0; c < d; c++) {
                row[c] = j < n ? dvt[c * nPad + j] : 0f;
            }
            MemorySegment.copy(row, 0, dqkv, F, qkvOffset(b, j, 2, h) * 4, d);
        }
        MemorySegment.copy(deltaRow, 0, delta, F, ((long) b * heads + h) * length * 4, length);
    }

    int tasks() {
        return batch * heads;
    }
}
