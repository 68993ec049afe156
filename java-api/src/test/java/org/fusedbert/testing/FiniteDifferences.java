package org.fusedbert.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Central finite differences of a float64 scalar function, {@code (f(x + h e_i) - f(x - h e_i)) / 2h},
 * for checking analytic gradients. The truncation error is O(h^2 f''') and the rounding error
 * O(1e-16 |f| / h): with h around 1e-4..1e-3 and float64 references the estimate is good to
 * about 1e-8, far below float32 gradients' own error. Near a kink (ReLU, max) it is not: see
 * {@link #check} for how such points are recognised and skipped.
 */
public final class FiniteDifferences {
    /** At most this fraction of a check's points may be skipped as non-smooth (at least one always may). */
    public static final double MAX_SKIPPED_FRACTION = 0.1;
    /**
     * Times {@link #check} shrinks the step by 8 at a disagreeing point: down to h/32768, where
     * float64 rounding (about 1e-16 |f| / step) still stays far below the tolerances.
     */
    public static final int REFINEMENTS = 5;

    private FiniteDifferences() {
    }

    /** The derivative of {@code f} along element {@code i} of {@code x} ({@code x} is restored). */
    public static double partial(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double[] sides = sides(f, x, i, h);
        return (sides[0] - sides[1]) / (2 * h);
    }

    /** {@code {f(x + h e_i), f(x - h e_i)}}, {@code x} restored. */
    private static double[] sides(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double saved = x[i];
        x[i] = saved + h;
        double plus = f.applyAsDouble(x);
        x[i] = saved - h;
        double minus = f.applyAsDouble(x);
        x[i] = saved;
        return new double[] {plus, minus};
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
     * Asserts that {@code analytic[i]} matches the derivative of {@code f} at each sampled {@code i},
     * within {@code atol + rtol * |fd|}, for functions that may have kinks (ReLU, max pooling).
     *
     * <p>A central difference with step h is wrong where a kink lies within h of the point, and
     * one kink spoils every sampled input it depends on (a ReLU pre-activation near 0 spoils its
     * whole input row). So where the analytic value disagrees with {@code fd(h)}, the step shrinks
     * by 8 at a time, down to {@code h / 8^}{@value #REFINEMENTS}: the point passes as soon as the
     * analytic value matches the central difference; it fails once the function is smooth at the
     * step (forward and backward differences agree with each other and with the central one, so
     * no kink lies within it and the estimate is good) and still disagrees; and it is
     * <em>skipped</em> as non-smooth if even the smallest step has a kink within it (the analytic
     * gradient then takes one side of the kink, as float32 and float64 may differently when a
     * pre-activation is within rounding of 0). Skips are counted and printed; more than
     * {@link #MAX_SKIPPED_FRACTION} of the points (at least one is always allowed) fail too, so a
     * wrong gradient cannot pass as a kink.
     */
    public static void check(String what, ToDoubleFunction<double[]> f, double[] x, float[] analytic, int[] at,
                             double h, double atol, double rtol) {
        List<String> failed = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        double worst = 0;
        for (int i : at) {
            double a = analytic[i];
            double coarse = partial(f, x, i, h);
            if (close(a, coarse, atol, rtol)) {
                continue;
            }
            double center = f.applyAsDouble(x);
            double step = h;
            boolean smooth = false;
            double estimate = coarse;
            for (int level = 1; level <= REFINEMENTS && !smooth; level++) {
                step /= 8;
                double[] sides = sides(f, x, i, step);
                estimate = (sides[0] - sides[1]) / (2 * step);
                double forward = (sides[0] - center) / step;
                double backward = (center - sides[1]) / step;
                smooth = close(forward, backward, atol, rtol) && close(estimate, forward, atol, rtol);
                if (close(a, estimate, atol, rtol)) {
                    estimate = Double.NaN;
                    break;
                }
            }
            if (Double.isNaN(estimate)) {
                continue;
            }
            String point = "element " + i + ": analytic " + a + ", fd(h) " + coarse + ", fd(" + step + ") " + estimate;
            if (smooth) {
                failed.add(point);
                worst = Math.max(worst, Math.abs(a - estimate));
            } else {
                skipped.add(point);
            }
        }
        int allowed = Math.max(1, (int) (MAX_SKIPPED_FRACTION * at.length));
        if (!failed.isEmpty()) {
            fail(what + " (finite differences at sampled indices, atol " + atol + ", rtol " + rtol + "): "
                    + failed.size() + " of " + at.length + " points off, worst error " + worst + "; first "
                    + failed.get(0) + (skipped.isEmpty() ? "" : "; " + skipped.size() + " skipped as non-smooth"));
        }
        if (skipped.size() > allowed) {
            fail(what + ": " + skipped.size() + " of " + at.length + " points have a kink within "
                    + h / Math.pow(8, REFINEMENTS) + " (at most " + allowed + " may): " + skipped);
        }
        if (!skipped.isEmpty()) {
            System.out.println("[fd] " + what + ": skipped " + skipped.size() + " of " + at.length
                    + " points with a kink within " + h / Math.pow(8, REFINEMENTS) + ": " + skipped);
        }
    }

    private static boolean close(double actual, double expected, double atol, double rtol) {
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
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
