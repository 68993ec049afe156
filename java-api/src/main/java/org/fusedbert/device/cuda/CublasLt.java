package org.fusedbert.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * FFM bindings to cuBLASLt ({@code libcublasLt.so.13}, else {@code .so.12}; see
 * {@link CublasLtLocator}), in the same holder-per-function style as {@link CudaDriver}. Every
 * status is checked; a failure throws {@link CudaException} with the call,
 * {@code cublasLtGetStatusName} and {@code cublasLtGetStatusString}.
 *
 * <p>Enum values are from {@code cublasLt.h} / {@code cublas_api.h} / {@code library_types.h}
 * (CUDA 12 and 13 agree on all of these): {@code cublasComputeType_t}, {@code cudaDataType_t},
 * {@code cublasOperation_t}, {@code cublasLtMatmulDescAttributes_t}, {@code cublasLtEpilogue_t},
 * {@code cublasLtMatmulPreferenceAttributes_t}; the cuBLAS documentation's "cuBLASLt datatypes
 * reference" lists the same.
 */
public final class CublasLt {
    private CublasLt() {
    }

    /** {@code CUBLAS_STATUS_SUCCESS} */
    public static final int CUBLAS_STATUS_SUCCESS = 0;
    /** {@code CUDA_R_32F} ({@code cudaDataType_t}) */
    public static final int CUDA_R_32F = 0;
    /** {@code CUBLAS_COMPUTE_32F} ({@code cublasComputeType_t}): full fp32 products. */
    public static final int CUBLAS_COMPUTE_32F = 68;
    /** {@code CUBLAS_COMPUTE_32F_FAST_TF32}: fp32 in and out, tensor-core products with TF32 inputs. */
    public static final int CUBLAS_COMPUTE_32F_FAST_TF32 = 77;
    /** {@code CUBLAS_OP_N} */
    public static final int CUBLAS_OP_N = 0;
    /** {@code CUBLAS_OP_T} */
    public static final int CUBLAS_OP_T = 1;
    /** {@code CUBLASLT_MATMUL_DESC_TRANSA} (int32 cublasOperation_t) */
    public static final int CUBLASLT_MATMUL_DESC_TRANSA = 3;
    /** {@code CUBLASLT_MATMUL_DESC_TRANSB} (int32 cublasOperation_t) */
    public static final int CUBLASLT_MATMUL_DESC_TRANSB = 4;
    /** {@code CUBLASLT_MATMUL_DESC_EPILOGUE} (uint32 cublasLtEpilogue_t) */
    public static final int CUBLASLT_MATMUL_DESC_EPILOGUE = 7;
    /** {@code CUBLASLT_MATMUL_DESC_BIAS_POINTER} (const void*, device memory) */
    public static final int CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8;
    /** {@code CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER} (void*, device memory) */
    public static final int CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER = 11;
    /** {@code CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD} (int64) */
    public static final int CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD = 12;
    /** {@code CUBLASLT_EPILOGUE_DEFAULT} */
    public static final int CUBLASLT_EPILOGUE_DEFAULT = 1;
    /** {@code CUBLASLT_EPILOGUE_RELU} */
    public static final int CUBLASLT_EPILOGUE_RELU = 2;
    /** {@code CUBLASLT_EPILOGUE_BIAS}: adds a bias vector with one entry per row of D (column-major). */
    public static final int CUBLASLT_EPILOGUE_BIAS = 4;
    /** {@code CUBLASLT_EPILOGUE_RELU_BIAS} = RELU | BIAS */
    public static final int CUBLASLT_EPILOGUE_RELU_BIAS = 6;
    /** {@code CUBLASLT_EPILOGUE_RELU_AUX} = RELU | 128: also writes a ReLU bit mask (aux). */
    public static final int CUBLASLT_EPILOGUE_RELU_AUX = 130;
    /** {@code CUBLASLT_EPILOGUE_DRELU} = 8 | 128: multiplies by the ReLU gradient from the aux mask. */
    public static final int CUBLASLT_EPILOGUE_DRELU = 136;
    /** {@code CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES} (uint64) */
    public static final int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
    /** {@code CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES} (uint32) */
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5;
    /** {@code CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES} (uint32) */
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6;
    /** {@code CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES} (uint32) */
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7;
    /** {@code CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES} (uint32) */
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;

