package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.api.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Memory operations of {@link CpuBackend}, and {@link Tensor} / {@link TensorArena} over it. */
class CpuMemoryTest {
    private final CpuBackend cpu = new CpuBackend();

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void allocateIsZeroFilledAligned() {
        try (Tensor t = cpu.allocate(DType.FLOAT32, 3, 5)) {
            assertArrayEquals(new float[15], t.toFloatArray());
            assertEquals(0, t.address() % 64, "64-byte alignment");
            assertTrue(t.isOwner());
            assertEquals("cpu", t.backend().name());
        }
        try (Tensor empty = cpu.allocate(DType.INT32, 0, 4)) {
            assertEquals(0, empty.numel());
            assertArrayEquals(new int[0], empty.toIntArray());
        }
    }

    @Test
    void uploadDownloadRoundTrip() {
        float[] data = {1.5f, -2f, 3.25f, 0f, Float.MIN_VALUE, -0f};
        try (Tensor t = cpu.allocate(DType.FLOAT32, 2, 3)) {
            t.copyFrom(data);
            float[] back = new float[6];
            cpu.download(t, MemorySegment.ofArray(back));
            assertArrayEquals(data, back);
        }
        try (Tensor t = cpu.allocate(DType.INT32, 4)) {
            t.copyFrom(new int[] {7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE});
            assertArrayEquals(new int[] {7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, t.toIntArray());
        }
    }

    @Test
    void fillCopyIncrement() {
        try (Tensor f = cpu.allocate(DType.FLOAT32, 5001); Tensor g = cpu.allocate(DType.FLOAT32, 5001);
             Tensor i = cpu.allocate(DType.INT32, 3); Tensor counter = cpu.allocate(DType.INT32, 1)) {
            cpu.fill(f, 0.1);
            for (float x : f.toFloatArray()) {
                assertEquals(0.1f, x);
            }
            cpu.copy(f, g);
            assertArrayEquals(f.toFloatArray(), g.toFloatArray());
            cpu.fill(f, 0);
            assertArrayEquals(new float[5001], f.toFloatArray());
            assertEquals(0.1f, g.getFloat(5000), "copy is not a view");
            cpu.fill(i, -3);
            assertArrayEquals(new int[] {-3, -3, -3}, i.toIntArray());
            cpu.increment(counter);
            cpu.increment(counter);
            assertEquals(2, counter.getInt(0));
            assertEquals(2f, counter.item());
        }
    }

    @Test
    void viewsAndNarrowShareMemoryAndNeverFree() {
        try (Tensor t = cpu.allocate(DType.FLOAT32, 4, 3)) {
            t.copyFrom(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
            Tensor flat = t.view(-1);
            assertArrayEquals(new int[] {12}, flat.shape());
            assertEquals(1, flat.rows(), "a vector is one row");
            assertEquals(4, t.rows());
            assertEquals(6, t.view(2, 3, 2).rows(), "all dimensions but the last");
            Tensor rows = t.narrow(1, 2);
            assertArrayEquals(new int[] {2, 3}, rows.shape());
            assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, rows.toFloatArray());
            cpu.fill(rows, -1);
            assertArrayEquals(new float[] {0, 1, 2, -1, -1, -1, -1, -1, -1, 9, 10, 11}, flat.toFloatArray());
            rows.close();
            flat.close();
            assertFalse(t.isClosed(), "closing a view must not free the owner");
            assertThrows(IllegalArgumentException.class, () -> t.view(5, 5));
            assertThrows(IllegalArgumentException.class, () -> t.narrow(3, 2));
        }
    }

    @Test
    void useAfterCloseIsRejected() {
        Tensor t = cpu.allocate(DType.FLOAT32, 8);
        Tensor v = t.view(2, 4);
        t.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        assertTrue(v.isClosed());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, () -> v.view(8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.fill(v, 1));
        assertEquals("fill: t expected an open tensor but was closed", e.getMessage());
    }

    @Test
    void arenaHandsOutAlignedZeroedViewsAndFreesAtOnce() {
        TensorArena arena = new TensorArena(cpu, TensorArena.bytesFor(12, 400, 4));
        Tensor a = arena.allocate(DType.FLOAT32, 3);
        Tensor b = arena.allocate(DType.INT32, 10, 10);
        Tensor c = arena.allocate(DType.FLOAT32, 1);
        assertEquals(0, (b.address() - a.address()) % TensorArena.ALIGNMENT);
        assertEquals(TensorArena.ALIGNMENT, b.address() - a.address());
        assertArrayEquals(new int[100], b.toIntArray());
        cpu.fill(a, 2);
        cpu.fill(c, 3);
        assertArrayEquals(new int[100], b.toIntArray(), "neighbours untouched");
        assertThrows(IllegalStateException.class, () -> arena.allocate(DType.FLOAT32, 1));
        assertFalse(a.isOwner());
        arena.close();
        assertTrue(a.isClosed() && b.isClosed() && c.isClosed());
    }

    @Test
    void tensorsOfAnotherBackendAreRejected() {
        CpuBackend other = new CpuBackend();
        try (Tensor mine = cpu.allocate(DType.FLOAT32, 2); Tensor theirs = other.allocate(DType.FLOAT32, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.copy(theirs, mine));
            assertEquals("copy: src expected a tensor of backend cpu but was one of another cpu instance", e.getMessage());
        }
    }
}
