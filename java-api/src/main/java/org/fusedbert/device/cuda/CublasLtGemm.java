package org.fusedbert.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.GemmSpec;

/**
 * Row-major fp32 GEMMs through cuBLASLt on one stream, with one workspace. Each distinct shape
 * (sizes, leading dimensions, transposes, epilogue, precision, pointer alignment) gets a plan —
 * descriptor, layouts and the heuristic's best algorithm — made once and reused, so a training
 * step pays the heuristic only on its first pass. Used by both GPU devices: cuBLASLt runs on the
 * primary context whichever binding (FFM or JCuda) made it current.
 */
final class CublasLtGemm implements AutoCloseable {
    private final MemorySegment handle;
    private final long workspace;
    private final long workspaceBytes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one;
    private final MemorySegment betaSlot;
    private final MemorySegment biasSlot;
    private final Map<PlanKey, Plan> plans = new HashMap<>();
    private GemmPrecision precision;
    private boolean closed;

    /**
     * @param workspace      device pointer to {@code workspaceBytes} bytes, owned by the caller and
     *                       kept alive as long as this object (graphs captured with it refer to it)
     * @param precision      the initial compute precision
     */
    public CublasLtGemm(long workspace, long workspaceBytes, GemmPrecision precision) {
        this.handle = CublasLt.cublasLtCreate();
        this.workspace = workspace;
        this.workspaceBytes = workspaceBytes;
        this.precision = precision;
        this.one = arena.allocateFrom(JAVA_FLOAT, 1f);
        this.betaSlot = arena.allocate(JAVA_FLOAT);
        this.biasSlot = arena.allocate(ADDRESS);
    }

    public GemmPrecision precision() {
        return precision;
    }

    public void precision(GemmPrecision precision) {
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
    }

    /** Number of cached plans (distinct shapes seen). */
    public int planCount() {
        return plans.size();
    }

