package org.fusedbert.api;

import java.util.Objects;

/**
 * One allocation sized up front, handed out as tensor views by bumping an offset: a training run
 * allocates its arena once and nothing inside a step. Closing the arena frees every tensor it gave
 * out at once.
 */
public final class TensorArena implements AutoCloseable {
    /** Every tensor starts on this boundary (bytes): enough for 16-byte vector loads and coalescing. */
    public static final int ALIGNMENT = 256;

    private final Tensor block;
    private long used;

    /** An arena of {@code bytes} bytes in {@code backend}'s memory. */
    public TensorArena(Backend backend, long bytes) {
        Objects.requireNonNull(backend, "backend");
        if (bytes <= 0 || bytes % 4 != 0) {
            throw new IllegalArgumentException("TensorArena: bytes expected a positive multiple of 4 but was " + bytes);
        }
        this.block = backend.allocate(DType.INT32, Math.toIntExact(bytes / 4));
    }

    /** Bytes a sequence of allocations of these sizes needs, alignment included. */
    public static long bytesFor(long... tensorBytes) {
        long total = 0;
        for (long b : tensorBytes) {
            total += align(b);
        }
        return total;
    }

    static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** A zero-initialised (at arena creation) tensor view carved from the arena. */
    public Tensor allocate(DType dtype, int... shape) {
        long bytes = Tensor.countElements(shape) * dtype.byteSize();
        long offset = used;
        if (offset + bytes > capacity()) {
            throw new IllegalStateException("TensorArena: out of space: need " + bytes + " bytes at offset " + offset
                    + ", capacity " + capacity());
        }
        used = offset + align(bytes);
        return new Tensor(block.backend(), block.storage(), block.byteOffset() + offset, dtype, shape, false);
    }

    /** Bytes handed out so far, alignment included. */
    public long used() {
        return used;
    }

    /** Total bytes. */
    public long capacity() {
        return block.byteSize();
    }

    @Override
    public void close() {
        block.close();
    }
}
