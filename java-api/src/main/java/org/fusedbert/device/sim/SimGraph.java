package org.fusedbert.device.sim;

import java.lang.foreign.Arena;
import java.util.List;
import org.fusedbert.device.DeviceGraph;

/**
 * Work recorded by {@link SimDevice#capture}: launches (with copies of their argument values),
 * GEMMs, copies and fills, replayed in order; pointers are checked again on every replay.
 */
final class SimGraph implements DeviceGraph {
    private final SimDevice device;
    private final List<Runnable> nodes;
    private final Arena arena;
    private boolean closed;

    SimGraph(SimDevice device, List<Runnable> nodes, Arena arena) {
        this.device = device;
        this.nodes = nodes;
        this.arena = arena;
    }

    @Override
    public void launch() {
        if (closed) {
            throw new IllegalStateException("SimGraph.launch: graph is closed");
        }
        device.checkOpen("graph launch");
        for (Runnable node : nodes) {
            node.run();
        }
    }

    @Override
    public int nodeCount() {
        return nodes.size();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