    /** Issues {@code spec} on {@code stream} (a {@code CUstream}). */
    public void run(GemmSpec spec, MemorySegment stream) {
        if (closed) {
            throw new IllegalStateException("gemm: cuBLASLt handle already closed");
        }
        ColumnMajorGemm g = ColumnMajorGemm.of(spec);
        if (g.isEmpty()) {
            return;
        }
        if (g.k() == 0) {
            throw new IllegalArgumentException("gemm: k expected >= 1 on a GPU (cuBLASLt has no empty product) but was 0");
        }
        int computeType = precision == GemmPrecision.TF32
                ? CublasLt.CUBLAS_COMPUTE_32F_FAST_TF32 : CublasLt.CUBLAS_COMPUTE_32F;
        PlanKey key = new PlanKey(g.opA(), g.opB(), g.m(), g.n(), g.k(), g.lda(), g.ldb(), g.ldc(), g.epilogue(),
                computeType, alignment(g.a(), g.lda()), alignment(g.b(), g.ldb()), alignment(g.c(), g.ldc()));
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = plan(key, g);
            plans.put(key, plan);
        }
        if (g.bias() != 0) {
            // The bias pointer lives in the descriptor; setting it per call keeps one plan per shape.
            biasSlot.set(JAVA_LONG, 0, g.bias());
            CublasLt.cublasLtMatmulDescSetAttribute(plan.desc, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER, biasSlot);
        }
        betaSlot.set(JAVA_FLOAT, 0, g.beta());
        CublasLt.cublasLtMatmul(handle, plan.desc, one, g.a(), plan.aLayout, g.b(), plan.bLayout, betaSlot,
                g.c(), plan.cLayout, g.c(), plan.cLayout, plan.algo, workspace, workspaceBytes, stream);
    }

    /**
     * The largest power of two up to 16 dividing the pointer and the byte length of a column: what
     * cuBLASLt may assume about every column's start.
     */
    static int alignment(long pointer, long ld) {
        long bits = pointer | (ld * Float.BYTES) | 16;
        return (int) Long.lowestOneBit(bits);
    }

    private Plan plan(PlanKey key, ColumnMajorGemm g) {
        MemorySegment desc = CublasLt.cublasLtMatmulDescCreate(key.computeType(), CublasLt.CUDA_R_32F);
        MemorySegment aLayout = MemorySegment.NULL;
        MemorySegment bLayout = MemorySegment.NULL;
        MemorySegment cLayout = MemorySegment.NULL;
        MemorySegment preference = MemorySegment.NULL;
        try (Arena call = Arena.ofConfined()) {
            CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSA, call.allocateFrom(JAVA_INT, g.opA()));
            CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSB, call.allocateFrom(JAVA_INT, g.opB()));
            CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE, call.allocateFrom(JAVA_INT, g.epilogue()));
            if (g.bias() != 0) {
                CublasLt.cublasLtMatmulDescSetAttribute(desc, CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                        call.allocateFrom(JAVA_LONG, g.bias()));
            }
            aLayout = CublasLt.cublasLtMatrixLayoutCreate(CublasLt.CUDA_R_32F, g.rowsA(), g.colsA(), g.lda());
            bLayout = CublasLt.cublasLtMatrixLayoutCreate(CublasLt.CUDA_R_32F, g.rowsB(), g.colsB(), g.ldb());
            cLayout = CublasLt.cublasLtMatrixLayoutCreate(CublasLt.CUDA_R_32F, g.m(), g.n(), g.ldc());
            preference = CublasLt.cublasLtMatmulPreferenceCreate();
            CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                    call.allocateFrom(JAVA_LONG, workspaceBytes));
            CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                    call.allocateFrom(JAVA_INT, key.alignA()));
            CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                    call.allocateFrom(JAVA_INT, key.alignB()));
            CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    call.allocateFrom(JAVA_INT, key.alignC()));
            CublasLt.cublasLtMatmulPreferenceSetAttribute(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                    call.allocateFrom(JAVA_INT, key.alignC()));
            MemorySegment results = call.allocate(CublasLt.HEURISTIC_RESULT_BYTES, 8);
            int found = CublasLt.cublasLtMatmulAlgoGetHeuristic(handle, desc, aLayout, bLayout, cLayout, cLayout,
                    preference, 1, results);
            if (found < 1) {
                throw new IllegalStateException("gemm: cuBLASLt has no algorithm for " + key);
            }
            MemorySegment algo = arena.allocate(CublasLt.ALGO_BYTES, 8);
            algo.copyFrom(results.asSlice(0, CublasLt.ALGO_BYTES));
            return new Plan(desc, aLayout, bLayout, cLayout, algo);
        } catch (RuntimeException e) {
            destroyQuietly(desc, aLayout, bLayout, cLayout);
            throw e;
        } finally {
            if (!preference.equals(MemorySegment.NULL)) {
                CublasLt.cublasLtMatmulPreferenceDestroy(preference);
            }
        }
    }

    private static void destroyQuietly(MemorySegment desc, MemorySegment... layouts) {
        try {
            CublasLt.cublasLtMatmulDescDestroy(desc);
            for (MemorySegment l : layouts) {
                if (!l.equals(MemorySegment.NULL)) {
                    CublasLt.cublasLtMatrixLayoutDestroy(l);
                }
            }
        } catch (RuntimeException ignored) {
            // Already failing: the original error is the one to report.
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan p : plans.values()) {
            CublasLt.cublasLtMatmulDescDestroy(p.desc);
            CublasLt.cublasLtMatrixLayoutDestroy(p.aLayout);
            CublasLt.cublasLtMatrixLayoutDestroy(p.bLayout);
            CublasLt.cublasLtMatrixLayoutDestroy(p.cLayout);
        }
        plans.clear();
        CublasLt.cublasLtDestroy(handle);
        arena.close();
    }

    /** What makes two GEMMs share a plan. */
    record PlanKey(int opA, int opB, long m, long n, long k, long lda, long ldb, long ldc, int epilogue,
                   int computeType, int alignA, int alignB, int alignC) {
    }

    private record Plan(MemorySegment desc, MemorySegment aLayout, MemorySegment bLayout, MemorySegment cLayout,
                        MemorySegment algo) {
    }
}
