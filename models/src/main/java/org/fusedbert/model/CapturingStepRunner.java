package org.fusedbert.model;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.fusedbert.device.DeviceGraph;

/**
 * Issues each kind of step through a captured graph: the first call of a key runs eagerly (it
 * sizes the kernels' scratch memory and checks the arguments), the second captures the step and
 * launches the graph, every later call only launches it. Correct because a step's body is the
 * same sequence of operations on the same tensors every time, its varying inputs (batch index,
 * step counter, Adam's step) being read on the device.
 *
 * <p>A new key's eager run may grow the device's scratch memory, which moves it; graphs captured
 * before hold the old address, so they are all dropped then and captured again at their next use
 * (new keys come only when a phase starts, so this costs a few captures per run).
 */
public final class CapturingStepRunner implements Trainer.StepRunner, AutoCloseable {
    private final Function<Runnable, DeviceGraph> capture;
    private final Map<String, DeviceGraph> graphs = new HashMap<>();
    private final Map<String, Integer> eagerRuns = new HashMap<>();

    /** @param capture records what a body issues into a graph (a device's {@code capture}) */
    public CapturingStepRunner(Function<Runnable, DeviceGraph> capture) {
        this.capture = capture;
    }

    @Override
    public void run(String key, Runnable step) {
        DeviceGraph graph = graphs.get(key);
        if (graph == null) {
            if (eagerRuns.merge(key, 1, Integer::sum) == 1) {
                step.run();
                close();
                return;
            }
            graph = capture.apply(step);
            graphs.put(key, graph);
        }
        graph.launch();
    }

    /** Graphs captured so far. */
    public int graphCount() {
        return graphs.size();
    }

    /** Frees every graph. */
    @Override
    public void close() {
        graphs.values().forEach(DeviceGraph::close);
        graphs.clear();
    }
}
