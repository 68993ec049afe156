package org.fusedbert.device.sim;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.fusedbert.device.Dim3;

/**
 * FFM binding of the CPU simulator library {@code libfusedbert_sim.so} (native/sim), in the style
 * jextract generates: one holder class per native function with its descriptor and a method handle
 * created on first use, and thin static wrappers that check every status.
 *
 * <p>The library ships in the java-api jar at {@link #LIBRARY_RESOURCE}; it is loaded in place
 * when the class path holds it as a plain file, otherwise extracted to a temporary file.
 */
final class SimRuntime {
    /** Where the build puts the simulator library on the class path. */
    public static final String LIBRARY_RESOURCE = "org/fusedbert/native/linux-x86_64/libfusedbert_sim.so";

    /** The {@code fbsim_abi_version()} this binding is written against. */
    public static final int ABI_VERSION = 1;

    private static final int ERROR_BYTES = 2048;

    private SimRuntime() {
    }

    /** Whether the simulator library is on the class path (false when the native build was skipped). */
    public static boolean isAvailable() {
        return SimRuntime.class.getClassLoader().getResource(LIBRARY_RESOURCE) != null;
    }

    /** Number of host threads that run a launch's blocks. */
    public static int threadCount() {
        Library.get();
        try {
            return (int) fbsim_thread_count.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow("fbsim_thread_count", t);
        }
    }

