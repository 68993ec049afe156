package org.fusedbert.device;

import java.lang.foreign.MemorySegment;
import org.fusedbert.api.Storage;

/**
 * What {@code DeviceBackend} needs from whoever executes kernels: memory, copies, fills, kernel
 * launches by name from the fatbin's ABI ({@code native/include/fusedbert/kernels.h}), GEMMs, and
 * graph capture. All work is issued in order on one stream; host reads wait for it, except
 * {@link #copyDeviceToHostAsync}, whose completion the host polls.
 *
 * <p>Implementations: {@code SimDevice} (host memory, kernels run by the CPU simulator),
 * {@code CudaDevice} (FFM to the driver API and cuBLASLt), {@code JCudaDevice} (JCuda's driver
 * binding, the same fatbin).
 */
public interface Device extends AutoCloseable {
    /** Short name: {@code sim}, {@code cuda}, {@code jcuda}. */
    String name();

    /** A human description: the GPU's name and compute capability, or the simulator's threads. */
    String description();

    /**
     * The GPU's number of streaming multiprocessors (the simulator reports a small fixed number):
     * kernels that loop over their work size their grid by it, so that it is resident at once.
     */
    int multiprocessorCount();

    /** {@code bytes} of zero-filled device memory. */
    Storage allocate(long bytes);

    /** Copies {@code bytes} from host memory to the device, in stream order (the source may be reused on return). */
    void copyHostToDevice(MemorySegment src, long dstPointer, long bytes);

    /** Copies {@code bytes} from the device to host memory, waiting for the work issued before it. */
    void copyDeviceToHost(long srcPointer, MemorySegment dst, long bytes);

    /** Copies {@code bytes} within the device, in stream order (no host wait). */
    void copyDeviceToDevice(long srcPointer, long dstPointer, long bytes);

    /** {@code bytes} of page-locked host memory for {@link #copyDeviceToHostAsync}; not while capturing. */
    PinnedBuffer allocatePinned(long bytes);

    /**
     * Starts copying {@code bytes} from {@code srcPointer} into the start of {@code dst} without
     * waiting: the copy runs in stream order, so it reads what the work issued before it wrote and
     * nothing issued after it. The host may read {@code dst} once the returned event is complete
     * (on the simulator, at once); close the event after that.
     *
     * @param dst pinned memory of this device, at least {@code bytes} long
     * @throws IllegalStateException while capturing a graph (a captured copy's completion cannot
     *                               be polled: read between graph launches)
     */
    DeviceEvent copyDeviceToHostAsync(long srcPointer, PinnedBuffer dst, long bytes);

    /** Sets {@code count} 32-bit words at {@code pointer} to {@code pattern}. */
    void fill32(long pointer, int pattern, long count);

    /**
     * Launches {@code kernel} (an {@code extern "C"} name from the ABI header).
     *
     * @param sharedBytes dynamic shared memory per block
     */
    void launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, KernelArgs args);

    /** One GEMM (cuBLASLt on a GPU, a reference GEMM on the simulator). */
    void gemm(GemmSpec spec);

    /**
     * How this device's GEMMs compute, and so which variant of a GEMM-like kernel its callers want:
     * under {@link GemmPrecision#TF32} the fused attention backward runs on the tensor cores too.
     * Devices without tensor cores compute in {@link GemmPrecision#FP32}, the default.
     */
    default GemmPrecision gemmPrecision() {
        return GemmPrecision.FP32;
    }

    /** Waits for all issued work. */
    void synchronize();

    /**
     * Records everything {@code body} issues (launches, GEMMs, copies, fills) without running it,
     * into a graph that replays the same sequence with the same arguments.
     */
    DeviceGraph capture(Runnable body);

    @Override
    void close();
}
