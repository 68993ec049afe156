package org.fusedbert.bench.device;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;

/**
 * Random inputs for the kernel benchmarks (never zero-filled buffers: a kernel fed zeros can be
 * faster than on real data, e.g. through denormal-free arithmetic or compressed memory). Floats
 * come from one host pool of uniform values in [-1, 1), uploaded from a moving offset so that
 * every buffer gets different values without generating each one.
 */
final class RandomData {
    private static final int POOL = 1 << 22;
    private final float[] pool = new float[POOL];
    private final SplittableRandom random;
    private int cursor;

    RandomData(long seed) {
        random = new SplittableRandom(seed);
        for (int i = 0; i < POOL; i++) {
            pool[i] = (float) (2 * random.nextDouble() - 1);
        }
    }

    /** A new float32 tensor of {@code shape} filled with {@code scale} times uniform values in [-1, 1). */
    Tensor floats(Backend be, float scale, int... shape) {
        return floats(be, scale, 0f, shape);
    }

    /** A new float32 tensor of {@code shape} filled with {@code center + scale * u}, u uniform in [-1, 1). */
    Tensor floats(Backend be, float scale, float center, int... shape) {
        Tensor t = be.allocate(DType.FLOAT32, shape);
        fill(t, scale, center);
        return t;
    }

    /** Overwrites {@code t} (float32) with {@code center + scale * u}, u from the pool at the next offset. */
    void fill(Tensor t, float scale, float center) {
        long n = t.numel();
        Tensor flat = t.view(Math.toIntExact(n));
        float[] chunk = new float[(int) Math.min(n, POOL / 2)];
        long done = 0;
        while (done < n) {
            int count = (int) Math.min(chunk.length, n - done);
            for (int i = 0; i < count; i++) {
                chunk[i] = center + scale * pool[(cursor + i) & (POOL - 1)];
            }
            cursor = (cursor + 7919 + count) & (POOL - 1);
            t.backend().upload(MemorySegment.ofArray(chunk), DType.FLOAT32, count,
                    flat.narrow(Math.toIntExact(done), count));
            done += count;
        }
    }

    /** A new int32 tensor of {@code shape} with values uniform in [from, to). */
    Tensor ints(Backend be, int from, int to, int... shape) {
        Tensor t = be.allocate(DType.INT32, shape);
        int[] v = new int[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextInt(from, to);
        }
        t.copyFrom(v);
        return t;
    }

    /** An int32 tensor from host values. */
    static Tensor ints(Backend be, int[] values, int... shape) {
        Tensor t = be.allocate(DType.INT32, shape);
        t.copyFrom(values);
        return t;
    }

    /** A uniform int in [from, to). */
    int nextInt(int from, int to) {
        return random.nextInt(from, to);
    }
}
