package org.fusedbert.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's parameters packed exactly as {@code cuLaunchKernel} takes them: an array of
 * pointers, each pointing at one argument's value in native memory. Devices pass
 * {@link #pointerArray()} straight to the driver (or the simulator's {@code fbsim_launch}).
 *
 * <p>Values are appended in the kernel signature's order; pointers to device memory are
 * {@link #pointer}s (8 bytes), {@code int} and {@code float} are 4 bytes.
 */
public final class KernelArgs implements AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    private final List<MemorySegment> values = new ArrayList<>();
    private final StringBuilder signature = new StringBuilder();
    private MemorySegment array;

    /** Appends a device pointer (8 bytes). */
    public KernelArgs pointer(long devicePointer) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG);
        s.set(ValueLayout.JAVA_LONG, 0, devicePointer);
        return add(s, 'p');
    }

    /** Appends an {@code int} (4 bytes). */
    public KernelArgs i32(int value) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_INT);
        s.set(ValueLayout.JAVA_INT, 0, value);
        return add(s, 'i');
    }

    /** Appends a {@code float} (4 bytes). */
    public KernelArgs f32(float value) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT);
        s.set(ValueLayout.JAVA_FLOAT, 0, value);
        return add(s, 'f');
    }

    /** Appends a {@code long long} / {@code unsigned long long} (8 bytes). */
    public KernelArgs i64(long value) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG);
        s.set(ValueLayout.JAVA_LONG, 0, value);
        return add(s, 'l');
    }

    private KernelArgs add(MemorySegment value, char kind) {
        if (array != null) {
            throw new IllegalStateException("KernelArgs: already packed");
        }
        values.add(value);
        signature.append(kind);
        return this;
    }

    /** Number of arguments. */
    public int count() {
        return values.size();
    }

    /**
     * One letter per argument: p (pointer), i (int32), f (float32), l (int64); devices that record
     * launches (graphs) use it to copy the values.
     */
    public String signature() {
        return signature.toString();
    }

    /** The argument's value bytes. */
    public MemorySegment value(int i) {
        return values.get(i);
    }

    /** The {@code void**} array: element i points at argument i's value. */
    public MemorySegment pointerArray() {
        if (array == null) {
            array = arena.allocate(ValueLayout.ADDRESS, Math.max(1, values.size()));
            for (int i = 0; i < values.size(); i++) {
                array.setAtIndex(ValueLayout.ADDRESS, i, values.get(i));
            }
        }
        return array;
    }

    @Override
    public void close() {
        arena.close();
    }
}
