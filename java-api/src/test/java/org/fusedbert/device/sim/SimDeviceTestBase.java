package org.fusedbert.device.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.fusedbert.api.Storage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh SimDevice per test, and typed uploads and downloads through its copy operations. */
abstract class SimDeviceTestBase {
    protected SimDevice device;

    @BeforeEach
    void openDevice() {
        device = new SimDevice();
    }

    @AfterEach
    void closeDevice() {
        device.close();
    }

    /** Device memory holding {@code values}; returns its address. */
    protected long floats(float... values) {
        Storage s = device.allocate(4L * values.length);
        device.copyHostToDevice(MemorySegment.ofArray(values), s.address(), 4L * values.length);
        return s.address();
    }

    protected long ints(int... values) {
        Storage s = device.allocate(4L * values.length);
        device.copyHostToDevice(MemorySegment.ofArray(values), s.address(), 4L * values.length);
        return s.address();
    }

    /** {@code bytes} zeroed bytes of device memory; returns its address. */
    protected long zeros(long bytes) {
        return device.allocate(bytes).address();
    }

    protected float[] readFloats(long pointer, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, count);
            device.copyDeviceToHost(pointer, host, 4L * count);
            return host.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    protected int[] readInts(long pointer, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_INT, count);
            device.copyDeviceToHost(pointer, host, 4L * count);
            return host.toArray(ValueLayout.JAVA_INT);
        }
    }
}