    /**
     * {@code cublasLtMatmulHeuristicResult_t}: algo (cublasLtMatmulAlgo_t, 8 x uint64), size_t
     * workspaceSize, cublasStatus_t state, float wavesCount, int reserved[4].
     */
    public static final long HEURISTIC_RESULT_BYTES = 64 + 8 + 4 + 4 + 16;
    /** Offset of {@code workspaceSize} in a heuristic result. */
    public static final long HEURISTIC_WORKSPACE_OFFSET = 64;
    /** Size of {@code cublasLtMatmulAlgo_t}, the first member of a heuristic result. */
    public static final long ALGO_BYTES = 64;

    private record Loaded(NativeLibrary library, String origin) {
    }

    private static final class Lib {
        static final Loaded LOADED = open();
        static final NativeLibrary LT = LOADED.library();

        private static Loaded open() {
            int driverVersion = 0;
            if (CudaDriver.isLoaded()) {
                try {
                    driverVersion = CudaDriver.cuDriverGetVersion();
                } catch (RuntimeException e) {
                    driverVersion = 0;
                }
            }
            Path home = Path.of(System.getProperty("user.home", "/"));
            List<CublasLtLocator.Candidate> candidates = CublasLtLocator.candidates(System.getenv(), home, driverVersion);
            for (CublasLtLocator.Candidate c : candidates) {
                NativeLibrary lib = NativeLibrary.open(c.target());
                if (lib.isLoaded() && lib.has("cublasLtMatmul")) {
                    return new Loaded(lib, c.target() + " from " + c.origin());
                }
            }
            String override = System.getenv(CublasLtLocator.ENV);
            String where = override != null ? CublasLtLocator.ENV + "=" + override
                    : "the library path, the CUDA toolkit or Python's nvidia wheels";
            String names = String.join(" / ", CublasLtLocator.sonames(driverVersion));
            return new Loaded(NativeLibrary.absent("libcublasLt", "no cuBLASLt (" + names + " not found in " + where
                    + "; set " + CublasLtLocator.ENV + " to the library)"), "");
        }
    }

    /** Whether a cuBLASLt library was found and opened. */
    public static boolean isLoaded() {
        return Lib.LT.isLoaded();
    }

    /** Why cuBLASLt is not available, or empty. */
    public static Optional<String> loadFailure() {
        return Lib.LT.failure();
    }

    /** Which file was loaded and where it was found, for reports. */
    public static String loadedFrom() {
        return Lib.LOADED.origin();
    }

    static MethodHandle downcall(FunctionDescriptor descriptor, String symbol) {
        return Lib.LT.downcall(descriptor, symbol);
    }

