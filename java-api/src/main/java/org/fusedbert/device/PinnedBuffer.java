package org.fusedbert.device;

import java.lang.foreign.MemorySegment;

/**
 * Page-locked host memory from one {@link Device} ({@link Device#allocatePinned}): the memory
 * {@link Device#copyDeviceToHostAsync} writes into, because a GPU copies there without the host
 * waiting (a copy into pageable memory makes the driver wait). The host reads it only once the
 * copy's {@link DeviceEvent} is complete. Devices subclass it with how they free the memory.
 */
public abstract class PinnedBuffer implements AutoCloseable {
    private final MemorySegment segment;
    private boolean closed;

    protected PinnedBuffer(MemorySegment segment) {
        this.segment = segment;
    }

    /**
     * The whole buffer.
     *
     * @throws IllegalStateException once closed
     */
    public final MemorySegment segment() {
        if (closed) {
            throw new IllegalStateException("PinnedBuffer: already closed");
        }
        return segment;
    }

    /** Size in bytes. */
    public final long byteSize() {
        return segment.byteSize();
    }

    /** Frees the memory (idempotent); the device frees what is still open when it closes. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            free(segment);
        }
    }

    /** Gives the memory back to the device (called once). */
    protected abstract void free(MemorySegment segment);

    @Override
    public String toString() {
        return "PinnedBuffer[" + segment.byteSize() + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
