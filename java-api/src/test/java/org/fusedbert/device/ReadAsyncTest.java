package org.fusedbert.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.PendingRead;
import org.fusedbert.api.Tensor;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.sim.SimDevice;
import org.fusedbert.testing.GpuLikeDevice;
import org.fusedbert.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#readAsync} on the CPU, on {@code DeviceBackend(SimDevice)} and on a device whose
 * reads lag as a GPU's do: the values are those at the read's place in the order, a read is polled
 * without waiting, and the device backend reuses its pinned slots.
 */
class ReadAsyncTest {
    private static Backend open(String kind) {
        return switch (kind) {
            case "cpu" -> new CpuBackend();
            case "sim" -> DeviceBackend.owning(new SimDevice());
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "sim"})
    void aReadHasTheValuesOfItsPlaceInTheOrderAndIsDoneAtOnceHere(String kind) {
        try (Backend be = open(kind); TensorScope scope = new TensorScope(be)) {
            Tensor t = scope.of(new float[] {1.5f, -2f, 3f, 4f, 5.25f}, 5);
            Tensor ids = scope.of(new int[] {7, -1, 30000}, 3);
            try (PendingRead r = be.readAsync(t.narrow(1, 3)); PendingRead i = be.readAsync(ids)) {
                be.fill(t, 9);
                be.fill(ids, 0);
                assertTrue(r.isDone(), "work on this backend is done when issued");
                assertEquals(DType.FLOAT32, r.dtype());
                assertEquals(3, r.numel());
                assertArrayEquals(new float[] {-2f, 3f, 4f}, r.toFloatArray(), "not the fill issued after the read");
                assertEquals(4f, r.floatAt(2));
                assertEquals(30000, i.intAt(2));
                IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> i.floatAt(0));
                assertEquals("PendingRead.floatAt: dtype expected FLOAT32 but was INT32", dtype.getMessage());
                IllegalArgumentException index = assertThrows(IllegalArgumentException.class, () -> r.floatAt(3));
                assertEquals("PendingRead.floatAt: i expected in [0, 3) but was 3", index.getMessage());
                r.close();
                assertThrows(IllegalStateException.class, r::isDone);
                assertThrows(IllegalStateException.class, () -> r.floatAt(0));
            }
            try (Backend other = new CpuBackend(); TensorScope foreign = new TensorScope(other)) {
                Tensor elsewhere = foreign.zeros(DType.FLOAT32, 2);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.readAsync(elsewhere));
                assertTrue(e.getMessage().startsWith("readAsync: src expected a tensor of backend " + kind),
                        e.getMessage());
            }
        }
    }

    @Test
    void aLaggingReadIsPolledWithoutWaitingAndIsDoneAfterASynchronize() {
        GpuLikeDevice device = new GpuLikeDevice(new SimDevice(), 2);
        try (DeviceBackend be = DeviceBackend.owning(device); TensorScope scope = new TensorScope(be)) {
            Tensor losses = scope.of(new float[] {6.5f, 6.25f, 6f}, 3);
            device.forbidHostWaits("reads must not wait");
            PendingRead first = be.readAsync(losses);
            IllegalStateException early = assertThrows(IllegalStateException.class, () -> first.floatAt(0));
            assertEquals("PendingRead.floatAt: read expected done (poll isDone() first) but was still in flight",
                    early.getMessage());
            assertFalse(first.isDone());
            assertTrue(first.isDone(), "done at the third poll");
            assertArrayEquals(new float[] {6.5f, 6.25f, 6f}, first.toFloatArray());
            first.close();

            PendingRead second = be.readAsync(losses.narrow(2, 1));
            assertFalse(second.isDone());
            device.forbidHostWaits(null);
            be.synchronize();
            assertTrue(second.isDone(), "every read issued before a synchronize is done after it");
            assertEquals(6f, second.floatAt(0));
            second.close();
            assertEquals(1, device.synchronizeCalls());
            assertEquals(1, device.blockingCopies(), "only the upload of the tensor's values");
        }
    }

    @Test
    void theDeviceBackendReusesItsPinnedSlotsOnceWarm() {
        GpuLikeDevice device = new GpuLikeDevice(new SimDevice(), 0);
        try (DeviceBackend be = DeviceBackend.owning(device); TensorScope scope = new TensorScope(be)) {
            Tensor small = scope.zeros(DType.FLOAT32, 10);
            Tensor large = scope.zeros(DType.FLOAT32, 1001);
            for (int i = 0; i < 20; i++) {
                try (PendingRead r = be.readAsync(small)) {
                    assertTrue(r.isDone());
                }
            }
            assertEquals(1, be.readSlots(), "sequential reads share one slot");
            PendingRead a = be.readAsync(small);
            PendingRead b = be.readAsync(small);
            assertEquals(2, be.readSlots(), "reads in flight at once hold a slot each");
            a.close();
            b.close();
            try (PendingRead r = be.readAsync(large)) {
                assertTrue(r.isDone());
            }
            assertEquals(3, be.readSlots(), "a read larger than every slot gets one of its own");
            for (int i = 0; i < 5; i++) {
                try (PendingRead r = be.readAsync(i % 2 == 0 ? large : small); PendingRead s = be.readAsync(small)) {
                    assertTrue(r.isDone() && s.isDone());
                }
            }
            assertEquals(3, be.readSlots());
            assertEquals(3, device.pinnedAllocations());
        }
    }

    @Test
    void aReadInsideACapturedGraphIsRefused() {
        try (SimDevice device = new SimDevice(); DeviceBackend be = new DeviceBackend(device);
             TensorScope scope = new TensorScope(be)) {
            Tensor t = scope.zeros(DType.FLOAT32, 4);
            be.readAsync(t).close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> device.capture(() -> be.readAsync(t)));
            assertTrue(e.getMessage().contains("not allowed while capturing a graph"), e.getMessage());
            try (PendingRead r = be.readAsync(t)) {
                assertTrue(r.isDone(), "the refused read gave its slot back");
            }
            assertEquals(1, be.readSlots());
        }
    }
}
