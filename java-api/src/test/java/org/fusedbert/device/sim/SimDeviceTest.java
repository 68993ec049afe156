package org.fusedbert.device.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.fusedbert.api.Activation;
import org.fusedbert.api.Storage;
import org.fusedbert.device.DeviceEvent;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.GemmSpec;
import org.fusedbert.device.KernelArgs;
import org.fusedbert.device.PinnedBuffer;
import org.junit.jupiter.api.Test;

/** SimDevice's memory, copies, fills, pointer checks and graph capture. */
class SimDeviceTest extends SimDeviceTestBase {

    @Test
    void memoryIsZeroedHostMemoryThatCopiesAndFillsReach() {
        Storage s = device.allocate(40);
        assertNotNull(s.hostSegment());
        assertEquals(s.address(), s.hostSegment().address());
        assertEquals(40, s.byteSize());
        assertArrayEquals(new int[10], readInts(s.address(), 10));
        device.fill32(s.address() + 8, 0x3f800000, 3);
        device.fill32(s.address() + 20, 0x07070707, 2);
        assertArrayEquals(new int[] {0, 0, 0x3f800000, 0x3f800000, 0x3f800000, 0x07070707, 0x07070707, 0, 0, 0},
                readInts(s.address(), 10));
        long other = zeros(40);
        device.copyDeviceToDevice(s.address() + 8, other + 4, 12);
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, readFloats(other, 5));
        device.copyHostToDevice(MemorySegment.ofArray(new int[] {5, 6}), s.address() + 32, 8);
        assertEquals(6, readInts(s.address(), 10)[9]);
        s.release();
        s.release();
        assertTrue(s.isReleased());
    }

    @Test
    void rangesOutsideLiveAllocationsAreRejected() {
        Storage s = device.allocate(16);
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
                () -> device.fill32(s.address() + 8, 1, 3));
        assertTrue(past.getMessage().startsWith("SimDevice.fill32: pointer expected a range inside memory"),
                past.getMessage());
        long address = s.address();
        s.release();
        assertThrows(IllegalArgumentException.class,
                () -> device.copyHostToDevice(MemorySegment.ofArray(new int[4]), address, 16));
        assertThrows(IllegalArgumentException.class, () -> device.gemm(new GemmSpec(false, false, 2, 2, 2, address, 2,
                address, 2, 0, Activation.NONE, 0f, address, 2)));
    }

    @Test
    void capturedWorkReplaysInOrderWithItsOwnArgumentCopies() {
        // counter: fill to 0, then per replay the atomics kernel adds n, and a copy + GEMM follow.
        int n = 300;
        long counter = ints(7), fsum = floats(0f), imax = ints(0), imin = ints(0);
        long cas = ints(0), exch = ints(0);
        long snapshot = zeros(4);
        long a = floats(1, 2, 3, 4), b = floats(1, 0, 0, 1), c = zeros(16);
        DeviceGraph graph;
        try (KernelArgs args = new KernelArgs().pointer(counter).pointer(fsum).pointer(imax).pointer(imin)
                .pointer(cas).pointer(exch).i32(n)) {
            graph = device.capture(() -> {
                device.fill32(fsum, 0, 1);
                device.launch("fb_selftest_atomics", Dim3.of(3), Dim3.of(128), 0, args);
                device.copyDeviceToDevice(counter, snapshot, 4);
                device.gemm(new GemmSpec(false, false, 2, 2, 2, a, 2, b, 2, 0, Activation.NONE, 1f, c, 2));
            });
        }
        // The KernelArgs are closed: replay uses the graph's copy. Nothing ran during capture.
        assertEquals(4, graph.nodeCount());
        assertEquals(7, readInts(counter, 1)[0]);
        try (graph) {
            graph.launch();
            graph.launch();
        }
        assertEquals(7 + 2 * n, readInts(counter, 1)[0]);
        assertEquals(7 + 2 * n, readInts(snapshot, 1)[0]);
        assertEquals(n, readFloats(fsum, 1)[0], "the fill runs before the launch on every replay");
        assertArrayEquals(new float[] {2, 4, 6, 8}, readFloats(c, 4), "C += A I, twice");
        assertThrows(IllegalStateException.class, graph::launch);
    }

    @Test
    void captureChecksArgumentsAndDoesNotNest() {
        long out = zeros(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.capture(() -> {
            try (KernelArgs args = new KernelArgs().pointer(out)) {
                device.launch("fb_selftest_exit_while_waiting", Dim3.of(1), Dim3.of(1), 0, args);
            }
        }));
        assertTrue(e.getMessage().contains("signature pi"), e.getMessage());
        IllegalStateException nested = assertThrows(IllegalStateException.class,
                () -> device.capture(() -> device.capture(() -> { })));
        assertTrue(nested.getMessage().contains("nest"), nested.getMessage());
        // A failed capture leaves the device usable.
        device.fill32(out, 3, 1);
        assertEquals(3, readInts(out, 1)[0]);
    }

    @Test
    void anAsyncCopyIntoPinnedMemoryIsCompleteWhenReturned() {
        long src = floats(1.5f, -2f, 3.25f);
        try (PinnedBuffer pinned = device.allocatePinned(16)) {
            pinned.segment().fill((byte) 0x7f);
            DeviceEvent done = device.copyDeviceToHostAsync(src + 4, pinned, 8);
            assertTrue(done.isComplete(), "the simulator's work is synchronous");
            assertArrayEquals(new float[] {-2f, 3.25f}, pinned.segment().asSlice(0, 8).toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(0x7f7f7f7f, pinned.segment().getAtIndex(ValueLayout.JAVA_INT, 2), "only bytes are written");
            done.close();
            done.close();
            assertThrows(IllegalStateException.class, done::isComplete);
        }
    }

    @Test
    void asyncCopiesRefuseCaptureForeignOrClosedBuffersAndShortOnes() {
        long src = floats(1f, 2f, 3f, 4f);
        PinnedBuffer pinned = device.allocatePinned(8);
        IllegalStateException captured = assertThrows(IllegalStateException.class,
                () -> device.capture(() -> device.copyDeviceToHostAsync(src, pinned, 8)));
        assertEquals("SimDevice.copyDeviceToHostAsync: not allowed while capturing a graph (its completion is polled "
                + "on the host; read between graph launches)", captured.getMessage());
        assertThrows(IllegalStateException.class, () -> device.capture(() -> device.allocatePinned(8)));
        IllegalArgumentException shortBuffer = assertThrows(IllegalArgumentException.class,
                () -> device.copyDeviceToHostAsync(src, pinned, 12));
        assertTrue(shortBuffer.getMessage().startsWith("SimDevice.copyDeviceToHostAsync: dst expected a segment of at "
                + "least 12 bytes but was 8 bytes"), shortBuffer.getMessage());
        assertThrows(IllegalArgumentException.class, () -> device.copyDeviceToHostAsync(src + 12, pinned, 8),
                "source past its allocation");
        try (SimDevice other = new SimDevice(); PinnedBuffer foreign = other.allocatePinned(8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> device.copyDeviceToHostAsync(src, foreign, 8));
            assertTrue(e.getMessage().contains("dst expected an open pinned buffer of this device"), e.getMessage());
        }
        pinned.close();
        assertThrows(IllegalArgumentException.class, () -> device.copyDeviceToHostAsync(src, pinned, 8));
        assertThrows(IllegalStateException.class, pinned::segment);
        assertThrows(IllegalArgumentException.class, () -> device.allocatePinned(0));
    }

    @Test
    void aClosedDeviceRefusesWork() {
        Storage s = device.allocate(8);
        PinnedBuffer pinned = device.allocatePinned(8);
        device.close();
        assertTrue(s.isReleased(), "closing the device releases its memory");
        assertThrows(IllegalStateException.class, pinned::segment, "and its pinned buffers");
        assertThrows(IllegalStateException.class, () -> device.allocate(8));
    }
}
