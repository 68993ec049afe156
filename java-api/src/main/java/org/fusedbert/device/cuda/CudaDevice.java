package org.fusedbert.device.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmPrecision;

/**
 * A GPU through FFM: the CUDA driver API ({@link CudaDriver}) on the device's primary context, one
 * non-blocking stream, the kernels' fatbin loaded as one module, and cuBLASLt ({@link CublasLt})
 * for GEMMs. Graphs come from stream capture.
 */
public final class CudaDevice extends GpuDevice<MemorySegment, MemorySegment> {
    private final int ordinal;
    private final int device;
    private MemorySegment context = MemorySegment.NULL;
    private MemorySegment stream = MemorySegment.NULL;
    private MemorySegment module = MemorySegment.NULL;
    private final String description;
    private final int computeCapability;

    /** Opens GPU 0 with TF32 GEMMs. */
    public static CudaDevice open() {
        return open(0, GemmPrecision.TF32);
    }

    /**
     * Opens GPU {@code ordinal}.
     *
     * @throws IllegalStateException when there is no driver, no such GPU, no cuBLASLt or no fatbin
     *                               (one line saying which)
     */
    public static CudaDevice open(int ordinal, GemmPrecision precision) {
        GpuAvailability.requireCuda();
        return new CudaDevice(ordinal, precision, Fatbin.require());
    }

