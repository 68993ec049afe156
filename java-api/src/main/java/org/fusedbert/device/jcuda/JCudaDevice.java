package org.fusedbert.device.jcuda;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.cuda.CudaDriver;
import org.fusedbert.device.cuda.CudaException;
import org.fusedbert.device.cuda.Fatbin;
import org.fusedbert.device.cuda.GpuAvailability;
import org.fusedbert.device.cuda.GpuDevice;

/**
 * A GPU through JCuda's driver binding (org.jcuda:jcuda, whose native library needs only
 * {@code libcuda.so.1}): the same primary context, stream discipline and fatbin as
 * {@link org.fusedbert.device.cuda.CudaDevice}, and the same FFM cuBLASLt binding for GEMMs (JCublas
 * needs {@code libcublas.so.12}, which CUDA 13 systems lack). Kernel arguments go to
 * {@code cuLaunchKernel} as the very {@code void**} block {@link org.fusedbert.device.KernelArgs}
 * packs; device pointers cross between the bindings through {@link JCudaPointers}.
 */
public final class JCudaDevice extends GpuDevice<CUfunction, CUevent> {
    private final CUdevice device = new CUdevice();
    private CUcontext context;
    private JCudaPointers.StreamHandle stream;
    private CUmodule module;
    private final Map<Long, JCudaPointers.HostPointer> pinned = new HashMap<>();
    private final String description;

    /** Opens GPU 0 with TF32 GEMMs. */
    public static JCudaDevice open() {
        return open(0, GemmPrecision.TF32);
    }

    /**
     * Opens GPU {@code ordinal}.
     *
     * @throws IllegalStateException when there is no driver, no GPU, no cuBLASLt, no fatbin or no
     *                               loadable JCuda native library (one line saying which)
     */
    public static JCudaDevice open(int ordinal, GemmPrecision precision) {
        unavailableReason().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        return new JCudaDevice(ordinal, precision, Fatbin.require());
    }

    private static final class NativeProbe {
        static final Optional<String> REASON = probe();

        private static Optional<String> probe() {
            try {
                JCudaDriver.setExceptionsEnabled(false);
                return Optional.empty();
            } catch (LinkageError e) {
                return Optional.of("JCuda's native driver library did not load (" + e + ")");
            }
        }
    }

    /** Why a {@code JCudaDevice} cannot open here, or empty: the GPU reasons first, then JCuda's natives. */
    public static Optional<String> unavailableReason() {
        Optional<String> gpu = GpuAvailability.cudaUnavailableReason();
        return gpu.isPresent() ? gpu : NativeProbe.REASON;
    }

    private JCudaDevice(int ordinal, GemmPrecision precision, byte[] fatbin) {
        check("cuInit", JCudaDriver.cuInit(0));
        int[] count = new int[1];
        check("cuDeviceGetCount", JCudaDriver.cuDeviceGetCount(count));
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new IllegalArgumentException("JCudaDevice: ordinal expected in [0, " + (count[0] - 1) + "] but was " + ordinal);
        }
        check("cuDeviceGet", JCudaDriver.cuDeviceGet(device, ordinal));
        try {
            CUcontext ctx = new CUcontext();
            check("cuDevicePrimaryCtxRetain", JCudaDriver.cuDevicePrimaryCtxRetain(ctx, device));
            context = ctx;
            check("cuCtxSetCurrent", JCudaDriver.cuCtxSetCurrent(context));
            JCudaPointers.StreamHandle s = new JCudaPointers.StreamHandle();
            check("cuStreamCreate", JCudaDriver.cuStreamCreate(s, CudaDriver.CU_STREAM_NON_BLOCKING));
            stream = s;
            CUmodule m = new CUmodule();
            check("cuModuleLoadData", JCudaDriver.cuModuleLoadData(m, fatbin));
            module = m;
            int major = attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            int minor = attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            int sms = attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            int optIn = attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            byte[] name = new byte[256];
            check("cuDeviceGetName", JCudaDriver.cuDeviceGetName(name, name.length, device));
            long[] total = new long[1];
            check("cuDeviceTotalMem", JCudaDriver.cuDeviceTotalMem(total, device));
            int[] version = new int[1];
            check("cuDriverGetVersion", JCudaDriver.cuDriverGetVersion(version));
            description = GpuAvailability.describe(cString(name), major, minor, sms, total[0], version[0]) + ", JCuda";
            initialize(sms, optIn, precision);
        } catch (RuntimeException e) {
            throw closeAfterFailedOpen(e);
        } catch (Error e) {
            throw closeAfterFailedOpen(e);
        }
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    private int attribute(int attribute) {
        int[] value = new int[1];
        check("cuDeviceGetAttribute", JCudaDriver.cuDeviceGetAttribute(value, attribute, device));
        return value[0];
    }

