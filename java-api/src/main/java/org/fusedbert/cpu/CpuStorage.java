package org.fusedbert.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.fusedbert.api.Storage;

/**
 * Off-heap host memory for {@link CpuBackend}: one shared arena per allocation (so the worker
 * threads may touch it and {@link #release()} frees exactly this block), zero-filled and aligned
 * to 64 bytes (a cache line, one AVX-512 vector).
 */
final class CpuStorage implements Storage {
    static final long ALIGNMENT = 64;

    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean released;

    CpuStorage(long bytes) {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(bytes, ALIGNMENT);
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
    public synchronized void release() {
        if (!released) {
            released = true;
            arena.close();
        }
    }

    @Override
    public boolean isReleased() {
        return released;
    }
}
