package org.fusedbert.device;

import java.util.ArrayList;
import java.util.List;
import org.fusedbert.api.Storage;

/**
 * Grow-only device workspace for kernels that need temporaries a {@code Backend} operation does
 * not pass in (reduction partials, sort buffers, per-row losses). One per {@link DeviceBackend};
 * it grows to the largest request and then stays, so after a model's first training step no
 * operation allocates.
 *
 * <p>Growing does not wait for the device: queued kernels may still use the old block, so it is
 * kept until the owner has synchronized ({@link #releaseRetired}), and a step that grows the
 * scratch (the first of its kind) makes the host wait no more than any other. Do not grow it
 * while capturing a graph (a captured kernel would keep the old pointer): run one eager step
 * first, which sizes it.
 */
public final class DeviceScratch implements AutoCloseable {
    /** Every region starts on this boundary (bytes), enough for float4 access and coalescing. */
    public static final int ALIGNMENT = 256;

    private final Device device;
    private Storage block;
    private final List<Storage> retired = new ArrayList<>();

    public DeviceScratch(Device device) {
        this.device = device;
    }

    /** Rounds {@code bytes} up to {@link #ALIGNMENT}. */
    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * The device address of at least {@code bytes} bytes of workspace, valid until the next call
     * that asks for more. Contents are undefined.
     */
    public long reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("DeviceScratch: bytes expected >= 0 but was " + bytes);
        }
        if (block == null || block.byteSize() < bytes) {
            Storage grown = device.allocate(Math.max(ALIGNMENT, align(bytes)));
            if (block != null) {
                retired.add(block);
            }
            block = grown;
        }
        return block.address();
    }

    /**
     * Carves consecutive aligned regions of the given sizes from one reservation; returns their
     * addresses in order.
     */
    public long[] reserve(long... regionBytes) {
        long total = 0;
        for (long b : regionBytes) {
            total += align(b);
        }
        long base = reserve(total);
        long[] addresses = new long[regionBytes.length];
        long offset = 0;
        for (int i = 0; i < regionBytes.length; i++) {
            addresses[i] = base + offset;
            offset += align(regionBytes[i]);
        }
        return addresses;
    }

    /** Frees the blocks replaced by growth; call only once the device has finished the work issued so far. */
    public void releaseRetired() {
        retired.forEach(Storage::release);
        retired.clear();
    }

    /** Bytes currently held. */
    public long capacity() {
        return block == null ? 0 : block.byteSize();
    }

    @Override
    public void close() {
        releaseRetired();
        if (block != null) {
            block.release();
            block = null;
        }
    }
}
