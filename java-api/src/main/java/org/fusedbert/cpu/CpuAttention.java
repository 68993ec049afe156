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
 * keys: products in float32 (16-term dot products), softmax normalisers and {@code delta} in
 * float64, exponentials by the Vector API's {@code EXP}. Keys at or past the valid length get
 * score -inf, hence probability 0 and zero gradient.
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
     * {@code s[j] = scale * a[i, :] . bt[:, j]} for j in [0, nPad), with -inf at {@code j >= n}
     * when {@code maskTail}; returns the maximum.
     */
    private float scores(float[] a, int i, float[] bt, int n, int nPad, float factor, boolean maskTail, float[] s) {
        int d = headDim;
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int jb = 0; jb < nPad; jb += VL) {
            FloatVector acc = FloatVector.zero(S);
            for (int c = 0; c < d; c++) {
                acc = FloatVector.fromArray(S, bt, c * nPad + jb).fma(FloatVector.broadcast(S, a[i * d + c]), acc);
            }
            if (factor != 1f) {
                acc = acc.mul(factor);
            }
            if (maskTail && jb + VL > n) {
                VectorMask<Float> valid = S.indexInRange(jb, n);
                acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(acc, valid);
            }
            acc.intoArray(s, jb);
            max = max.max(acc);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** {@code out[c] = sum_j w[j] * bt[c, j]} for every c, in float32 lanes. */
    private void weightedRows(float[] w, float[] bt, int nPad, float[] out) {
        for (int c = 0; c < headDim; c++) {
            FloatVector acc = FloatVector.zero(S);
            for (int jb = 0; jb < nPad; jb += VL) {
                acc = FloatVector.fromArray(S, w, jb).fma(FloatVector.fromArray(S, bt, c * nPad + jb), acc);
            }
            out[c] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /** The forward for (b, h): out rows and lse. */
    void forward(int b, int h, MemorySegment qkv, MemorySegment out, MemorySegment lse) {
        int d = headDim, n = lengths[b], nPad = padded(n);
        float[] q = rows(qkv, length, r -> qkvOffset(b, r, 0, h));
        float[] kt = transposed(qkv, b, 1, h, n, nPad);
        float[] vt = transposed(qkv, b, 2, h, n, nPad);
        float[] s = new float[nPad];
        float[] o = new float[d];
        float[] lseRow = new float[length];
        for (int i = 0; i < length; i++) {
            float max = scores(q, i, kt, n, nPad, scale, true, s);
            double sum = 0;
            for (int jb = 0; jb < nPad; jb += VL) {
                FloatVector e = FloatVector.fromArray(S, s, jb).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(s, jb);
                sum += e.reduceLanes(VectorOperators.ADD);
            }
            weightedRows(s, vt, nPad, o);
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
        int d = headDim, n = lengths[b], nPad = padded(n);
        float[] q = rows(qkv, length, r -> qkvOffset(b, r, 0, h));
        float[] o = rows(out, length, r -> rowOffset(b, r, h));
        float[] g = rows(dOut, length, r -> rowOffset(b, r, h));
        float[] kt = transposed(qkv, b, 1, h, n, nPad);
        float[] vt = transposed(qkv, b, 2, h, n, nPad);
        float[] lseRow = new float[length];
        MemorySegment.copy(lse, F, ((long) b * heads + h) * length * 4, lseRow, 0, length);
        float[] p = new float[nPad];
        float[] ds = new float[nPad];
        float[] dkt = new float[d * nPad];
        float[] dvt = new float[d * nPad];
        float[] dq = new float[d];
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
                FloatVector.fromArray(S, p, jb).sub(rowLse).lanewise(VectorOperators.EXP).intoArray(p, jb);
            }
            // dP = dO_i . V_j, then dS = P (dP - delta_i); padded keys have P = 0, hence dS = 0
            scores(g, i, vt, n, nPad, 1f, false, ds);
            for (int jb = 0; jb < nPad; jb += VL) {
                FloatVector pv = FloatVector.fromArray(S, p, jb);
                pv.mul(FloatVector.fromArray(S, ds, jb).sub(deltaI)).intoArray(ds, jb);
            }
            weightedRows(ds, kt, nPad, dq);
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
