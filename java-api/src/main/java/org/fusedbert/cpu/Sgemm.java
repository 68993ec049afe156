package org.fusedbert.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Checks;

/**
 * Single-precision row-major GEMM on memory segments:
 * {@code C = act(alpha * op(A) . op(B) + bias + beta * C)}, the engine under
 * {@link CpuBackend#matmul}.
 *
 * <p>Blocked in the GotoBLAS/BLIS manner: {@code op(B)} is packed into {@code KC x NC} panels of
 * {@code NR}-wide column strips, {@code op(A)} into {@code MC x KC} blocks of {@code MR}-tall row
 * strips, and a register-blocked micro-kernel ({@code MR x NR} accumulators, Vector API FMAs)
 * computes each tile over one K panel. The work is split over the CPU threads by columns of C
 * (by rows when C has more rows than columns); every element of C is summed by one thread in a fixed order (K panels
 * in order, ascending k inside, one FMA chain per element whatever tile or part it falls in), so
 * results are deterministic and independent of the thread count, although the split is not.
 */
public final class Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = 8;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;
    /** Depth of a packed panel: an {@code NR x KC} strip of B stays in L1. */
    static final int KC = 256;
    /** Rows of a packed A block (fits L2 together with the B strip). */
    static final int MC = 128;
    /** Columns of a packed B panel. */
    static final int NC = 4096;
    /** Below this many multiply-adds the work stays on the calling thread. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private Sgemm() {
    }

    /** Per-thread packing buffers, allocated once per thread. */
    private static final class Buffers {
        final float[] packedA = new float[MC * KC];
        final float[] packedB = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    /** The operands and epilogue of one call, shared by the threads that compute it. */
    private record Call(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                        MemorySegment bias, boolean relu, float beta, MemorySegment c, long cOffset, int ldc) {
    }

    /**
     * {@code C[m, n] = act(alpha * op(A)[m, k] . op(B)[k, n] + bias + beta * C)}, row-major, with
     * leading dimensions (elements between consecutive rows as stored) {@code lda}, {@code ldb},
     * {@code ldc}. {@code op(A)} is {@code A} or, when {@code transA}, the transpose of an A stored as
     * {@code [k, m]}; likewise B ({@code [n, k]} stored when {@code transB}). Offsets are in elements.
     * With {@code beta == 0} C is not read (it may hold anything, NaN included).
     *
     * @param bias {@code n} floats added to every row, or {@code null}
     * @param act  applied last, to the complete sum
     * @throws IllegalArgumentException if a size, leading dimension or segment is out of range
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                             MemorySegment bias, Activation act, float beta,
                             MemorySegment c, long cOffset, int ldc) {
        sgemm(CpuThreads.DEFAULT, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, bias, act, beta,
                c, cOffset, ldc);
    }

    /** {@link #sgemm} on the workers of {@code pool}; the result is the same bits for every pool. */
    static void sgemm(CpuThreads pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      MemorySegment bias, Activation act, float beta,
                      MemorySegment c, long cOffset, int ldc) {
        validate(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, bias, act, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        Call call = new Call(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, bias,
                act == Activation.RELU, beta, c, cOffset, ldc);
        if (k == 0 || alpha == 0f) {
            epilogueOnly(call);
            return;
        }
        long macs = (long) m * n * k;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : pool.threads;
        if (threads == 1) {
            compute(call, 0, m, 0, n);
            return;
        }
        // Each thread packs all of the operand it does not split: split the dimension whose
        // other operand is smaller (columns when n >= m), so the repeated packing is the lesser.
        boolean rowsSplit = m >= threads * MR;
        boolean columnsSplit = n >= threads * NR;
        List<Runnable> parts = new ArrayList<>(threads);
        if (columnsSplit && (n >= m || !rowsSplit)) {
            int width = roundUp(ceilDiv(n, threads), NR);
            for (int j0 = 0; j0 < n; j0 += width) {
                int from = j0, to = Math.min(n, j0 + width);
                parts.add(() -> compute(call, 0, m, from, to));
            }
        } else if (rowsSplit) {
            int height = roundUp(ceilDiv(m, threads), MR);
            for (int i0 = 0; i0 < m; i0 += height) {
                int from = i0, to = Math.min(m, i0 + height);
                parts.add(() -> compute(call, from, to, 0, n));
            }
        } else {
            parts.add(() -> compute(call, 0, m, 0, n));
        }
        pool.runAll(parts);
    }

    private static void validate(boolean transA, boolean transB, int m, int n, int k,
                                 MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                                 MemorySegment bias, Activation act, MemorySegment c, long cOffset, int ldc) {
        String op = "sgemm";
        if (m < 0 || n < 0 || k < 0) {
            throw Checks.fail(op, "m, n, k", "sizes >= 0", m + ", " + n + ", " + k);
        }
        if (act == null) {
            throw Checks.fail(op, "act", "an activation", "null");
        }
        // As stored: A is [m, k] or [k, m], B is [k, n] or [n, k].
        operand(op, "a", a, aOffset, lda, transA ? k : m, transA ? m : k, "lda");
        operand(op, "b", b, bOffset, ldb, transB ? n : k, transB ? k : n, "ldb");
        operand(op, "c", c, cOffset, ldc, m, n, "ldc");
        if (bias != null && bias.byteSize() < 4L * n) {
            throw Checks.fail(op, "bias", "at least " + n + " floats", bias.byteSize() / 4 + " floats");
        }
    }

    private static void operand(String op, String name, MemorySegment s, long offset, int ld, int rows, int cols,
                                String ldName) {
        if (s == null) {
            throw Checks.fail(op, name, "a memory segment", "null");
        }
        if (ld < Math.max(1, cols)) {
            throw Checks.fail(op, ldName, ">= " + Math.max(1, cols), ld);
        }
        if (offset < 0) {
            throw Checks.fail(op, name + " offset", ">= 0", offset);
        }
        if (rows > 0 && cols > 0) {
            long needed = offset + (long) (rows - 1) * ld + cols;
            if (needed > s.byteSize() / 4) {
                throw Checks.fail(op, name, "at least " + needed + " floats (" + rows + " rows of " + cols
                        + ", leading dimension " + ld + ", offset " + offset + ")", s.byteSize() / 4 + " floats");
            }
        }
    }

    /** {@code C = act(beta * C + bias)}: the product is empty or scaled by zero. */
    private static void epilogueOnly(Call call) {
        for (int i = 0; i < call.m; i++) {
            long row = call.cOffset + (long) i * call.ldc;
            for (int j = 0; j < call.n; j++) {
                float v = call.beta == 0f ? 0f : call.beta * call.c.getAtIndex(F, row + j);
                if (call.bias != null) {
                    v += call.bias.getAtIndex(F, j);
                }
                if (call.relu) {
                    v = Math.max(v, 0f);
                }
                call.c.setAtIndex(F, row + j, v);
            }
        }
    }

    /** The blocked product for rows {@code [i0, i1)} and columns {@code [j0, j1)} of C. */
    private static void compute(Call call, int i0, int i1, int j0, int j1) {
        Buffers buf = BUFFERS.get();
        int k = call.k;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean first = pc == 0;
                boolean last = pc + kc == k;
                packB(call, pc, kc, jc, nc, buf.packedB);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    packA(call, ic, mc, pc, kc, buf.packedA);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nValid = Math.min(NR, nc - jr);
                        int bIndex = jr * kc;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mValid = Math.min(MR, mc - ir);
                            kernel(kc, buf.packedA, ir * kc, buf.packedB, bIndex, buf.tile);
                            update(call, buf.tile, ic + ir, jc + jr, mValid, nValid, first, last);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs {@code op(B)[pc:pc+kc, jc:jc+nc]} as consecutive {@code kc x NR} strips (row p of a strip
     * is NR consecutive floats), zero-padding the last strip.
     */
    private static void packB(Call call, int pc, int kc, int jc, int nc, float[] dst) {
        MemorySegment b = call.b;
        int ldb = call.ldb;
        for (int jr = 0; jr < nc; jr += NR) {
            int nValid = Math.min(NR, nc - jr);
            int base = jr * kc;
            if (!call.transB) {
                VectorMask<Float> m0 = S.indexInRange(0, nValid);
                VectorMask<Float> m1 = S.indexInRange(L, nValid);
                long src = call.bOffset + (long) pc * ldb + jc + jr;
                for (int p = 0; p < kc; p++, src += ldb) {
                    int d = base + p * NR;
                    if (nValid == NR) {
                        FloatVector.fromMemorySegment(S, b, src * 4, ORDER).intoArray(dst, d);
                        FloatVector.fromMemorySegment(S, b, (src + L) * 4, ORDER).intoArray(dst, d + L);
                    } else {
                        FloatVector.fromMemorySegment(S, b, src * 4, ORDER, m0).intoArray(dst, d);
                        FloatVector.fromMemorySegment(S, b, (src + L) * 4, ORDER, m1).intoArray(dst, d + L);
                    }
                }
            } else {
                for (int j = 0; j < NR; j++) {
                    if (j < nValid) {
                        long src = call.bOffset + (long) (jc + jr + j) * ldb + pc;
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * NR + j] = b.getAtIndex(F, src + p);
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * NR + j] = 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs {@code op(A)[ic:ic+mc, pc:pc+kc]} as consecutive {@code kc x MR} strips (row p of a strip
     * is the MR values of column p), zero-padding the last strip.
     */
    private static void packA(Call call, int ic, int mc, int pc, int kc, float[] dst) {
        MemorySegment a = call.a;
        int lda = call.lda;
        for (int ir = 0; ir < mc; ir += MR) {
            int mValid = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (!call.transA) {
                for (int r = 0; r < MR; r++) {
                    if (r < mValid) {
                        long src = call.aOffset + (long) (ic + ir + r) * lda + pc;
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = a.getAtIndex(F, src + p);
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[base + p * MR + r] = 0f;
                        }
                    }
                }
            } else {
                long src = call.aOffset + (long) pc * lda + ic + ir;
                for (int p = 0; p < kc; p++, src += lda) {
                    int d = base + p * MR;
                    for (int r = 0; r < mValid; r++) {
                        dst[d + r] = a.getAtIndex(F, src + r);
                    }
                    for (int r = mValid; r < MR; r++) {
                        dst[d + r] = 0f;
                    }
                }
            }
        }
    }

    /** The register tile: {@code tile[MR x NR] = strip(A) . strip(B)} over {@code kc}. */
    private static void kernel(int kc, float[] pa, int ai, float[] pb, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bi);
            FloatVector b1 = FloatVector.fromArray(S, pb, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, pa[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, pa[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, pa[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, pa[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, pa[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, pa[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, pa[ai + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, pa[ai + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
    }

    /**
     * Folds a computed tile into C at {@code (row, col)}: the first K panel scales by alpha, adds
     * {@code beta * C} and the bias; later panels add to C; the last applies the activation.
     */
    private static void update(Call call, float[] tile, int row, int col, int mValid, int nValid,
                               boolean first, boolean last) {
        MemorySegment c = call.c;
        boolean full = nValid == NR;
        VectorMask<Float> m0 = S.indexInRange(0, nValid);
        VectorMask<Float> m1 = S.indexInRange(L, nValid);
        float alpha = call.alpha;
        boolean readC = !first || call.beta != 0f;
        boolean scaleC = first && call.beta != 1f;
        boolean addBias = first && call.bias != null;
        boolean relu = last && call.relu;
        for (int r = 0; r < mValid; r++) {
            long at = (call.cOffset + (long) (row + r) * call.ldc + col) * 4;
            FloatVector v0 = FloatVector.fromArray(S, tile, r * NR);
            FloatVector v1 = FloatVector.fromArray(S, tile, r * NR + L);
            if (alpha != 1f) {
                v0 = v0.mul(alpha);
                v1 = v1.mul(alpha);
            }
            if (readC) {
                FloatVector old0 = load(c, at, full, m0);
                FloatVector old1 = load(c, at + 4L * L, full, m1);
                if (scaleC) {
                    old0 = old0.mul(call.beta);
                    old1 = old1.mul(call.beta);
                }
                v0 = v0.add(old0);
                v1 = v1.add(old1);
            }
            if (addBias) {
                v0 = v0.add(load(call.bias, (long) col * 4, full, m0));
                v1 = v1.add(load(call.bias, (long) (col + L) * 4, full, m1));
            }
            if (relu) {
                v0 = v0.lanewise(VectorOperators.MAX, 0f);
                v1 = v1.lanewise(VectorOperators.MAX, 0f);
            }
            if (full) {
                v0.intoMemorySegment(c, at, ORDER);
                v1.intoMemorySegment(c, at + 4L * L, ORDER);
            } else {
                v0.intoMemorySegment(c, at, ORDER, m0);
                v1.intoMemorySegment(c, at + 4L * L, ORDER, m1);
            }
        }
    }

    private static FloatVector load(MemorySegment s, long byteOffset, boolean full, VectorMask<Float> mask) {
        return full ? FloatVector.fromMemorySegment(S, s, byteOffset, ORDER)
                : FloatVector.fromMemorySegment(S, s, byteOffset, ORDER, mask);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }
}