    /** Throws {@link CudaException} for a status other than {@code CUBLAS_STATUS_SUCCESS}. */
    public static void check(String call, int status) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            String name = statusText(cublasLtGetStatusName.HANDLE, status);
            String text = statusText(cublasLtGetStatusString.HANDLE, status);
            throw new CudaException(call, status, name == null ? "cublasStatus_t " + status : name,
                    text == null ? "unknown status" : text);
        }
    }

    private static String statusText(MethodHandle handle, int status) {
        try {
            MemorySegment s = (MemorySegment) handle.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtGetStatusName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtGetStatusName");
    }

    private static final class cublasLtGetStatusString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtGetStatusString");
    }

    private static final class cublasLtGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtGetVersion");
    }

    /** {@code cublasLtGetVersion}: 10000 * major + 100 * minor + patch (size_t). */
    public static long cublasLtGetVersion() {
        try {
            return (long) cublasLtGetVersion.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    // ------------------------------------------------------------------ handle

    private static final class cublasLtCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtCreate");
    }

    /** A cuBLASLt handle for the current context's device. */
    public static MemorySegment cublasLtCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cublasLtCreate", (int) cublasLtCreate.HANDLE.invokeExact(out));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtDestroy");
    }

    public static void cublasLtDestroy(MemorySegment handle) {
        try {
            check("cublasLtDestroy", (int) cublasLtDestroy.HANDLE.invokeExact(handle));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    // ------------------------------------------------------------------ matmul descriptor

    private static final class cublasLtMatmulDescCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulDescCreate");
    }

    public static MemorySegment cublasLtMatmulDescCreate(int computeType, int scaleType) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cublasLtMatmulDescCreate", (int) cublasLtMatmulDescCreate.HANDLE.invokeExact(out, computeType, scaleType));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatmulDescSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulDescSetAttribute");
    }

    /** Sets one attribute from {@code value}'s bytes. */
    public static void cublasLtMatmulDescSetAttribute(MemorySegment desc, int attribute, MemorySegment value) {
        try {
            check("cublasLtMatmulDescSetAttribute(" + attribute + ")",
                    (int) cublasLtMatmulDescSetAttribute.HANDLE.invokeExact(desc, attribute, value, value.byteSize()));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatmulDescDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulDescDestroy");
    }

    public static void cublasLtMatmulDescDestroy(MemorySegment desc) {
        try {
            check("cublasLtMatmulDescDestroy", (int) cublasLtMatmulDescDestroy.HANDLE.invokeExact(desc));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    // ------------------------------------------------------------------ matrix layouts

    private static final class cublasLtMatrixLayoutCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatrixLayoutCreate");
    }

    /** A column-major layout of {@code rows x cols} elements of {@code type}, {@code ld} elements between columns. */
    public static MemorySegment cublasLtMatrixLayoutCreate(int type, long rows, long cols, long ld) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cublasLtMatrixLayoutCreate", (int) cublasLtMatrixLayoutCreate.HANDLE.invokeExact(out, type, rows, cols, ld));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatrixLayoutDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatrixLayoutDestroy");
    }

    public static void cublasLtMatrixLayoutDestroy(MemorySegment layout) {
        try {
            check("cublasLtMatrixLayoutDestroy", (int) cublasLtMatrixLayoutDestroy.HANDLE.invokeExact(layout));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    // ------------------------------------------------------------------ preferences and heuristics

    private static final class cublasLtMatmulPreferenceCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulPreferenceCreate");
    }

    public static MemorySegment cublasLtMatmulPreferenceCreate() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cublasLtMatmulPreferenceCreate", (int) cublasLtMatmulPreferenceCreate.HANDLE.invokeExact(out));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatmulPreferenceSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulPreferenceSetAttribute");
    }

    public static void cublasLtMatmulPreferenceSetAttribute(MemorySegment pref, int attribute, MemorySegment value) {
        try {
            check("cublasLtMatmulPreferenceSetAttribute(" + attribute + ")",
                    (int) cublasLtMatmulPreferenceSetAttribute.HANDLE.invokeExact(pref, attribute, value, value.byteSize()));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatmulPreferenceDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulPreferenceDestroy");
    }

    public static void cublasLtMatmulPreferenceDestroy(MemorySegment pref) {
        try {
            check("cublasLtMatmulPreferenceDestroy", (int) cublasLtMatmulPreferenceDestroy.HANDLE.invokeExact(pref));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    private static final class cublasLtMatmulAlgoGetHeuristic {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmulAlgoGetHeuristic");
    }

    /**
     * Fills {@code results} (room for {@code requested} heuristic results) best first and returns how
     * many were written.
     */
    public static int cublasLtMatmulAlgoGetHeuristic(MemorySegment handle, MemorySegment desc, MemorySegment aLayout,
                                                     MemorySegment bLayout, MemorySegment cLayout, MemorySegment dLayout,
                                                     MemorySegment preference, int requested, MemorySegment results) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            check("cublasLtMatmulAlgoGetHeuristic", (int) cublasLtMatmulAlgoGetHeuristic.HANDLE.invokeExact(handle, desc,
                    aLayout, bLayout, cLayout, dLayout, preference, requested, results, count));
            return count.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }

    // ------------------------------------------------------------------ matmul

    private static final class cublasLtMatmul {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cublasLtMatmul");
    }

    /**
     * {@code D = epilogue(alpha * op(A) op(B) + beta * C)} on {@code stream}, column-major. Matrix
     * and workspace arguments are device pointers; alpha and beta point at host floats (the default
     * pointer mode).
     */
    public static void cublasLtMatmul(MemorySegment handle, MemorySegment desc, MemorySegment alpha,
                                      long a, MemorySegment aLayout, long b, MemorySegment bLayout,
                                      MemorySegment beta, long c, MemorySegment cLayout, long d, MemorySegment dLayout,
                                      MemorySegment algo, long workspace, long workspaceBytes, MemorySegment stream) {
        try {
            check("cublasLtMatmul", (int) cublasLtMatmul.HANDLE.invokeExact(handle, desc, alpha,
                    MemorySegment.ofAddress(a), aLayout, MemorySegment.ofAddress(b), bLayout, beta,
                    MemorySegment.ofAddress(c), cLayout, MemorySegment.ofAddress(d), dLayout,
                    algo, MemorySegment.ofAddress(workspace), workspaceBytes, stream));
        } catch (Throwable t) {
            throw CudaDriver.unexpected(t);
        }
    }
}
