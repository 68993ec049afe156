package org.fusedbert.device.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fusedbert.api.Storage;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceEvent;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.GemmSpec;
import org.fusedbert.device.KernelArgs;
import org.fusedbert.device.PinnedBuffer;

/**
 * The part of a GPU {@link Device} that does not depend on the binding: memory bookkeeping,
 * pinned staging for heap segments, the kernel-function cache and its shared-memory opt-in, graph
 * capture bookkeeping, pinned buffers and the events that mark asynchronous reads into them, GEMMs
 * through {@link CublasLtGemm}, and timing. {@link CudaDevice} (FFM) and
 * {@code JCudaDevice} (JCuda) supply the driver calls, so both run exactly the same logic.
 *
 * <p>One stream carries all work. Not thread-safe: use a device from one thread at a time (the
 * primary context is made current on whichever thread calls).
 *
 * @param <F> the binding's kernel-function handle
 * @param <E> the binding's event handle
 */
public abstract class GpuDevice<F, E> implements Device {
    /** cuBLASLt workspace: 32 MiB, what NVIDIA recommends for Hopper (and more than enough before it). */
    public static final long GEMM_WORKSPACE_BYTES = 32L << 20;
    /** Pinned staging for copies from and to Java heap memory, which the driver cannot address. */
    static final long STAGING_BYTES = 4L << 20;
    /** Dynamic shared memory every kernel may use without opting in. */
    static final int DEFAULT_DYNAMIC_SHARED_LIMIT = 48 * 1024;

    private final Map<String, KernelFunction<F>> functions = new HashMap<>();
    private final Set<DeviceMemory> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<GpuGraph> graphs = new ArrayList<>();
    private final Set<GpuPinned> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<GpuEvent> eventsOut = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Events handed back by closed {@link GpuEvent}s, recorded again by the next read: none is created once warm. */
    private final ArrayDeque<E> idleEvents = new ArrayDeque<>();
    private CublasLtGemm gemm;
    private long gemmWorkspace;
    private MemorySegment staging;
    private boolean stagingInFlight;
    private boolean capturing;
    private boolean closed;
    private Thread boundThread;
    private int sharedOptInLimit = DEFAULT_DYNAMIC_SHARED_LIMIT;
    private int multiprocessors = 1;
    private long hostWaits;

    protected GpuDevice() {
    }

    // ------------------------------------------------------------------ what a binding supplies

    /** Makes the device's context current on the calling thread. */
    protected abstract void makeCurrent();

    protected abstract long memAlloc(long bytes);

    protected abstract void memFree(long pointer);

    protected abstract void memsetD8(long pointer, byte value, long count);

    protected abstract void memsetD32(long pointer, int pattern, long count);

    /** Asynchronous host-to-device copy on the stream from native host memory. */
    protected abstract void copyHtoD(long dst, MemorySegment nativeSrc, long bytes);

    /** Asynchronous device-to-host copy on the stream into native host memory. */
    protected abstract void copyDtoH(MemorySegment nativeDst, long src, long bytes);

    protected abstract void copyDtoD(long dst, long src, long bytes);

    protected abstract void streamSynchronize();

    /** The stream as a {@code CUstream} value, for cuBLASLt. */
    protected abstract MemorySegment streamHandle();

    protected abstract F loadFunction(String name);

    protected abstract void setMaxDynamicShared(F function, int bytes);

    protected abstract void launchFunction(F function, Dim3 grid, Dim3 block, int sharedBytes, MemorySegment params);

    protected abstract void beginCapture();

    /** Ends the capture and instantiates the graph. */
    protected abstract CapturedGraph endCapture();

    /** Ends a capture whose body failed, discarding whatever was captured, without throwing. */
    protected abstract void abandonCapture();

    protected abstract MemorySegment pinnedAlloc(long bytes);

    protected abstract void pinnedFree(MemorySegment pinned);

