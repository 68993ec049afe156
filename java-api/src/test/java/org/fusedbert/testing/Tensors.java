package org.fusedbert.testing;

import java.util.Random;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;

/** Making test tensors from host arrays and random numbers, and reading them back as float64. */
public final class Tensors {
    private Tensors() {
    }

    /** {@code n} uniform floats in {@code [-scale, scale)}. */
    public static float[] uniform(Random rnd, int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (rnd.nextFloat() * 2f - 1f) * scale;
        }
        return x;
    }

    /** {@code n} ints uniform in {@code [lo, hi)}. */
    public static int[] ints(Random rnd, int n, int lo, int hi) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + rnd.nextInt(hi - lo);
        }
        return x;
    }

    /** A float32 tensor holding {@code data}. */
    public static Tensor of(Backend backend, float[] data, int... shape) {
        return backend.allocate(DType.FLOAT32, shape).copyFrom(data);
    }

    /** An int32 tensor holding {@code data}. */
    public static Tensor of(Backend backend, int[] data, int... shape) {
        return backend.allocate(DType.INT32, shape).copyFrom(data);
    }

    /** A float32 tensor of uniform values in {@code [-scale, scale)}. */
    public static Tensor uniform(Backend backend, Random rnd, float scale, int... shape) {
        return of(backend, uniform(rnd, Math.toIntExact(Tensor.countElements(shape)), scale), shape);
    }

    /** The float array widened to float64 (exactly). */
    public static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** A float tensor's elements as float64. */
    public static double[] doubles(Tensor t) {
        return widen(t.toFloatArray());
    }
}