    /** Every kernel the library can run: the ABI header's, then the simulator's self-tests. */
    public static List<String> kernelNames() {
        Library.get();
        try {
            int count = (int) fbsim_kernel_count.HANDLE.invokeExact();
            List<String> names = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                MemorySegment name = (MemorySegment) fbsim_kernel_name.HANDLE.invokeExact(i);
                names.add(name.reinterpret(Long.MAX_VALUE).getString(0));
            }
            return names;
        } catch (Throwable t) {
            throw rethrow("fbsim_kernel_name", t);
        }
    }

    /**
     * The kernel's parameter signature, one {@link org.fusedbert.device.KernelArgs#signature()}
     * letter per parameter, or {@code null} if the library has no such kernel.
     */
    public static String kernelSignature(String kernel) {
        Library.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sig = (MemorySegment) fbsim_kernel_signature.HANDLE.invokeExact(arena.allocateFrom(kernel));
            return sig.equals(MemorySegment.NULL) ? null : sig.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow("fbsim_kernel_signature", t);
        }
    }

    /**
     * Runs {@code kernel} over {@code grid} blocks of {@code block} threads and waits for it.
     *
     * @param args the {@code void**} argument block ({@code KernelArgs.pointerArray()})
     * @throws SimKernelException if the kernel fails in the simulator
     * @throws IllegalArgumentException for an unknown kernel or an invalid launch configuration
     */
    public static void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, MemorySegment args) {
        Library.get();
        int rc;
        String message;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(ERROR_BYTES);
            rc = (int) fbsim_launch.HANDLE.invokeExact(arena.allocateFrom(kernel), grid.x(), grid.y(), grid.z(),
                    block.x(), block.y(), block.z(), sharedBytes, args, err, (long) ERROR_BYTES);
            message = rc == 0 ? null : err.getString(0);
        } catch (Throwable t) {
            throw rethrow("fbsim_launch", t);
        }
        if (rc == 2) {
            throw new SimKernelException(kernel, message);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The reference GEMM on host addresses: row-major
     * {@code C = act(op(A) op(B) + bias + beta C)}, {@code beta} 0 or 1, {@code bias} 0 for none;
     * with {@code tf32} the operands are rounded to TF32 as they are read (cuBLASLt's
     * {@code CUBLAS_COMPUTE_32F_FAST_TF32}), products and sums stay fp32.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb,
                            long bias, boolean relu, float beta, long c, int ldc, boolean tf32) {
        Library.get();
        int rc;
        String message;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(ERROR_BYTES);
            rc = (int) fbsim_gemm.HANDLE.invokeExact(transA ? 1 : 0, transB ? 1 : 0, m, n, k,
                    MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, MemorySegment.ofAddress(bias),
                    relu ? 1 : 0, beta, MemorySegment.ofAddress(c), ldc, tf32 ? 1 : 0, err, (long) ERROR_BYTES);
            message = rc == 0 ? null : err.getString(0);
        } catch (Throwable t) {
            throw rethrow("fbsim_gemm", t);
        }
        if (rc != 0) {
            throw new IllegalArgumentException(message);
        }
    }

    private static RuntimeException rethrow(String function, Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("SimRuntime: " + function + " failed: " + t, t);
    }

    /**
     * The loaded library, loaded (and its ABI checked) by the first call of any function. Loaded
     * outside class initialization, so that a missing library is the same clear
     * {@link IllegalStateException} on every call rather than an ExceptionInInitializerError.
     */
    private static final class Library {
        private static volatile SymbolLookup lookup;

        static SymbolLookup get() {
            SymbolLookup loaded = lookup;
            return loaded != null ? loaded : loadOnce();
        }

        private static synchronized SymbolLookup loadOnce() {
            if (lookup == null) {
                lookup = load();
            }
            return lookup;
        }

        static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
            MemorySegment address = get().find(name).orElseThrow(() -> new IllegalStateException(
                    "SimRuntime: symbol " + name + " expected in " + LIBRARY_RESOURCE + " but was missing"));
            return Linker.nativeLinker().downcallHandle(address, descriptor);
        }

        private static SymbolLookup load() {
            URL url = SimRuntime.class.getClassLoader().getResource(LIBRARY_RESOURCE);
            if (url == null) {
                throw new IllegalStateException("SimRuntime: " + LIBRARY_RESOURCE + " expected on the class path but "
                        + "was missing (built with -Dfusedbert.native.skip=true, or not on linux-x86_64?)");
            }
            SymbolLookup lookup = SymbolLookup.libraryLookup(localPath(url), Arena.global());
            MethodHandle version = Linker.nativeLinker().downcallHandle(
                    lookup.find("fbsim_abi_version").orElseThrow(() -> new IllegalStateException(
                            "SimRuntime: fbsim_abi_version expected in " + url + " but was missing")),
                    FunctionDescriptor.of(JAVA_INT));
            int abi;
            try {
                abi = (int) version.invokeExact();
            } catch (Throwable t) {
                throw new IllegalStateException("SimRuntime: fbsim_abi_version failed: " + t, t);
            }
            if (abi != ABI_VERSION) {
                throw new IllegalStateException("SimRuntime: " + url + " ABI version expected " + ABI_VERSION
                        + " but was " + abi + " (stale build?)");
            }
            return lookup;
        }

        private static Path localPath(URL url) {
            try {
                if ("file".equals(url.getProtocol())) {
                    return Path.of(url.toURI());
                }
                // Inside a jar: dlopen needs a file.
                Path tmp = Files.createTempFile("libfusedbert_sim", ".so");
                tmp.toFile().deleteOnExit();
                try (InputStream in = url.openStream()) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                return tmp;
            } catch (IOException e) {
                throw new UncheckedIOException("SimRuntime: cannot extract " + url, e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException("SimRuntime: bad library URL " + url, e);
            }
        }
    }

    // ---- one holder per native function: descriptor and handle, created on first use ----

    private static final class fbsim_thread_count {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = Library.downcall("fbsim_thread_count", DESC);
    }

    private static final class fbsim_kernel_count {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = Library.downcall("fbsim_kernel_count", DESC);
    }

    private static final class fbsim_kernel_name {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = Library.downcall("fbsim_kernel_name", DESC);
    }

    private static final class fbsim_kernel_signature {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = Library.downcall("fbsim_kernel_signature", DESC);
    }

    /** {@code int fbsim_launch(kernel, gx, gy, gz, bx, by, bz, sharedBytes, void** args, err, errLen)}. */
    private static final class fbsim_launch {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = Library.downcall("fbsim_launch", DESC);
    }

    /** {@code int fbsim_gemm(transA, transB, m, n, k, A, lda, B, ldb, bias, relu, beta, C, ldc, tf32, err, errLen)}. */
    private static final class fbsim_gemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT,
                JAVA_INT, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = Library.downcall("fbsim_gemm", DESC);
    }
}