    /** A new event; {@code timing} for {@link #elapsedMillis}, without for completion marks (cheaper to record). */
    protected abstract E eventCreate(boolean timing);

    protected abstract void eventRecord(E event);

    protected abstract void eventSynchronize(E event);

    /**
     * {@code cuEventQuery}: true when the work before the event has finished ({@code CUDA_SUCCESS}),
     * false while it has not ({@code CUDA_ERROR_NOT_READY}); any other status throws {@link CudaException}.
     */
    protected abstract boolean eventQuery(E event);

    protected abstract float eventElapsedMillis(E start, E end);

    protected abstract void eventDestroy(E event);

    protected abstract CudaDriver.MemoryInfo memInfo();

    /** Unloads the module, destroys the stream and releases the context, each only if it was made. */
    protected abstract void releaseDriverResources();

    /** An instantiated graph as the binding holds it. */
    protected interface CapturedGraph {
        void launch();

        int nodeCount();

        void destroy();
    }

    // ------------------------------------------------------------------ set-up

    /**
     * Second half of construction, once the binding has a context, a stream and the module:
     * the GEMM workspace and handle, and the pinned staging buffer.
     *
     * @param multiprocessors  the device's number of streaming multiprocessors
     * @param sharedOptInLimit the device's opt-in maximum of dynamic shared memory per block
     */
    protected final void initialize(int multiprocessors, int sharedOptInLimit, GemmPrecision precision) {
        this.multiprocessors = multiprocessors;
        this.sharedOptInLimit = sharedOptInLimit;
        this.boundThread = Thread.currentThread();
        this.gemmWorkspace = memAlloc(GEMM_WORKSPACE_BYTES);
        this.gemm = new CublasLtGemm(gemmWorkspace, GEMM_WORKSPACE_BYTES, precision);
        this.staging = pinnedAlloc(STAGING_BYTES);
    }

    /**
     * For a constructor that failed half way: releases what was made, keeping {@code failure} as
     * the exception to report, and returns it for rethrowing.
     */
    protected final <T extends Throwable> T closeAfterFailedOpen(T failure) {
        try {
            close();
        } catch (RuntimeException suppressed) {
            failure.addSuppressed(suppressed);
        }
        return failure;
    }

