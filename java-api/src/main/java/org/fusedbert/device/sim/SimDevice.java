package org.fusedbert.device.sim;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Checks;
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
 * A {@link Device} whose memory is host memory and whose kernels run in the CPU simulator
 * ({@link SimRuntime}), from the same sources as the fatbin; GEMMs run the simulator's reference
 * GEMM. Work runs synchronously, so {@link #synchronize()} has nothing to wait for and the event of
 * {@link #copyDeviceToHostAsync} is complete when it is returned.
 *
 * <p>Every pointer handed in (copies, fills, GEMM operands, kernel pointer arguments) must lie in
 * memory this device allocated and has not released: a stray pointer is an
 * {@link IllegalArgumentException} here, not a crash of the JVM. A launch whose
 * {@link KernelArgs#signature()} differs from the kernel's parameter list is rejected likewise.
 *
 * <p>{@link #capture} records work into a {@link DeviceGraph} replayed in order, standing in for
 * CUDA graphs; like CUDA's memcpy nodes, recorded host copies read (or write) their host segment
 * when replayed. Use a SimDevice from one thread at a time, as one would a stream.
 */
public final class SimDevice implements Device {
    /** What {@link #multiprocessorCount()} reports. */
    public static final int MULTIPROCESSORS = 3;

    private final NavigableMap<Long, SimStorage> live = new TreeMap<>();
    private final Map<String, String> signatures = new ConcurrentHashMap<>();
    private final Set<SimPinned> pinned = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private List<Runnable> recording;
    private Arena recordingArena;
    private boolean closed;

    private GemmPrecision precision = GemmPrecision.FP32;

    /** Loads the simulator library (a clear {@link IllegalStateException} if it is missing). */
    public SimDevice() {
        SimRuntime.threadCount();
    }

    /**
     * The precision of GEMMs issued from now on (fp32 at first), as {@link #gemmPrecision()}
     * reports it: under TF32 the simulator's GEMMs round their operands to TF32 (as cuBLASLt's
     * {@code CUBLAS_COMPUTE_32F_FAST_TF32} does; products and sums stay fp32), and the kernel variants
     * chosen by it (the tensor-core attention backward, emulated with TF32 rounding) run here too,
     * as on a GPU.
     */
    public void gemmPrecision(GemmPrecision precision) {
        this.precision = Objects.requireNonNull(precision, "precision");
    }

    @Override
    public GemmPrecision gemmPrecision() {
        return precision;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public String description() {
        return "CPU simulator (" + SimRuntime.threadCount() + " host threads)";
    }

    /**
     * {@value #MULTIPROCESSORS}: small and odd, so that kernels whose grid is sized by it loop over
     * several rows per block, with remainders, at the simulator's test shapes.
     */
    @Override
    public int multiprocessorCount() {
        return MULTIPROCESSORS;
    }

    @Override
    public Storage allocate(long bytes) {
        checkOpen("allocate");
        if (bytes < 0) {
            throw Checks.fail("SimDevice.allocate", "bytes", ">= 0", bytes);
        }
        Arena arena = Arena.ofShared();
        // At least one byte, so that every storage has an address of its own; zero-filled by Arena.
        MemorySegment segment = arena.allocate(Math.max(bytes, 1), 256).asSlice(0, bytes);
        SimStorage storage = new SimStorage(arena, segment);
        synchronized (live) {
            live.put(segment.address(), storage);
        }
        return storage;
    }

    @Override
    public void copyHostToDevice(MemorySegment src, long dstPointer, long bytes) {
        checkHost("copyHostToDevice", "src", src, bytes);
        range("copyHostToDevice", "dstPointer", dstPointer, bytes);
        issue(() -> MemorySegment.copy(src, 0, range("copyHostToDevice", "dstPointer", dstPointer, bytes), 0, bytes));
    }

    @Override
    public void copyDeviceToHost(long srcPointer, MemorySegment dst, long bytes) {
        checkHost("copyDeviceToHost", "dst", dst, bytes);
        range("copyDeviceToHost", "srcPointer", srcPointer, bytes);
        issue(() -> MemorySegment.copy(range("copyDeviceToHost", "srcPointer", srcPointer, bytes), 0, dst, 0, bytes));
    }

    @Override
    public void copyDeviceToDevice(long srcPointer, long dstPointer, long bytes) {
        range("copyDeviceToDevice", "srcPointer", srcPointer, bytes);
        range("copyDeviceToDevice", "dstPointer", dstPointer, bytes);
        issue(() -> MemorySegment.copy(range("copyDeviceToDevice", "srcPointer", srcPointer, bytes), 0,
                range("copyDeviceToDevice", "dstPointer", dstPointer, bytes), 0, bytes));
    }

    /** Host memory standing in for page-locked memory, so the asynchronous read has the GPU's contract. */
    @Override
    public PinnedBuffer allocatePinned(long bytes) {
        checkOpen("allocatePinned");
        notRecording("allocatePinned", "allocate before capture; a graph replays no allocations");
        if (bytes <= 0) {
            throw Checks.fail("SimDevice.allocatePinned", "bytes", "> 0", bytes);
        }
        SimPinned buffer = new SimPinned(Arena.ofShared(), bytes);
        pinned.add(buffer);
        return buffer;
    }

    /** Copies at once (work here is synchronous) and returns a complete event. */
    @Override
    public DeviceEvent copyDeviceToHostAsync(long srcPointer, PinnedBuffer dst, long bytes) {
        String op = "copyDeviceToHostAsync";
        checkOpen(op);
        notRecording(op, "its completion is polled on the host; read between graph launches");
        Objects.requireNonNull(dst, "dst");
        if (!pinned.contains(dst)) {
            throw Checks.fail("SimDevice." + op, "dst", "an open pinned buffer of this device (allocatePinned)", dst);
        }
        checkHost(op, "dst", dst.segment(), bytes);
        MemorySegment.copy(range(op, "srcPointer", srcPointer, bytes), 0, dst.segment(), 0, bytes);
        return new CompleteEvent();
    }

    @Override
    public void fill32(long pointer, int pattern, long count) {
        if (count < 0) {
            throw Checks.fail("SimDevice.fill32", "count", ">= 0", count);
        }
        if (pointer % 4 != 0) {
            throw Checks.fail("SimDevice.fill32", "pointer", "4-byte aligned", "0x" + Long.toHexString(pointer));
        }
        range("fill32", "pointer", pointer, count * 4);
        issue(() -> {
            MemorySegment target = range("fill32", "pointer", pointer, count * 4);
            byte b = (byte) pattern;
            if (pattern == (b & 0xff) * 0x01010101) {
                target.fill(b);
            } else {
                for (long i = 0; i < count; i++) {
                    target.setAtIndex(JAVA_INT, i, pattern);
                }
            }
        });
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(grid, "grid");
        Objects.requireNonNull(block, "block");
        Objects.requireNonNull(args, "args");
        checkOpen("launch " + kernel);
        if (sharedBytes < 0) {
            throw Checks.fail("SimDevice.launch " + kernel, "sharedBytes", ">= 0", sharedBytes);
        }
        String signature = signatures.computeIfAbsent(kernel, SimRuntime::kernelSignature);
        if (signature == null) {
            throw Checks.fail("SimDevice.launch", "kernel", "one of the simulator's kernels", "'" + kernel + "'");
        }
        if (!signature.equals(args.signature())) {
            throw Checks.fail("SimDevice.launch " + kernel, "args", "signature " + signature, args.signature());
        }
        long[] pointers = pointerArguments(args);
        checkPointers(kernel, signature, pointers);
        if (recording == null) {
            SimRuntime.launch(kernel, grid, block, sharedBytes, args.pointerArray());
            return;
        }
        MemorySegment packed = copyArguments(args, recordingArena);
        recording.add(() -> {
            checkPointers(kernel, signature, pointers);
            SimRuntime.launch(kernel, grid, block, sharedBytes, packed);
        });
    }

    @Override
    public void gemm(GemmSpec spec) {
        Objects.requireNonNull(spec, "spec");
        checkGemm(spec);
        boolean tf32 = precision == GemmPrecision.TF32;  // as a GPU plans a GEMM: at the call, kept by a capture
        issue(() -> {
            checkGemm(spec);
            SimRuntime.gemm(spec.transA(), spec.transB(), spec.m(), spec.n(), spec.k(), spec.a(), spec.lda(),
                    spec.b(), spec.ldb(), spec.bias(), spec.activation() == Activation.RELU, spec.beta(), spec.c(),
                    spec.ldc(), tf32);
        });
    }

    @Override
    public void synchronize() {
        checkOpen("synchronize");
    }

    @Override
    public DeviceGraph capture(Runnable body) {
        Objects.requireNonNull(body, "body");
        checkOpen("capture");
        if (recording != null) {
            throw new IllegalStateException("SimDevice.capture: already capturing (captures do not nest)");
        }
        List<Runnable> nodes = new ArrayList<>();
        Arena arena = Arena.ofShared();
        recording = nodes;
        recordingArena = arena;
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        } finally {
            recording = null;
            recordingArena = null;
        }
        return new SimGraph(this, List.copyOf(nodes), arena);
    }

    @Override
    public void close() {
        synchronized (live) {
            if (closed) {
                return;
            }
            closed = true;
            for (SimStorage s : List.copyOf(live.values())) {
                s.release();
            }
        }
        List<SimPinned> buffers;
        synchronized (pinned) {
            buffers = List.copyOf(pinned);
        }
        for (SimPinned p : buffers) {
            p.close();
        }
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        synchronized (live) {
            return closed;
        }
    }

    // ---- internals ----

    /** Runs {@code work} now, or records it while capturing. */
    private void issue(Runnable work) {
        checkOpen("issue");
        if (recording != null) {
            recording.add(work);
        } else {
            work.run();
        }
    }

    private void notRecording(String op, String why) {
        if (recording != null) {
            throw new IllegalStateException("SimDevice." + op + ": not allowed while capturing a graph (" + why + ")");
        }
    }

    void checkOpen(String op) {
        if (isClosed()) {
            throw new IllegalStateException("SimDevice." + op + ": device is closed");
        }
    }

    /** The host segment for {@code [pointer, pointer + bytes)}, which must lie in one live allocation. */
    private MemorySegment range(String op, String arg, long pointer, long bytes) {
        if (bytes < 0) {
            throw Checks.fail("SimDevice." + op, "bytes", ">= 0", bytes);
        }
        synchronized (live) {
            Map.Entry<Long, SimStorage> e = live.floorEntry(pointer);
            if (e != null) {
                SimStorage s = e.getValue();
                long offset = pointer - s.address();
                if (offset + bytes <= s.byteSize()) {
                    return s.hostSegment().asSlice(offset, bytes);
                }
            }
        }
        throw Checks.fail("SimDevice." + op, arg, "a range inside memory allocated by this device",
                "0x" + Long.toHexString(pointer) + " + " + bytes + " bytes");
    }

    private static void checkHost(String op, String arg, MemorySegment segment, long bytes) {
        Objects.requireNonNull(segment, arg);
        if (bytes < 0 || segment.byteSize() < bytes) {
            throw Checks.fail("SimDevice." + op, arg, "a segment of at least " + bytes + " bytes",
                    segment.byteSize() + " bytes");
        }
    }

    private void checkGemm(GemmSpec s) {
        Objects.requireNonNull(s.activation(), "activation");
        String op = "gemm";
        if (s.m() > 0 && s.n() > 0) {
            range(op, "c", s.c(), matrixBytes(s.m(), s.n(), s.ldc()));
            if (s.k() > 0) {
                range(op, "a", s.a(), s.transA() ? matrixBytes(s.k(), s.m(), s.lda()) : matrixBytes(s.m(), s.k(), s.lda()));
                range(op, "b", s.b(), s.transB() ? matrixBytes(s.n(), s.k(), s.ldb()) : matrixBytes(s.k(), s.n(), s.ldb()));
            }
            if (s.bias() != 0) {
                range(op, "bias", s.bias(), 4L * s.n());
            }
        }
    }

    /** Bytes spanned by a row-major {@code rows x cols} float matrix with leading dimension {@code ld}. */
    private static long matrixBytes(int rows, int cols, int ld) {
        return 4L * ((long) (rows - 1) * Math.max(ld, cols) + cols);
    }

    private static long[] pointerArguments(KernelArgs args) {
        String signature = args.signature();
        long[] pointers = new long[signature.length()];
        for (int i = 0; i < pointers.length; i++) {
            if (signature.charAt(i) == 'p') {
                pointers[i] = args.value(i).get(JAVA_LONG, 0);
            }
        }
        return pointers;
    }

    /** Each pointer argument is 0 or lies in (or one past the end of) a live allocation. */
    private void checkPointers(String kernel, String signature, long[] pointers) {
        for (int i = 0; i < pointers.length; i++) {
            long p = pointers[i];
            if (signature.charAt(i) != 'p' || p == 0) {
                continue;
            }
            boolean inside;
            synchronized (live) {
                Map.Entry<Long, SimStorage> e = live.floorEntry(p);
                inside = e != null && p - e.getKey() <= e.getValue().byteSize();
            }
            if (!inside) {
                throw Checks.fail("SimDevice.launch " + kernel, "argument " + i,
                        "a pointer into memory allocated by this device", "0x" + Long.toHexString(p));
            }
        }
    }

    /** A copy of the argument values and their {@code void**} array, owned by {@code arena}. */
    private static MemorySegment copyArguments(KernelArgs args, Arena arena) {
        int n = args.count();
        MemorySegment values = arena.allocate(8L * Math.max(n, 1), 8);
        MemorySegment array = arena.allocate(ADDRESS, Math.max(n, 1));
        for (int i = 0; i < n; i++) {
            MemorySegment slot = values.asSlice(8L * i, 8);
            MemorySegment.copy(args.value(i), 0, slot, 0, args.value(i).byteSize());
            array.setAtIndex(ADDRESS, i, slot);
        }
        return array;
    }

    void forget(SimStorage storage) {
        synchronized (live) {
            live.remove(storage.address(), storage);
        }
    }

    /** Pinned memory's stand-in: host memory from its own arena, freed on close or with the device. */
    private final class SimPinned extends PinnedBuffer {
        private final Arena arena;

        SimPinned(Arena arena, long bytes) {
            super(arena.allocate(bytes, 64));
            this.arena = arena;
        }

        @Override
        protected void free(MemorySegment segment) {
            pinned.remove(this);
            arena.close();
        }
    }

    /** The event of a copy that has already happened. */
    private static final class CompleteEvent implements DeviceEvent {
        private boolean open = true;

        @Override
        public boolean isComplete() {
            if (!open) {
                throw new IllegalStateException("DeviceEvent.isComplete: event already closed");
            }
            return true;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** Host memory from one shared arena; {@link #address()} is the pointer kernels receive. */
    private final class SimStorage implements Storage {
        private final Arena arena;
        private final MemorySegment segment;
        private volatile boolean released;

        SimStorage(Arena arena, MemorySegment segment) {
            this.arena = arena;
            this.segment = segment;
        }

        @Override
        public long byteSize() {
            return segment.byteSize();
        }

        @Override
        public MemorySegment hostSegment() {
            return segment;
        }

        @Override
        public long address() {
            return segment.address();
        }

        @Override
        public void release() {
            synchronized (live) {
                if (released) {
                    return;
                }
                released = true;
                forget(this);
            }
            arena.close();
        }

        @Override
        public boolean isReleased() {
            return released;
        }
    }
}
