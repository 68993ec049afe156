package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.sim.SimDevice;
import org.fusedbert.testing.GpuLikeDevice;
import org.junit.jupiter.api.Test;

/**
 * The epoch's loss windows: on the CPU each is read as it fills; on a device whose reads lag they
 * come later, in order, windows grow while {@link LossReadback#MAX_IN_FLIGHT} reads are out, and
 * only {@link LossReadback#drain} waits.
 */
class LossReadbackTest {
    private static final int STEPS = 11;
    private static final int BATCH = 2;

    /** Resident data of {@code 2 * STEPS - 1} rows (odd: the last batch wraps) with losses 1, 2, ..., STEPS. */
    private static ResidentData data(Backend be) {
        int rows = 2 * STEPS - 1;
        ResidentData data = new ResidentData("losses", be, Examples.of(new int[rows * 3], new int[rows], 3), false, BATCH);
        assertEquals(STEPS, data.steps());
        float[] losses = new float[STEPS];
        for (int i = 0; i < STEPS; i++) {
            losses[i] = i + 1;
        }
        data.losses().copyFrom(losses);
        return data;
    }

    /** Sum of the losses of steps [from, to). */
    private static double sum(int from, int to) {
        return (double) (to * (to + 1) - from * (from + 1)) / 2;
    }

    @Test
    void onTheCpuEveryWindowIsReadAsItFills() {
        try (Backend be = new CpuBackend(); ResidentData data = data(be)) {
            LossReadback reads = new LossReadback(data, 1, 3);
            List<LossReadback.Window> windows = new ArrayList<>();
            for (int done = 2; done <= STEPS; done++) {
                List<LossReadback.Window> got = reads.afterStep(done, 100 + done);
                assertEquals((done - 1) % 3 == 0 ? 1 : 0, got.size(), "after step " + done);
                windows.addAll(got);
            }
            windows.addAll(reads.drain(STEPS, 100 + STEPS));
            assertEquals(List.of(new LossReadback.Window(1, 4, 104, sum(1, 4)), new LossReadback.Window(4, 7, 107, sum(4, 7)),
                    new LossReadback.Window(7, 10, 110, sum(7, 10)), new LossReadback.Window(10, 11, 111, sum(10, 11))),
                    windows, "a resumed epoch's windows start at its first step");
        }
    }

    @Test
    void onALaggingDeviceWindowsComeLateInOrderGrowWhileReadsAreOutAndOnlyTheDrainWaits() {
        GpuLikeDevice device = new GpuLikeDevice(new SimDevice(), 2);
        try (DeviceBackend be = DeviceBackend.owning(device); ResidentData data = data(be)) {
            LossReadback reads = new LossReadback(data, 0, 1);
            device.forbidHostWaits("inside the epoch");
            List<LossReadback.Window> windows = new ArrayList<>();
            List<Integer> seenAfter = new ArrayList<>();
            for (int done = 1; done <= 9; done++) {
                for (LossReadback.Window w : reads.afterStep(done, done)) {
                    windows.add(w);
                    seenAfter.add(done);
                }
                assertTrue(reads.inFlight() <= LossReadback.MAX_IN_FLIGHT);
            }
            // Each read is done at its third poll; only the oldest is polled, once per step.
            assertEquals(List.of(3, 5, 7, 9), seenAfter);
            assertEquals(3, reads.inFlight());
            device.forbidHostWaits(null);
            windows.addAll(reads.drain(STEPS, STEPS));
            assertEquals(1, device.synchronizeCalls(), "the drain's one wait");
            assertEquals(0, reads.inFlight());
            // The window due after the seventh step waited (four reads were out) and grew to [6, 8).
            assertEquals(List.of(List.of(0, 1), List.of(1, 2), List.of(2, 3), List.of(3, 4), List.of(4, 5), List.of(5, 6),
                    List.of(6, 8), List.of(8, 11)), windows.stream().map(w -> List.of(w.from(), w.to())).toList());
            for (LossReadback.Window w : windows) {
                assertEquals(sum(w.from(), w.to()), w.lossSum(), w.toString());
                assertEquals(w.to(), w.step(), "the step counter when the window's read started");
            }
            assertTrue(be.readSlots() <= LossReadback.MAX_IN_FLIGHT + 1, "slots: " + be.readSlots());
        }
    }

    @Test
    void aReadTheBackendRefusesLeavesNoWindowBehind() {
        try (SimDevice device = new SimDevice(); DeviceBackend be = new DeviceBackend(device); ResidentData data = data(be)) {
            LossReadback reads = new LossReadback(data, 0, 2);
            reads.afterStep(1, 1);
            assertThrows(IllegalStateException.class, () -> device.capture(() -> reads.afterStep(2, 2)));
            assertEquals(List.of(new LossReadback.Window(0, 2, 2, sum(0, 2))), reads.afterStep(2, 2),
                    "the refused read is issued again after the capture");
        }
    }
}