    private void enter(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": device " + name() + " is closed");
        }
        Thread t = Thread.currentThread();
        if (t != boundThread) {
            makeCurrent();
            boundThread = t;
        }
    }

    private void notCapturing(String op, String why) {
        if (capturing) {
            throw new IllegalStateException(op + ": not allowed while capturing a graph (" + why + ")");
        }
    }

    // ------------------------------------------------------------------ Device

    @Override
    public int multiprocessorCount() {
        return multiprocessors;
    }

    @Override
    public Storage allocate(long bytes) {
        enter("allocate");
        notCapturing("allocate", "allocate before capture; a graph replays no allocations");
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: bytes expected >= 0 but was " + bytes);
        }
        if (bytes == 0) {
            return new DeviceMemory(0, 0, m -> { });
        }
        long pointer = memAlloc(bytes);
        try {
            memsetD8(pointer, (byte) 0, bytes);
        } catch (RuntimeException e) {
            memFree(pointer);
            throw e;
        }
        DeviceMemory memory = new DeviceMemory(pointer, bytes, this::free);
        live.add(memory);
        return memory;
    }

    private void free(DeviceMemory memory) {
        if (live.remove(memory) && !closed) {
            enter("release");
            memFree(memory.address());
        }
    }

    @Override
    public void copyHostToDevice(MemorySegment src, long dstPointer, long bytes) {
        enter("copyHostToDevice");
        checkHostRange("copyHostToDevice", "src", src, bytes);
        if (bytes == 0) {
            return;
        }
        if (src.isNative()) {
            copyHtoD(dstPointer, src, bytes);
            return;
        }
        notCapturing("copyHostToDevice", "Java heap memory cannot be captured; copy from native or pinned memory");
        for (long done = 0; done < bytes; done += STAGING_BYTES) {
            long chunk = Math.min(STAGING_BYTES, bytes - done);
            awaitStaging();
            MemorySegment.copy(src, done, staging, 0, chunk);
            copyHtoD(dstPointer + done, staging.asSlice(0, chunk), chunk);
            stagingInFlight = true;
        }
    }

    @Override
    public void copyDeviceToHost(long srcPointer, MemorySegment dst, long bytes) {
        enter("copyDeviceToHost");
        checkHostRange("copyDeviceToHost", "dst", dst, bytes);
        if (bytes == 0) {
            return;
        }
        if (dst.isNative()) {
            copyDtoH(dst, srcPointer, bytes);
            if (!capturing) {
                waitForStream();
            }
            return;
        }
        notCapturing("copyDeviceToHost", "Java heap memory cannot be captured; copy into pinned memory");
        for (long done = 0; done < bytes; done += STAGING_BYTES) {
            long chunk = Math.min(STAGING_BYTES, bytes - done);
            copyDtoH(staging.asSlice(0, chunk), srcPointer + done, chunk);
            waitForStream();
            stagingInFlight = false;
            MemorySegment.copy(staging, 0, dst, done, chunk);
        }
    }

    private void awaitStaging() {
        if (stagingInFlight) {
            waitForStream();
            stagingInFlight = false;
        }
    }

    /** Every host wait for the stream goes through here, so that tests can count them. */
    private void waitForStream() {
        hostWaits++;
        streamSynchronize();
    }

    private static void checkHostRange(String op, String arg, MemorySegment host, long bytes) {
        Objects.requireNonNull(host, arg);
        if (bytes < 0 || bytes > host.byteSize()) {
            throw new IllegalArgumentException(op + ": bytes expected in [0, " + host.byteSize() + "] (the size of "
                    + arg + ") but was " + bytes);
        }
    }

    @Override
    public void copyDeviceToDevice(long srcPointer, long dstPointer, long bytes) {
        enter("copyDeviceToDevice");
        if (bytes < 0) {
            throw new IllegalArgumentException("copyDeviceToDevice: bytes expected >= 0 but was " + bytes);
        }
        if (bytes > 0) {
            copyDtoD(dstPointer, srcPointer, bytes);
        }
    }

    @Override
    public void fill32(long pointer, int pattern, long count) {
        enter("fill32");
        if (count < 0) {
            throw new IllegalArgumentException("fill32: count expected >= 0 but was " + count);
        }
        if ((pointer & 3) != 0) {
            throw new IllegalArgumentException("fill32: pointer expected 4-byte aligned but was 0x" + Long.toHexString(pointer));
        }
        if (count > 0) {
            memsetD32(pointer, pattern, count);
        }
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        enter("launch");
        KernelFunction<F> f = functions.get(kernel);
        if (f == null) {
            f = new KernelFunction<>(loadFunction(kernel));
            functions.put(kernel, f);
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("launch(" + kernel + "): sharedBytes expected >= 0 but was " + sharedBytes);
        }
        if (sharedBytes > DEFAULT_DYNAMIC_SHARED_LIMIT && sharedBytes > f.dynamicSharedLimit) {
            if (sharedBytes > sharedOptInLimit) {
                throw new IllegalArgumentException("launch(" + kernel + "): sharedBytes expected <= " + sharedOptInLimit
                        + " (this GPU's opt-in limit) but was " + sharedBytes);
            }
            // Above 48 KiB a kernel must opt in, once per function, before the launch that needs it.
            setMaxDynamicShared(f.handle, sharedBytes);
            f.dynamicSharedLimit = sharedBytes;
        }
        launchFunction(f.handle, grid, block, sharedBytes, args.pointerArray());
    }

    @Override
    public void gemm(GemmSpec spec) {
        enter("gemm");
        gemm.run(spec, streamHandle());
    }

    @Override
    public void synchronize() {
        enter("synchronize");
        notCapturing("synchronize", "a captured stream cannot be waited on");
        waitForStream();
        stagingInFlight = false;
    }

    @Override
    public DeviceGraph capture(Runnable body) {
        enter("capture");
        notCapturing("capture", "captures do not nest");
        // No wait for a staged copy still in flight: the graph records only what is issued from here,
        // and heap copies (the staging buffer's users) are refused inside it.
        beginCapture();
        capturing = true;
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            capturing = false;
            abandonCapture();
            throw e;
        }
        capturing = false;
        GpuGraph graph = new GpuGraph(endCapture());
        graphs.add(graph);
        return graph;
    }

    /** Whether a capture is in progress (work is being recorded, not run). */
    public boolean isCapturing() {
        return capturing;
    }

    // ------------------------------------------------------------------ beyond Device

    /** How GEMMs (and the kernels that follow their precision) compute now. */
    @Override
    public GemmPrecision gemmPrecision() {
        return gemm.precision();
    }

    /** How GEMMs are computed from now on (plans for each precision are kept). */
    public void gemmPrecision(GemmPrecision precision) {
        gemm.precision(precision);
    }

    /** Free and total memory of the GPU (all processes), in bytes. */
    public CudaDriver.MemoryInfo memoryInfo() {
        enter("memoryInfo");
        return memInfo();
    }

    /** Device allocations made by {@link #allocate} and not yet released. */
    public int liveAllocations() {
        return live.size();
    }

    /**
     * How often the host has waited for the stream so far ({@code cuStreamSynchronize}: synchronize,
     * blocking copies, reuse of the staging buffer; and {@link #elapsedMillis}); tests check that
     * an epoch adds none.
     */
    public long hostWaits() {
        return hostWaits;
    }

    /** Distinct GEMM shapes planned so far. */
    public int gemmPlanCount() {
        return gemm.planCount();
    }

    /** Page-locked host memory of {@code bytes}, for asynchronous copies (for example a loss read back every N steps). */
    @Override
    public PinnedBuffer allocatePinned(long bytes) {
        enter("allocatePinned");
        notCapturing("allocatePinned", "allocate before capture; a graph replays no allocations");
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocatePinned: bytes expected > 0 but was " + bytes);
        }
        GpuPinned buffer = new GpuPinned(pinnedAlloc(bytes));
        pinned.add(buffer);
        return buffer;
    }

    /**
     * {@code cuMemcpyDtoHAsync} into the pinned buffer, then {@code cuEventRecord} on the stream;
     * the event's {@link DeviceEvent#isComplete} is {@code cuEventQuery}. Nothing here waits.
     */
    @Override
    public DeviceEvent copyDeviceToHostAsync(long srcPointer, PinnedBuffer dst, long bytes) {
        String op = "copyDeviceToHostAsync";
        enter(op);
        notCapturing(op, "its completion is polled on the host; read between graph launches");
        Objects.requireNonNull(dst, "dst");
        if (!pinned.contains(dst)) {
            throw new IllegalArgumentException(op + ": dst expected an open pinned buffer of this device (allocatePinned) but was "
                    + dst);
        }
        MemorySegment target = dst.segment();
        checkHostRange(op, "dst", target, bytes);
        E event = idleEvents.isEmpty() ? eventCreate(false) : idleEvents.pop();
        try {
            if (bytes > 0) {
                copyDtoH(target.asSlice(0, bytes), srcPointer, bytes);
            }
            eventRecord(event);
        } catch (RuntimeException e) {
            idleEvents.push(event);
            throw e;
        }
        GpuEvent marker = new GpuEvent(event);
        eventsOut.add(marker);
        return marker;
    }

    /**
     * GPU time of the work {@code work} issues, in milliseconds, between two events recorded on the
     * stream around it (waits for the work to finish).
     */
    public float elapsedMillis(Runnable work) {
        enter("elapsedMillis");
        notCapturing("elapsedMillis", "events cannot be waited on during capture");
        E start = eventCreate(true);
        E end = null;
        try {
            end = eventCreate(true);
            eventRecord(start);
            work.run();
            eventRecord(end);
            hostWaits++;
            eventSynchronize(end);
            return eventElapsedMillis(start, end);
        } finally {
            eventDestroy(start);
            if (end != null) {
                eventDestroy(end);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException failure = null;
        try {
            if (boundThread != null) {
                makeCurrent();
                if (capturing) {
                    capturing = false;
                    abandonCapture();
                }
                streamSynchronize();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        for (GpuGraph g : new ArrayList<>(graphs)) {
            failure = attempt(failure, g::close);
        }
        for (GpuEvent e : new ArrayList<>(eventsOut)) {
            failure = attempt(failure, e::close);
        }
        while (!idleEvents.isEmpty()) {
            E e = idleEvents.pop();
            failure = attempt(failure, () -> eventDestroy(e));
        }
        for (GpuPinned p : new ArrayList<>(pinned)) {
            failure = attempt(failure, p::close);
        }
        for (DeviceMemory m : new ArrayList<>(live)) {
            failure = attempt(failure, () -> memFree(m.address()));
            m.forget();
        }
        live.clear();
        if (gemm != null) {
            failure = attempt(failure, gemm::close);
        }
        if (gemmWorkspace != 0) {
            failure = attempt(failure, () -> memFree(gemmWorkspace));
        }
        if (staging != null) {
            failure = attempt(failure, () -> pinnedFree(staging));
        }
        closed = true;
        failure = attempt(failure, this::releaseDriverResources);
        if (failure != null) {
            throw failure;
        }
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    private static RuntimeException attempt(RuntimeException earlier, Runnable step) {
        try {
            step.run();
            return earlier;
        } catch (RuntimeException e) {
            if (earlier != null) {
                earlier.addSuppressed(e);
                return earlier;
            }
            return e;
        }
    }

    /** Pinned host memory of this device: freed by {@link #close()} or, at the latest, with the device. */
    private final class GpuPinned extends PinnedBuffer {
        GpuPinned(MemorySegment segment) {
            super(segment);
        }

        @Override
        protected void free(MemorySegment segment) {
            pinned.remove(this);
            if (!closed) {
                enter("PinnedBuffer.close");
                pinnedFree(segment);
            }
        }
    }

    /** A completion mark; closing it hands the driver's event back for the next read. */
    private final class GpuEvent implements DeviceEvent {
        private final E event;
        private boolean open = true;

        GpuEvent(E event) {
            this.event = event;
        }

        @Override
        public boolean isComplete() {
            if (!open) {
                throw new IllegalStateException("DeviceEvent.isComplete: event already closed");
            }
            enter("DeviceEvent.isComplete");
            return eventQuery(event);
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                eventsOut.remove(this);
                if (closed) {
                    return;
                }
                idleEvents.push(event);
            }
        }
    }

    private static final class KernelFunction<F> {
        final F handle;
        int dynamicSharedLimit = DEFAULT_DYNAMIC_SHARED_LIMIT;

        KernelFunction(F handle) {
            this.handle = handle;
        }
    }

    private final class GpuGraph implements DeviceGraph {
        private final CapturedGraph captured;
        private boolean destroyed;

        GpuGraph(CapturedGraph captured) {
            this.captured = captured;
        }

        @Override
        public void launch() {
            if (destroyed) {
                throw new IllegalStateException("DeviceGraph.launch: graph already closed");
            }
            enter("DeviceGraph.launch");
            notCapturing("DeviceGraph.launch", "launch graphs outside capture");
            captured.launch();
        }

        @Override
        public int nodeCount() {
            return captured.nodeCount();
        }

        @Override
        public void close() {
            if (!destroyed) {
                destroyed = true;
                graphs.remove(this);
                if (!closed) {
                    captured.destroy();
                }
            }
        }
    }
}