    private CudaDevice(int ordinal, GemmPrecision precision, byte[] fatbin) {
        this.ordinal = ordinal;
        CudaDriver.cuInit(0);
        int count = CudaDriver.cuDeviceGetCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("CudaDevice: ordinal expected in [0, " + (count - 1) + "] but was " + ordinal);
        }
        this.device = CudaDriver.cuDeviceGet(ordinal);
        try {
            context = CudaDriver.cuDevicePrimaryCtxRetain(device);
            CudaDriver.cuCtxSetCurrent(context);
            stream = CudaDriver.cuStreamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment image = arena.allocate(fatbin.length + 1L, 16);
                MemorySegment.copy(fatbin, 0, image, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, fatbin.length);
                module = CudaDriver.cuModuleLoadData(image);
            }
            int major = CudaDriver.cuDeviceGetAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
            int minor = CudaDriver.cuDeviceGetAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
            computeCapability = 10 * major + minor;
            int sms = CudaDriver.cuDeviceGetAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
            int optIn = CudaDriver.cuDeviceGetAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device);
            description = GpuAvailability.describe(CudaDriver.cuDeviceGetName(device), major, minor, sms,
                    CudaDriver.cuDeviceTotalMem(device), CudaDriver.cuDriverGetVersion()) + ", FFM";
            initialize(sms, optIn, precision);
        } catch (RuntimeException e) {
            throw closeAfterFailedOpen(e);
        } catch (Error e) {
            throw closeAfterFailedOpen(e);
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return description;
    }

    /** Compute capability as 10 * major + minor (90 for an H100). */
    public int computeCapability() {
        return computeCapability;
    }

    /** The GPU's ordinal. */
    public int ordinal() {
        return ordinal;
    }

    @Override
    protected void makeCurrent() {
        CudaDriver.cuCtxSetCurrent(context);
    }

    @Override
    protected long memAlloc(long bytes) {
        return CudaDriver.cuMemAlloc(bytes);
    }

    @Override
    protected void memFree(long pointer) {
        CudaDriver.cuMemFree(pointer);
    }

    @Override
    protected void memsetD8(long pointer, byte value, long count) {
        CudaDriver.cuMemsetD8Async(pointer, value, count, stream);
    }

    @Override
    protected void memsetD32(long pointer, int pattern, long count) {
        CudaDriver.cuMemsetD32Async(pointer, pattern, count, stream);
    }

    @Override
    protected void copyHtoD(long dst, MemorySegment nativeSrc, long bytes) {
        CudaDriver.cuMemcpyHtoDAsync(dst, nativeSrc, bytes, stream);
    }

    @Override
    protected void copyDtoH(MemorySegment nativeDst, long src, long bytes) {
        CudaDriver.cuMemcpyDtoHAsync(nativeDst, src, bytes, stream);
    }

    @Override
    protected void copyDtoD(long dst, long src, long bytes) {
        CudaDriver.cuMemcpyDtoDAsync(dst, src, bytes, stream);
    }

    @Override
    protected void streamSynchronize() {
        CudaDriver.cuStreamSynchronize(stream);
    }

    @Override
    protected MemorySegment streamHandle() {
        return stream;
    }

    @Override
    protected MemorySegment loadFunction(String name) {
        return CudaDriver.cuModuleGetFunction(module, name);
    }

    @Override
    protected void setMaxDynamicShared(MemorySegment function, int bytes) {
        CudaDriver.cuFuncSetAttribute(function, CudaDriver.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    @Override
    protected void launchFunction(MemorySegment function, Dim3 grid, Dim3 block, int sharedBytes, MemorySegment params) {
        CudaDriver.cuLaunchKernel(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                sharedBytes, stream, params, MemorySegment.NULL);
    }

    @Override
    protected void beginCapture() {
        CudaDriver.cuStreamBeginCapture(stream, CudaDriver.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    }

    @Override
    protected CapturedGraph endCapture() {
        MemorySegment graph = CudaDriver.cuStreamEndCapture(stream);
        MemorySegment exec;
        int nodes;
        try {
            nodes = Math.toIntExact(CudaDriver.cuGraphGetNodeCount(graph));
            exec = CudaDriver.cuGraphInstantiateWithFlags(graph, 0);
        } catch (RuntimeException e) {
            CudaDriver.cuGraphDestroy(graph);
            throw e;
        }
        return new CapturedGraph() {
            @Override
            public void launch() {
                CudaDriver.cuGraphLaunch(exec, stream);
            }

            @Override
            public int nodeCount() {
                return nodes;
            }

            @Override
            public void destroy() {
                CudaDriver.cuGraphExecDestroy(exec);
                CudaDriver.cuGraphDestroy(graph);
            }
        };
    }

    @Override
    protected void abandonCapture() {
        MemorySegment graph = CudaDriver.cuStreamEndCaptureQuietly(stream);
        if (!graph.equals(MemorySegment.NULL)) {
            CudaDriver.cuGraphDestroy(graph);
        }
    }

    @Override
    protected MemorySegment pinnedAlloc(long bytes) {
        return CudaDriver.cuMemAllocHost(bytes);
    }

    @Override
    protected void pinnedFree(MemorySegment pinned) {
        CudaDriver.cuMemFreeHost(pinned);
    }

    @Override
    protected MemorySegment eventCreate(boolean timing) {
        return CudaDriver.cuEventCreate(timing ? CudaDriver.CU_EVENT_DEFAULT : CudaDriver.CU_EVENT_DISABLE_TIMING);
    }

    @Override
    protected void eventRecord(MemorySegment event) {
        CudaDriver.cuEventRecord(event, stream);
    }

    @Override
    protected void eventSynchronize(MemorySegment event) {
        CudaDriver.cuEventSynchronize(event);
    }

    @Override
    protected boolean eventQuery(MemorySegment event) {
        return CudaDriver.cuEventQuery(event);
    }

    @Override
    protected float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        return CudaDriver.cuEventElapsedTime(start, end);
    }

    @Override
    protected void eventDestroy(MemorySegment event) {
        CudaDriver.cuEventDestroy(event);
    }

    @Override
    protected CudaDriver.MemoryInfo memInfo() {
        return CudaDriver.cuMemGetInfo();
    }

    @Override
    protected void releaseDriverResources() {
        if (!module.equals(MemorySegment.NULL)) {
            CudaDriver.cuModuleUnload(module);
            module = MemorySegment.NULL;
        }
        if (!stream.equals(MemorySegment.NULL)) {
            CudaDriver.cuStreamDestroy(stream);
            stream = MemorySegment.NULL;
        }
        if (!context.equals(MemorySegment.NULL)) {
            context = MemorySegment.NULL;
            CudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }
}
