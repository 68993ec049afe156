package org.fusedbert.device.cuda;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * Page-locked host memory from the driver: copies to and from it run asynchronously on the
 * device's stream (and may be captured into a graph), so the host must not touch it until the
 * stream has passed the copy.
 */
public final class PinnedBuffer implements AutoCloseable {
    private final MemorySegment segment;
    private final Consumer<MemorySegment> free;
    private boolean closed;

    PinnedBuffer(MemorySegment segment, Consumer<MemorySegment> free) {
        this.segment = segment;
        this.free = free;
    }

    /** The whole buffer. Invalid after {@link #close()}. */
    public MemorySegment segment() {
        if (closed) {
            throw new IllegalStateException("PinnedBuffer: already closed");
        }
        return segment;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            free.accept(segment);
        }
    }
}
