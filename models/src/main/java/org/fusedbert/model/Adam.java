package org.fusedbert.model;

import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.ParameterLayout.Range;
import org.fusedbert.model.Workspace.Buffer;

/**
 * Adam over one contiguous range of the flat parameter buffer: one fused
 * {@link org.fusedbert.api.Backend#adamStep} per step. The moments are sized for the largest range
 * any phase updates and planned in the run's workspace; {@link #reset} starts a fresh optimizer
 * (as the seed does for each phase) on another range.
 */
public final class Adam {
    private final Parameters params;
    private final Buffer m;
    private final Buffer v;
    private final Buffer step;
    private Range range;
    private AdamConfig config;

    /** Plans moments for ranges of up to {@code maxElements} elements. */
    public Adam(Parameters params, Workspace ws, long maxElements) {
        this.params = params;
        int n = Math.toIntExact(maxElements);
        m = ws.request("adam.m", DType.FLOAT32, n);
        v = ws.request("adam.v", DType.FLOAT32, n);
        step = ws.request("adam.step", DType.INT32, 1);
    }

    /** Zero moments and step, updating {@code range} from now on with {@code config}. */
    public void reset(Range range, AdamConfig config) {
        if (range.length() > m.get().numel()) {
            throw new IllegalArgumentException("Adam.reset: range expected at most " + m.get().numel()
                    + " elements but was " + range.length());
        }
        this.range = range;
        this.config = config;
        params.backend().fill(m.get(), 0.0);
        params.backend().fill(v.get(), 0.0);
        params.backend().fill(step.get(), 0.0);
    }

    /**
     * Continues an earlier optimizer over {@code range}: its moments ({@code range.length()}
     * floats each) and its step.
     */
    public void restore(Range range, AdamConfig config, float[] firstMoments, float[] secondMoments, int stepValue) {
        reset(range, config);
        if (firstMoments.length != range.length() || secondMoments.length != range.length()) {
            throw new IllegalArgumentException("Adam.restore: moments expected " + range.length() + " floats but were "
                    + firstMoments.length + " and " + secondMoments.length);
        }
        moments(m).copyFrom(firstMoments);
        moments(v).copyFrom(secondMoments);
        step.get().copyFrom(new int[] {stepValue});
    }

    /** The range being updated. */
    public Range range() {
        return range;
    }

    /** One update of the range from its gradients. */
    public void step() {
        if (range == null) {
            throw new IllegalStateException("Adam.step: reset(range, config) first");
        }
        params.backend().adamStep(params.values(range), params.grads(range), moments(m), moments(v), step.get(), config);
    }

    private Tensor moments(Buffer b) {
        return b.get().narrow(0, Math.toIntExact(range.length()));
    }

    /** First moments of the range, float32 [range length]. */
    public Tensor firstMoments() {
        return moments(m);
    }

    /** Second moments of the range. */
    public Tensor secondMoments() {
        return moments(v);
    }

    /** The optimizer's step counter, int32 [1]. */
    public Tensor stepCounter() {
        return step.get();
    }
}
