package org.fusedbert.api;

import java.lang.foreign.MemorySegment;

/**
 * A block of memory owned by a {@link Backend}: host memory for the CPU and the simulator, device
 * memory for a GPU. Tensors are typed views of a storage; several tensors may share one.
 */
public interface Storage {
    /** Size in bytes. */
    long byteSize();

    /**
     * The whole block as a host segment when the host can read it directly (CPU, simulator),
     * otherwise {@code null}.
     */
    MemorySegment hostSegment();

    /** The block's base address: a host address, or a device pointer. */
    long address();

    /** Frees the block. Idempotent. */
    void release();

    /** Whether {@link #release()} has run. */
    boolean isReleased();
}