    /** Throws {@link CudaException} (the same as the FFM device's) for a failed JCuda call. */
    static void check(String call, int status) {
        if (status != CudaDriver.CUDA_SUCCESS) {
            String[] name = new String[1];
            String[] text = new String[1];
            JCudaDriver.cuGetErrorName(status, name);
            JCudaDriver.cuGetErrorString(status, text);
            throw new CudaException(call, status, name[0] == null ? "CUresult " + status : name[0],
                    text[0] == null ? "unknown error" : text[0]);
        }
    }

    @Override
    public String name() {
        return "jcuda";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    protected void makeCurrent() {
        check("cuCtxSetCurrent", JCudaDriver.cuCtxSetCurrent(context));
    }

    @Override
    protected long memAlloc(long bytes) {
        JCudaPointers.DevicePointer p = new JCudaPointers.DevicePointer();
        check("cuMemAlloc", JCudaDriver.cuMemAlloc(p, bytes));
        return p.address();
    }

    @Override
    protected void memFree(long pointer) {
        check("cuMemFree", JCudaDriver.cuMemFree(JCudaPointers.device(pointer)));
    }

    @Override
    protected void memsetD8(long pointer, byte value, long count) {
        check("cuMemsetD8Async", JCudaDriver.cuMemsetD8Async(JCudaPointers.device(pointer), value, count, stream));
    }

    @Override
    protected void memsetD32(long pointer, int pattern, long count) {
        check("cuMemsetD32Async", JCudaDriver.cuMemsetD32Async(JCudaPointers.device(pointer), pattern, count, stream));
    }

    @Override
    protected void copyHtoD(long dst, MemorySegment nativeSrc, long bytes) {
        check("cuMemcpyHtoDAsync", JCudaDriver.cuMemcpyHtoDAsync(JCudaPointers.device(dst),
                JCudaPointers.host(nativeSrc), bytes, stream));
    }

    @Override
    protected void copyDtoH(MemorySegment nativeDst, long src, long bytes) {
        check("cuMemcpyDtoHAsync", JCudaDriver.cuMemcpyDtoHAsync(JCudaPointers.host(nativeDst),
                JCudaPointers.device(src), bytes, stream));
    }

    @Override
    protected void copyDtoD(long dst, long src, long bytes) {
        check("cuMemcpyDtoDAsync", JCudaDriver.cuMemcpyDtoDAsync(JCudaPointers.device(dst),
                JCudaPointers.device(src), bytes, stream));
    }

    @Override
    protected void streamSynchronize() {
        check("cuStreamSynchronize", JCudaDriver.cuStreamSynchronize(stream));
    }

    @Override
    protected MemorySegment streamHandle() {
        return MemorySegment.ofAddress(stream.address());
    }

    @Override
    protected CUfunction loadFunction(String name) {
        CUfunction f = new CUfunction();
        check("cuModuleGetFunction(" + name + ")", JCudaDriver.cuModuleGetFunction(f, module, name));
        return f;
    }

    @Override
    protected void setMaxDynamicShared(CUfunction function, int bytes) {
        check("cuFuncSetAttribute", JCudaDriver.cuFuncSetAttribute(function,
                CudaDriver.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes));
    }

    @Override
    protected void launchFunction(CUfunction function, Dim3 grid, Dim3 block, int sharedBytes, MemorySegment params) {
        check("cuLaunchKernel", JCudaDriver.cuLaunchKernel(function, grid.x(), grid.y(), grid.z(),
                block.x(), block.y(), block.z(), sharedBytes, stream, JCudaPointers.hostAddress(params.address()), null));
    }

    @Override
    protected void beginCapture() {
        check("cuStreamBeginCapture", JCudaDriver.cuStreamBeginCapture(stream, CudaDriver.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
    }

    @Override
    protected CapturedGraph endCapture() {
        JCudaPointers.GraphHandle graph = new JCudaPointers.GraphHandle();
        check("cuStreamEndCapture", JCudaDriver.cuStreamEndCapture(stream, graph));
        CUgraphExec exec = new CUgraphExec();
        int nodeCount;
        try {
            nodeCount = Math.toIntExact(CudaDriver.cuGraphGetNodeCount(MemorySegment.ofAddress(graph.address())));
            check("cuGraphInstantiate", JCudaDriver.cuGraphInstantiate(exec, graph, 0));
        } catch (RuntimeException e) {
            JCudaDriver.cuGraphDestroy(graph);
            throw e;
        }
        return new CapturedGraph() {
            @Override
            public void launch() {
                check("cuGraphLaunch", JCudaDriver.cuGraphLaunch(exec, stream));
            }

            @Override
            public int nodeCount() {
                return nodeCount;
            }

            @Override
            public void destroy() {
                check("cuGraphExecDestroy", JCudaDriver.cuGraphExecDestroy(exec));
                check("cuGraphDestroy", JCudaDriver.cuGraphDestroy(graph));
            }
        };
    }

    @Override
    protected void abandonCapture() {
        CUgraph graph = new CUgraph();
        if (JCudaDriver.cuStreamEndCapture(stream, graph) == CudaDriver.CUDA_SUCCESS) {
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    @Override
    protected MemorySegment pinnedAlloc(long bytes) {
        JCudaPointers.HostPointer p = JCudaPointers.hostAddress(0);
        check("cuMemAllocHost", JCudaDriver.cuMemAllocHost(p, bytes));
        long address = p.address();
        pinned.put(address, p);
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    protected void pinnedFree(MemorySegment segment) {
        JCudaPointers.HostPointer p = pinned.remove(segment.address());
        if (p == null) {
            throw new IllegalArgumentException("pinnedFree: segment expected pinned memory of this device but was 0x"
                    + Long.toHexString(segment.address()));
        }
        check("cuMemFreeHost", JCudaDriver.cuMemFreeHost(p));
    }

    @Override
    protected CUevent eventCreate(boolean timing) {
        CUevent e = new CUevent();
        check("cuEventCreate", JCudaDriver.cuEventCreate(e,
                timing ? CudaDriver.CU_EVENT_DEFAULT : CudaDriver.CU_EVENT_DISABLE_TIMING));
        return e;
    }

    @Override
    protected void eventRecord(CUevent event) {
        check("cuEventRecord", JCudaDriver.cuEventRecord(event, stream));
    }

    @Override
    protected void eventSynchronize(CUevent event) {
        check("cuEventSynchronize", JCudaDriver.cuEventSynchronize(event));
    }

    @Override
    protected boolean eventQuery(CUevent event) {
        int status = JCudaDriver.cuEventQuery(event);
        if (status == CudaDriver.CUDA_ERROR_NOT_READY) {
            return false;
        }
        check("cuEventQuery", status);
        return true;
    }

    @Override
    protected float eventElapsedMillis(CUevent start, CUevent end) {
        float[] ms = new float[1];
        check("cuEventElapsedTime", JCudaDriver.cuEventElapsedTime(ms, start, end));
        return ms[0];
    }

    @Override
    protected void eventDestroy(CUevent event) {
        check("cuEventDestroy", JCudaDriver.cuEventDestroy(event));
    }

    @Override
    protected CudaDriver.MemoryInfo memInfo() {
        long[] free = new long[1];
        long[] total = new long[1];
        check("cuMemGetInfo", JCudaDriver.cuMemGetInfo(free, total));
        return new CudaDriver.MemoryInfo(free[0], total[0]);
    }

    @Override
    protected void releaseDriverResources() {
        if (module != null) {
            CUmodule m = module;
            module = null;
            check("cuModuleUnload", JCudaDriver.cuModuleUnload(m));
        }
        if (stream != null) {
            JCudaPointers.StreamHandle s = stream;
            stream = null;
            check("cuStreamDestroy", JCudaDriver.cuStreamDestroy(s));
        }
        if (context != null) {
            context = null;
            check("cuDevicePrimaryCtxRelease", JCudaDriver.cuDevicePrimaryCtxRelease(device));
        }
    }
}
