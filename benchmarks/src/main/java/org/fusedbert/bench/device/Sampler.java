package org.fusedbert.bench.device;

import java.util.function.IntConsumer;

/**
 * How every time in the report is taken, on our side and (in {@code peers.py}) on PyTorch's:
 * {@code warmup} calls, then {@code samples} samples, each the time of {@code inner} back-to-back
 * calls between two events divided by {@code inner}; call {@code i} uses input slot
 * {@code i % slots}, so consecutive calls read different buffers and caches do not flatter anyone.
 *
 * @param warmup  calls before the first sample
 * @param samples samples taken
 * @param inner   calls per sample
 */
public record Sampler(int warmup, int samples, int inner) {
    public Sampler {
        if (warmup < 0 || samples < 1 || inner < 1) {
            throw new IllegalArgumentException("Sampler: warmup >= 0, samples >= 1, inner >= 1 expected but was "
                    + warmup + ", " + samples + ", " + inner);
        }
    }

    /** Milliseconds per call of {@code call(slot)}, one value per sample. */
    public double[] run(Target target, int slots, IntConsumer call) {
        int[] next = {0};
        for (int i = 0; i < warmup; i++) {
            call.accept(next[0]++ % slots);
        }
        target.backend().synchronize();
        double[] out = new double[samples];
        for (int s = 0; s < samples; s++) {
            out[s] = target.millis(() -> {
                for (int i = 0; i < inner; i++) {
                    call.accept(next[0]++ % slots);
                }
            }) / inner;
        }
        return out;
    }
}
