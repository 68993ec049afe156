package org.fusedbert.testing;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.function.Supplier;
import org.fusedbert.api.Storage;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceEvent;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmSpec;
import org.fusedbert.device.KernelArgs;
import org.fusedbert.device.PinnedBuffer;
import org.fusedbert.device.cuda.GpuDevice;

/**
 * A {@link Device} that forwards its work to another (a {@code SimDevice}) but behaves toward the
 * host as a GPU does, so host-side code can be checked for what it would make a GPU's host do:
 * <ul>
 *   <li>its memory is not host-visible ({@link Storage#hostSegment()} is null), so a
 *       {@code DeviceBackend} takes the path it takes on a GPU (no value checks that wait);</li>
 *   <li>an asynchronous copy's event reports incomplete for its first {@code pollsUntilComplete}
 *       polls, and complete after any {@link #synchronize()}, as a copy behind queued work would;</li>
 *   <li>it counts what makes the host wait for the device (synchronize, blocking copies in either
 *       direction) and, while {@link #forbidHostWaits} is on, throws an {@link AssertionError}
 *       naming the call instead; around a GPU it also fails any other call (a graph launch
 *       included) that waited for the stream inside ({@link GpuDevice#hostWaits()}).</li>
 * </ul>
 */
public final class GpuLikeDevice implements Device {
    private final Device inner;
    private final int pollsUntilComplete;
    private String forbidden;
    private long synchronizeCalls;
    private long blockingCopies;
    private long asyncCopies;
    private long pinnedAllocations;
    /** Bumped by every synchronize: events recorded before it are complete. */
    private long syncEpoch;

    /**
     * @param inner              runs the work
     * @param pollsUntilComplete how many {@link DeviceEvent#isComplete()} calls answer false first
     */
    public GpuLikeDevice(Device inner, int pollsUntilComplete) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.pollsUntilComplete = pollsUntilComplete;
    }

    /** From now on, a host wait fails with {@code why} in its message; {@code null} allows them again. */
    public void forbidHostWaits(String why) {
        forbidden = why;
    }

    /** Whether host waits are forbidden now. */
    public boolean hostWaitsForbidden() {
        return forbidden != null;
    }

    /** {@link #synchronize()} calls so far. */
    public long synchronizeCalls() {
        return synchronizeCalls;
    }

    /** Blocking copies between host and device memory so far. */
    public long blockingCopies() {
        return blockingCopies;
    }

    /** {@link #copyDeviceToHostAsync} calls so far. */
    public long asyncCopies() {
        return asyncCopies;
    }

    /** {@link #allocatePinned} calls so far. */
    public long pinnedAllocations() {
        return pinnedAllocations;
    }

    private void hostWait(String call) {
        if (forbidden != null) {
            throw new AssertionError(call + " makes the host wait for the device, which is forbidden here: " + forbidden);
        }
    }

    /** Host waits a GPU device made inside its own calls; 0 for other devices, whose calls never wait. */
    private long innerWaits() {
        return inner instanceof GpuDevice<?, ?> gpu ? gpu.hostWaits() : 0;
    }

    /** Runs {@code op}, failing when it waited for the stream inside while waits are forbidden. */
    private <T> T forward(String call, Supplier<T> op) {
        long before = innerWaits();
        T result = op.get();
        if (forbidden != null && innerWaits() != before) {
            throw new AssertionError(call + " waited for the stream inside, which is forbidden here: " + forbidden);
        }
        return result;
    }

    private void forward(String call, Runnable op) {
        forward(call, () -> {
            op.run();
            return null;
        });
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String description() {
        return "GPU-like view of " + inner.description();
    }

    @Override
    public int multiprocessorCount() {
        return inner.multiprocessorCount();
    }

    @Override
    public Storage allocate(long bytes) {
        return new DeviceOnly(forward("allocate", () -> inner.allocate(bytes)));
    }

    @Override
    public void copyHostToDevice(MemorySegment src, long dstPointer, long bytes) {
        hostWait("copyHostToDevice");
        blockingCopies++;
        inner.copyHostToDevice(src, dstPointer, bytes);
    }

    @Override
    public void copyDeviceToHost(long srcPointer, MemorySegment dst, long bytes) {
        hostWait("copyDeviceToHost");
        blockingCopies++;
        inner.copyDeviceToHost(srcPointer, dst, bytes);
    }

    @Override
    public void copyDeviceToDevice(long srcPointer, long dstPointer, long bytes) {
        forward("copyDeviceToDevice", () -> inner.copyDeviceToDevice(srcPointer, dstPointer, bytes));
    }

    @Override
    public PinnedBuffer allocatePinned(long bytes) {
        pinnedAllocations++;
        return forward("allocatePinned", () -> inner.allocatePinned(bytes));
    }

    @Override
    public DeviceEvent copyDeviceToHostAsync(long srcPointer, PinnedBuffer dst, long bytes) {
        DeviceEvent copied = forward("copyDeviceToHostAsync", () -> inner.copyDeviceToHostAsync(srcPointer, dst, bytes));
        asyncCopies++;
        return new LaggingEvent(copied, syncEpoch);
    }

    @Override
    public void fill32(long pointer, int pattern, long count) {
        forward("fill32", () -> inner.fill32(pointer, pattern, count));
    }

    @Override
    public void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args) {
        forward("launch " + kernel, () -> inner.launch(kernel, grid, block, sharedBytes, args));
    }

    @Override
    public void gemm(GemmSpec spec) {
        forward("gemm", () -> inner.gemm(spec));
    }

    @Override
    public void synchronize() {
        hostWait("synchronize");
        synchronizeCalls++;
        syncEpoch++;
        inner.synchronize();
    }

    @Override
    public DeviceGraph capture(Runnable body) {
        DeviceGraph graph = forward("capture", () -> inner.capture(body));
        return new DeviceGraph() {
            @Override
            public void launch() {
                forward("DeviceGraph.launch", graph::launch);
            }

            @Override
            public int nodeCount() {
                return graph.nodeCount();
            }

            @Override
            public void close() {
                graph.close();
            }
        };
    }

    @Override
    public void close() {
        inner.close();
    }

    /** Device memory whose host view is hidden, as a GPU's is. */
    private record DeviceOnly(Storage storage) implements Storage {
        @Override
        public long byteSize() {
            return storage.byteSize();
        }

        @Override
        public MemorySegment hostSegment() {
            return null;
        }

        @Override
        public long address() {
            return storage.address();
        }

        @Override
        public void release() {
            storage.release();
        }

        @Override
        public boolean isReleased() {
            return storage.isReleased();
        }
    }

    /** Incomplete for the first polls unless the device was synchronized since it was recorded. */
    private final class LaggingEvent implements DeviceEvent {
        private final DeviceEvent inner;
        private final long recordedInEpoch;
        private int polls;

        LaggingEvent(DeviceEvent inner, long recordedInEpoch) {
            this.inner = inner;
            this.recordedInEpoch = recordedInEpoch;
        }

        @Override
        public boolean isComplete() {
            boolean complete = inner.isComplete();
            return complete && (syncEpoch > recordedInEpoch || ++polls > pollsUntilComplete);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
