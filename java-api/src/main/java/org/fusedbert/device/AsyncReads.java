package org.fusedbert.device;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.fusedbert.api.PendingRead;
import org.fusedbert.api.Tensor;

/**
 * {@link DeviceBackend#readAsync}: each read copies into a pinned slot lent from a small pool and
 * polls the copy's {@link DeviceEvent}; closing the read lends the slot again. Once the largest
 * read and the most reads in flight have been seen, reading allocates nothing.
 */
final class AsyncReads implements AutoCloseable {
    /** The smallest slot: a loss window of up to 64 steps fits. */
    static final long MIN_SLOT_BYTES = 256;

    private final Device device;
    private final List<PinnedBuffer> free = new ArrayList<>();
    private final List<PinnedBuffer> slots = new ArrayList<>();
    /** Slots given back by reads closed before they were seen done: their copy may still be running. */
    private final List<PinnedBuffer> unsettled = new ArrayList<>();

    AsyncReads(Device device) {
        this.device = device;
    }

    /** Starts the copy of {@code src} (already checked) into a slot. */
    PendingRead read(Tensor src) {
        long bytes = src.byteSize();
        PinnedBuffer slot = borrow(bytes);
        DeviceEvent copied;
        try {
            copied = device.copyDeviceToHostAsync(src.address(), slot, bytes);
        } catch (RuntimeException | Error e) {
            giveBack(slot, true);
            throw e;
        }
        return new Read(src, slot, copied);
    }

    /** Slots made so far (each one allocation of pinned memory). */
    int slotCount() {
        return slots.size();
    }

    private PinnedBuffer borrow(long bytes) {
        PinnedBuffer best = null;
        for (PinnedBuffer b : free) {
            if (b.byteSize() >= bytes && (best == null || b.byteSize() < best.byteSize())) {
                best = b;
            }
        }
        if (best != null) {
            free.remove(best);
            return best;
        }
        // Too-small free slots are kept, not freed: a closed read's copy may still be writing one.
        PinnedBuffer slot = device.allocatePinned(Math.max(MIN_SLOT_BYTES, Long.highestOneBit(Math.max(bytes, 1) - 1) << 1));
        slots.add(slot);
        return slot;
    }

    private void giveBack(PinnedBuffer slot, boolean settled) {
        free.add(slot);
        if (!settled) {
            unsettled.add(slot);
        }
    }

    /** Frees the slots, first waiting for the device if a read was closed before it was seen done. */
    @Override
    public void close() {
        if (!unsettled.isEmpty()) {
            device.synchronize();
            unsettled.clear();
        }
        for (PinnedBuffer slot : slots) {
            slot.close();
        }
        slots.clear();
        free.clear();
    }

    private final class Read extends PendingRead {
        private final PinnedBuffer slot;
        private final DeviceEvent copied;
        private boolean seen;

        Read(Tensor src, PinnedBuffer slot, DeviceEvent copied) {
            super(src.dtype(), src.numel());
            this.slot = slot;
            this.copied = copied;
        }

        @Override
        protected boolean arrived() {
            if (!seen) {
                seen = copied.isComplete();
            }
            return seen;
        }

        @Override
        protected MemorySegment values() {
            return slot.segment();
        }

        @Override
        protected void release() {
            copied.close();
            giveBack(slot, seen);
        }
    }
}
