package org.fusedbert.testing;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Central finite differences of a float64 scalar function, {@code (f(x + h e_i) - f(x - h e_i)) / 2h},
 * for checking analytic gradients. The truncation error is O(h^2 f''') and the rounding error
 * O(1e-16 |f| / h): with h around 1e-4..1e-3 and float64 references the estimate is good to
 * about 1e-8, far below float32 gradients' own error.
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /** The derivative of {@code f} along element {@code i} of {@code x} ({@code x} is restored). */
    public static double partial(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double saved = x[i];
        x[i] = saved + h;
        double plus = f.applyAsDouble(x);
        x[i] = saved - h;
        double minus = f.applyAsDouble(x);
        x[i] = saved;
        return (plus - minus) / (2 * h);
    }

    /** The full gradient of {@code f} at {@code x}. */
    public static double[] gradient(ToDoubleFunction<double[]> f, double[] x, double h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            g[i] = partial(f, x, i, h);
        }
        return g;
    }

    /**
     * Indices at which to check a gradient: all of them when there are at most {@code max},
     * else {@code max} distinct ones drawn from {@code rnd}, always including the first and last.
     */
    public static int[] sample(Random rnd, int n, int max) {
        if (n <= max) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        java.util.TreeSet<Integer> picked = new java.util.TreeSet<>();
        picked.add(0);
        picked.add(n - 1);
        while (picked.size() < max) {
            picked.add(rnd.nextInt(n));
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Asserts that {@code analytic[i]} matches the central difference of {@code f} at each sampled
     * {@code i}, within {@code atol + rtol * |fd|}.
     */
    public static void check(String what, ToDoubleFunction<double[]> f, double[] x, float[] analytic, int[] at,
                             double h, double atol, double rtol) {
        double[] expected = new double[at.length];
        double[] actual = new double[at.length];
        for (int t = 0; t < at.length; t++) {
            expected[t] = partial(f, x, at[t], h);
            actual[t] = analytic[at[t]];
        }
        Approx.assertClose(what + " (finite differences at sampled indices)", expected, actual, atol, rtol);
    }

    /** {@code sum_i w[i] * y[i]}: a scalar loss whose gradient with respect to y is w. */
    public static double dot(double[] w, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += w[i] * y[i];
        }
        return s;
    }
}
