package org.fusedbert.device.cuda;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.fusedbert.api.Storage;

/** A block of GPU memory: a device pointer the host cannot read directly. */
final class DeviceMemory implements Storage {
    private final long address;
    private final long byteSize;
    private final Consumer<DeviceMemory> free;
    private boolean released;

    DeviceMemory(long address, long byteSize, Consumer<DeviceMemory> free) {
        this.address = address;
        this.byteSize = byteSize;
        this.free = free;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public MemorySegment hostSegment() {
        return null;
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            free.accept(this);
        }
    }

    @Override
    public boolean isReleased() {
        return released;
    }

    /** Marks the block freed without calling back (the device freed it at close). */
    void forget() {
        released = true;
    }

    @Override
    public String toString() {
        return "DeviceMemory[0x" + Long.toHexString(address) + ", " + byteSize + " bytes]";
    }
}
