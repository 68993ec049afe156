package org.fusedbert.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.api.PendingRead;
import org.fusedbert.api.Tensor;

/**
 * One epoch's step losses ({@link ResidentData#losses()}), read back in windows without making the
 * host wait for the backend: a full window starts an asynchronous read ({@link Backend#readAsync})
 * and the loop goes on issuing steps; after every step the oldest read is polled and, once done,
 * its window is handed on. The losses a window reads are not written again within the epoch, and
 * the read takes its place in the backend's order, so it needs no snapshot of its own.
 *
 * <p>At most {@link #MAX_IN_FLIGHT} reads are in flight: when the backend lags further behind,
 * the next window grows until a read finishes, so nothing waits and the backend's pinned slots
 * stay few. {@link #drain} ends the epoch (or the stretch before a checkpoint) with the one wait.
 */
final class LossReadback {
    /** Reads in flight at most; more would only show older losses. */
    static final int MAX_IN_FLIGHT = 4;

    /**
     * Steps {@code [from, to)} of the epoch, read.
     *
     * @param step    the step counter after the window's last step
     * @param lossSum the sum of the window's losses, in step order
     */
    record Window(int from, int to, long step, double lossSum) {
        int steps() {
            return to - from;
        }

        double meanLoss() {
            return lossSum / steps();
        }
    }

    private record InFlight(int from, int to, long step, PendingRead read) {
    }

    private final Backend backend;
    private final Tensor losses;
    private final int every;
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private int issuedTo;

    /**
     * @param firstStep the epoch's first step to run (where a resumed run continues)
     * @param every     steps per window
     */
    LossReadback(ResidentData data, int firstStep, int every) {
        this.backend = data.backend();
        this.losses = data.losses();
        this.issuedTo = firstStep;
        this.every = every;
    }

    /**
     * After the step that brought the epoch to {@code done} steps (the step counter now
     * {@code step}): starts a read when a window is full and fewer than {@link #MAX_IN_FLIGHT} are
     * in flight, then returns the windows whose reads are done, oldest first (often none).
     */
    List<Window> afterStep(int done, long step) {
        if (done - issuedTo >= every && inFlight.size() < MAX_IN_FLIGHT) {
            issue(done, step);
        }
        return finished(false);
    }

    /** Reads steps up to {@code done}, waits for the backend once, and returns every window not yet returned. */
    List<Window> drain(int done, long step) {
        if (done > issuedTo) {
            issue(done, step);
        }
        if (!inFlight.isEmpty()) {
            backend.synchronize();
        }
        return finished(true);
    }

    /** Reads started and not yet returned. */
    int inFlight() {
        return inFlight.size();
    }

    private void issue(int to, long step) {
        inFlight.addLast(new InFlight(issuedTo, to, step, backend.readAsync(losses.narrow(issuedTo, to - issuedTo))));
        issuedTo = to;
    }

    private List<Window> finished(boolean all) {
        List<Window> done = List.of();
        // The backend runs in order: once the oldest read is not done, no later one is.
        while (!inFlight.isEmpty() && inFlight.peekFirst().read().isDone()) {
            InFlight f = inFlight.removeFirst();
            double sum = 0;
            try (PendingRead read = f.read()) {
                for (int i = 0; i < read.numel(); i++) {
                    sum += read.floatAt(i);
                }
            }
            if (done.isEmpty()) {
                done = new ArrayList<>();
            }
            done.add(new Window(f.from(), f.to(), f.step(), sum));
        }
        if (all && !inFlight.isEmpty()) {
            throw new IllegalStateException("LossReadback.drain: reads expected done after synchronize but "
                    + inFlight.size() + " were still in flight");
        }
        return done;
    }
}
