package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusedbert.device.DeviceGraph;
import org.junit.jupiter.api.Test;

/** The runner's protocol: eager once, capture once, replay; graphs dropped when a new key runs eagerly. */
class CapturingStepRunnerTest {
    /** A graph that records what it was captured from and how often it is launched. */
    private static final class RecordedGraph implements DeviceGraph {
        final Runnable body;
        int launches;
        boolean closed;

        RecordedGraph(Runnable body) {
            this.body = body;
        }

        @Override
        public void launch() {
            if (closed) {
                throw new IllegalStateException("launch of a closed graph");
            }
            launches++;
            body.run();
        }

        @Override
        public int nodeCount() {
            return 1;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void runsEagerlyOnceThenCapturesAndReplaysAndRecapturesAfterANewKey() {
        List<RecordedGraph> captured = new ArrayList<>();
        int[] pretrain = {0};
        int[] classify = {0};
        try (CapturingStepRunner runner = new CapturingStepRunner(body -> {
            RecordedGraph g = new RecordedGraph(body);
            captured.add(g);
            return g;
        })) {
            for (int i = 0; i < 4; i++) {
                runner.run("pretrain", () -> pretrain[0]++);
            }
            assertEquals(4, pretrain[0], "every call runs the step once (eager, then through the graph)");
            assertEquals(1, captured.size());
            assertEquals(3, captured.get(0).launches);

            runner.run("classifier", () -> classify[0]++);
            assertTrue(captured.get(0).closed, "a new key's eager run may move the scratch: older graphs are dropped");
            assertEquals(0, runner.graphCount());

            runner.run("pretrain", () -> pretrain[0]++);
            assertEquals(2, captured.size(), "captured again, not run eagerly again");
            assertEquals(5, pretrain[0]);
            runner.run("classifier", () -> classify[0]++);
            assertEquals(2, classify[0]);
            assertEquals(3, captured.size());
            assertEquals(2, runner.graphCount());
        }
        assertTrue(captured.stream().allMatch(g -> g.closed), "closing the runner frees every graph");
    }
}
