package org.fusedbert.device.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * FFM bindings to the CUDA driver API in {@code libcuda.so.1}, hand-written in the style jextract
 * generates: one holder class per function (its descriptor and a downcall handle made on first
 * use), and a thin static wrapper that checks the status and throws {@link CudaException} with the
 * call, the error name and the driver's text.
 *
 * <p>Signatures and enum values are from CUDA 13.0's {@code cuda.h}. Where {@code cuda.h} maps a
 * name onto a versioned export ({@code #define cuMemAlloc cuMemAlloc_v2}) the wrapper binds the
 * versioned symbol, which every driver since CUDA 11 exports. Opaque handles ({@code CUcontext},
 * {@code CUstream}, ...) are {@link MemorySegment}s; {@code CUdeviceptr} is a {@code long}.
 */
public final class CudaDriver {
    private CudaDriver() {
    }

    /** The soname every NVIDIA driver installs. */
    public static final String LIBRARY = "libcuda.so.1";

    // cuda.h enum values used by fusedbert.
    /** {@code CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK} */
    public static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    /** {@code CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT} */
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR} */
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR} */
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    /** {@code CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN} */
    public static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    /** {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES} */
    public static final int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    /** {@code CU_STREAM_NON_BLOCKING}: no implicit synchronization with the legacy NULL stream. */
    public static final int CU_STREAM_NON_BLOCKING = 1;
    /** {@code CU_EVENT_DEFAULT} */
    public static final int CU_EVENT_DEFAULT = 0;
    /** {@code CU_EVENT_DISABLE_TIMING} */
    public static final int CU_EVENT_DISABLE_TIMING = 2;
    /** {@code CU_STREAM_CAPTURE_MODE_GLOBAL} */
    public static final int CU_STREAM_CAPTURE_MODE_GLOBAL = 0;
    /** {@code CU_STREAM_CAPTURE_MODE_THREAD_LOCAL}: only this thread's unsafe calls are refused while capturing. */
    public static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    /** {@code CU_STREAM_CAPTURE_MODE_RELAXED} */
    public static final int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    /** {@code CUDA_SUCCESS} */
    public static final int CUDA_SUCCESS = 0;
    /** {@code CUDA_ERROR_OUT_OF_MEMORY} */
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    /** {@code CUDA_ERROR_NOT_INITIALIZED} */
    public static final int CUDA_ERROR_NOT_INITIALIZED = 3;
    /** {@code CUDA_ERROR_STUB_LIBRARY}: the toolkit's link stub was loaded instead of a driver. */
    public static final int CUDA_ERROR_STUB_LIBRARY = 34;
    /** {@code CUDA_ERROR_NO_DEVICE} */
    public static final int CUDA_ERROR_NO_DEVICE = 100;
    /** {@code CUDA_ERROR_NOT_READY}: an asynchronous operation (an event's work) has not finished yet. */
    public static final int CUDA_ERROR_NOT_READY = 600;

    private static final class Lib {
        static final NativeLibrary CUDA = NativeLibrary.open(LIBRARY);
    }

    /** Whether {@code libcuda.so.1} could be opened (a driver is installed); says nothing about GPUs. */
    public static boolean isLoaded() {
        return Lib.CUDA.isLoaded();
    }

    /** Why {@code libcuda.so.1} could not be opened, or empty. */
    public static Optional<String> loadFailure() {
        return Lib.CUDA.failure();
    }

    static MethodHandle downcall(FunctionDescriptor descriptor, String... symbols) {
        return Lib.CUDA.downcall(descriptor, symbols);
    }

    /** Throws {@link CudaException} for a status other than {@code CUDA_SUCCESS}. */
    public static void check(String call, int status) {
        if (status != CUDA_SUCCESS) {
            String name = errorName(status);
            String text = errorString(status);
            throw new CudaException(call, status, name == null ? "CUresult " + status : name,
                    text == null ? "unknown error" : text);
        }
    }

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall threw a checked exception", t);
    }

    private static MemorySegment readAddress(MemorySegment out) {
        return out.get(ADDRESS, 0);
    }

    // ------------------------------------------------------------------ errors

    private static final class cuGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGetErrorName");
    }

    /** {@code cuGetErrorName}: the enum name of {@code status}, or null when the driver does not know it. */
    public static String errorName(int status) {
        return describe(cuGetErrorName.HANDLE, status);
    }

    private static final class cuGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGetErrorString");
    }

    /** {@code cuGetErrorString}: the driver's description of {@code status}, or null. */
    public static String errorString(int status) {
        return describe(cuGetErrorString.HANDLE, status);
    }

    private static String describe(MethodHandle handle, int status) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) handle.invokeExact(status, out);
            MemorySegment text = readAddress(out);
            return rc == CUDA_SUCCESS && !text.equals(MemorySegment.NULL)
                    ? text.reinterpret(Long.MAX_VALUE).getString(0) : null;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ initialization and devices

    private static final class cuInit {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuInit");
    }

    public static void cuInit(int flags) {
        try {
            check("cuInit", (int) cuInit.HANDLE.invokeExact(flags));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDriverGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuDriverGetVersion");
    }

    /** The CUDA version the driver supports, as 1000 * major + 10 * minor (13000 for 13.0). */
    public static int cuDriverGetVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDriverGetVersion", (int) cuDriverGetVersion.HANDLE.invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDeviceGetCount {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuDeviceGetCount");
    }

    public static int cuDeviceGetCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGetCount", (int) cuDeviceGetCount.HANDLE.invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDeviceGet {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDeviceGet");
    }

    /** The {@code CUdevice} handle (an int) of GPU number {@code ordinal}. */
    public static int cuDeviceGet(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGet", (int) cuDeviceGet.HANDLE.invokeExact(out, ordinal));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDeviceGetName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDeviceGetName");
    }

    public static String cuDeviceGetName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            int capacity = 256;
            MemorySegment out = arena.allocate(capacity);
            check("cuDeviceGetName", (int) cuDeviceGetName.HANDLE.invokeExact(out, capacity, device));
            return out.getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDeviceGetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDeviceGetAttribute");
    }

    /** One {@code CU_DEVICE_ATTRIBUTE_*} value of {@code device}. */
    public static int cuDeviceGetAttribute(int attribute, int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check("cuDeviceGetAttribute", (int) cuDeviceGetAttribute.HANDLE.invokeExact(out, attribute, device));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDeviceTotalMem {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDeviceTotalMem_v2");
    }

    public static long cuDeviceTotalMem(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check("cuDeviceTotalMem_v2", (int) cuDeviceTotalMem.HANDLE.invokeExact(out, device));
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ contexts

    private static final class cuDevicePrimaryCtxRetain {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDevicePrimaryCtxRetain");
    }

    /** Retains (creating on first use) the device's primary context, the one the CUDA runtime and cuBLASLt use. */
    public static MemorySegment cuDevicePrimaryCtxRetain(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", (int) cuDevicePrimaryCtxRetain.HANDLE.invokeExact(out, device));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuDevicePrimaryCtxRelease {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuDevicePrimaryCtxRelease_v2");
    }

    public static void cuDevicePrimaryCtxRelease(int device) {
        try {
            check("cuDevicePrimaryCtxRelease_v2", (int) cuDevicePrimaryCtxRelease.HANDLE.invokeExact(device));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuCtxSetCurrent {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuCtxSetCurrent");
    }

    public static void cuCtxSetCurrent(MemorySegment context) {
        try {
            check("cuCtxSetCurrent", (int) cuCtxSetCurrent.HANDLE.invokeExact(context));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ memory

    private static final class cuMemAlloc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemAlloc_v2");
    }

    /** {@code bytes} of device memory (uninitialized); returns the {@code CUdeviceptr}. */
    public static long cuMemAlloc(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check("cuMemAlloc_v2", (int) cuMemAlloc.HANDLE.invokeExact(out, bytes));
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemFree {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemFree_v2");
    }

    public static void cuMemFree(long pointer) {
        try {
            check("cuMemFree_v2", (int) cuMemFree.HANDLE.invokeExact(pointer));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemGetInfo {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemGetInfo_v2");
    }

    /** Free and total device memory of the current context's GPU, in bytes. */
    public static MemoryInfo cuMemGetInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            check("cuMemGetInfo_v2", (int) cuMemGetInfo.HANDLE.invokeExact(free, total));
            return new MemoryInfo(free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemAllocHost {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemAllocHost_v2");
    }

    /** {@code bytes} of page-locked host memory, as a segment of that size. */
    public static MemorySegment cuMemAllocHost(long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuMemAllocHost_v2", (int) cuMemAllocHost.HANDLE.invokeExact(out, bytes));
            return readAddress(out).reinterpret(bytes);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemFreeHost {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemFreeHost");
    }

    public static void cuMemFreeHost(MemorySegment pinned) {
        try {
            check("cuMemFreeHost", (int) cuMemFreeHost.HANDLE.invokeExact(pinned));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemcpyHtoDAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemcpyHtoDAsync_v2");
    }

    /** Host to device on {@code stream}. From pageable memory the driver stages the bytes before returning. */
    public static void cuMemcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyHtoDAsync_v2", (int) cuMemcpyHtoDAsync.HANDLE.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemcpyDtoHAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemcpyDtoHAsync_v2");
    }

    public static void cuMemcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoHAsync_v2", (int) cuMemcpyDtoHAsync.HANDLE.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemcpyDtoDAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemcpyDtoDAsync_v2");
    }

    public static void cuMemcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoDAsync_v2", (int) cuMemcpyDtoDAsync.HANDLE.invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemsetD32Async {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemsetD32Async");
    }

    /** Sets {@code count} 32-bit words at {@code dst} (4-byte aligned) to {@code pattern}. */
    public static void cuMemsetD32Async(long dst, int pattern, long count, MemorySegment stream) {
        try {
            check("cuMemsetD32Async", (int) cuMemsetD32Async.HANDLE.invokeExact(dst, pattern, count, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuMemsetD8Async {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuMemsetD8Async");
    }

    /** Sets {@code count} bytes at {@code dst} to {@code value}. */
    public static void cuMemsetD8Async(long dst, byte value, long count, MemorySegment stream) {
        try {
            check("cuMemsetD8Async", (int) cuMemsetD8Async.HANDLE.invokeExact(dst, value, count, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ streams and events

    private static final class cuStreamCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuStreamCreate");
    }

    public static MemorySegment cuStreamCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuStreamCreate", (int) cuStreamCreate.HANDLE.invokeExact(out, flags));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuStreamSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuStreamSynchronize");
    }

    public static void cuStreamSynchronize(MemorySegment stream) {
        try {
            check("cuStreamSynchronize", (int) cuStreamSynchronize.HANDLE.invokeExact(stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuStreamDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuStreamDestroy_v2");
    }

    public static void cuStreamDestroy(MemorySegment stream) {
        try {
            check("cuStreamDestroy_v2", (int) cuStreamDestroy.HANDLE.invokeExact(stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuEventCreate");
    }

    public static MemorySegment cuEventCreate(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuEventCreate", (int) cuEventCreate.HANDLE.invokeExact(out, flags));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventRecord {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuEventRecord");
    }

    public static void cuEventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check("cuEventRecord", (int) cuEventRecord.HANDLE.invokeExact(event, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventQuery {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuEventQuery");
    }

    /**
     * Whether the work recorded before {@code event} has finished, without waiting: true for
     * {@code CUDA_SUCCESS}, false for {@code CUDA_ERROR_NOT_READY}; any other status throws.
     */
    public static boolean cuEventQuery(MemorySegment event) {
        try {
            int status = (int) cuEventQuery.HANDLE.invokeExact(event);
            if (status == CUDA_ERROR_NOT_READY) {
                return false;
            }
            check("cuEventQuery", status);
            return true;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuEventSynchronize");
    }

    public static void cuEventSynchronize(MemorySegment event) {
        try {
            check("cuEventSynchronize", (int) cuEventSynchronize.HANDLE.invokeExact(event));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventElapsedTime {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        // CUDA 13's cuda.h maps the name to _v2; drivers before 12.8 export only the plain symbol.
        static final MethodHandle HANDLE = downcall(DESC, "cuEventElapsedTime_v2", "cuEventElapsedTime");
    }

    /** Milliseconds between two recorded, completed events. */
    public static float cuEventElapsedTime(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_FLOAT);
            check("cuEventElapsedTime", (int) cuEventElapsedTime.HANDLE.invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuEventDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuEventDestroy_v2");
    }

    public static void cuEventDestroy(MemorySegment event) {
        try {
            check("cuEventDestroy_v2", (int) cuEventDestroy.HANDLE.invokeExact(event));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ modules and launches

    private static final class cuModuleLoadData {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuModuleLoadData");
    }

    /** Loads a module from an image in host memory (a fatbin, cubin or PTX text). */
    public static MemorySegment cuModuleLoadData(MemorySegment image) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuModuleLoadData", (int) cuModuleLoadData.HANDLE.invokeExact(out, image));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuModuleUnload {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuModuleUnload");
    }

    public static void cuModuleUnload(MemorySegment module) {
        try {
            check("cuModuleUnload", (int) cuModuleUnload.HANDLE.invokeExact(module));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuModuleGetFunction {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuModuleGetFunction");
    }

    public static MemorySegment cuModuleGetFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuModuleGetFunction(" + name + ")",
                    (int) cuModuleGetFunction.HANDLE.invokeExact(out, module, arena.allocateFrom(name)));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuFuncSetAttribute {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuFuncSetAttribute");
    }

    public static void cuFuncSetAttribute(MemorySegment function, int attribute, int value) {
        try {
            check("cuFuncSetAttribute", (int) cuFuncSetAttribute.HANDLE.invokeExact(function, attribute, value));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuLaunchKernel {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuLaunchKernel");
    }

    /**
     * Launches {@code function} on {@code stream}; {@code kernelParams} is a {@code void**} with one
     * pointer per parameter value (the driver copies the values before returning).
     */
    public static void cuLaunchKernel(MemorySegment function, int gridX, int gridY, int gridZ,
                                      int blockX, int blockY, int blockZ, int sharedBytes,
                                      MemorySegment stream, MemorySegment kernelParams, MemorySegment extra) {
        try {
            check("cuLaunchKernel", (int) cuLaunchKernel.HANDLE.invokeExact(function, gridX, gridY, gridZ,
                    blockX, blockY, blockZ, sharedBytes, stream, kernelParams, extra));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ------------------------------------------------------------------ graphs

    private static final class cuStreamBeginCapture {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = downcall(DESC, "cuStreamBeginCapture_v2");
    }

    public static void cuStreamBeginCapture(MemorySegment stream, int mode) {
        try {
            check("cuStreamBeginCapture_v2", (int) cuStreamBeginCapture.HANDLE.invokeExact(stream, mode));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuStreamEndCapture {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuStreamEndCapture");
    }

    /** Ends capture and returns the captured graph. */
    public static MemorySegment cuStreamEndCapture(MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuStreamEndCapture", (int) cuStreamEndCapture.HANDLE.invokeExact(stream, out));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Ends a capture that is being abandoned (its body threw): returns the graph, possibly NULL,
     * without throwing, so the body's own exception is the one that propagates.
     */
    public static MemorySegment cuStreamEndCaptureQuietly(MemorySegment stream) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = (int) cuStreamEndCapture.HANDLE.invokeExact(stream, out);
            return rc == CUDA_SUCCESS ? readAddress(out) : MemorySegment.NULL;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuGraphInstantiateWithFlags {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
        static final MethodHandle HANDLE = downcall(DESC, "cuGraphInstantiateWithFlags");
    }

    public static MemorySegment cuGraphInstantiateWithFlags(MemorySegment graph, long flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuGraphInstantiateWithFlags", (int) cuGraphInstantiateWithFlags.HANDLE.invokeExact(out, graph, flags));
            return readAddress(out);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuGraphGetNodes {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGraphGetNodes");
    }

    /** The number of nodes in {@code graph} (nodes array NULL: the driver returns only the count). */
    public static long cuGraphGetNodeCount(MemorySegment graph) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_LONG);
            check("cuGraphGetNodes", (int) cuGraphGetNodes.HANDLE.invokeExact(graph, MemorySegment.NULL, count));
            return count.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuGraphLaunch {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGraphLaunch");
    }

    public static void cuGraphLaunch(MemorySegment graphExec, MemorySegment stream) {
        try {
            check("cuGraphLaunch", (int) cuGraphLaunch.HANDLE.invokeExact(graphExec, stream));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuGraphExecDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGraphExecDestroy");
    }

    public static void cuGraphExecDestroy(MemorySegment graphExec) {
        try {
            check("cuGraphExecDestroy", (int) cuGraphExecDestroy.HANDLE.invokeExact(graphExec));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final class cuGraphDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = downcall(DESC, "cuGraphDestroy");
    }

    public static void cuGraphDestroy(MemorySegment graph) {
        try {
            check("cuGraphDestroy", (int) cuGraphDestroy.HANDLE.invokeExact(graph));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Free and total bytes of device memory. */
    public record MemoryInfo(long free, long total) {
        public long used() {
            return total - free;
        }
    }
}
