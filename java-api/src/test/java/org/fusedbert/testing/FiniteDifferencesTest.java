package org.fusedbert.testing;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * {@link FiniteDifferences#check} on functions with kinks: a kink within the step is resolved by
 * smaller steps, a kink at the point itself is skipped (and only a few may be), and a wrong
 * gradient fails whether or not a kink is near.
 */
class FiniteDifferencesTest {
    private static final double H = 1e-3;
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-4;
    private static final int N = 20;

    /** Points in [-1, 1] and weights in [0.5, 1.5), fixed. */
    private static final double[] X = new double[N];
    private static final double[] W = new double[N];

    static {
        for (int j = 0; j < N; j++) {
            X[j] = Math.sin(3.7 * j + 1);
            W[j] = 0.5 + (j * 0.37) % 1.0;
        }
    }

    /** {@code f(x) = sum_j w_j relu(x_j - kink_j)}. */
    private static ToDoubleFunction<double[]> relus(double[] kink) {
        return x -> {
            double s = 0;
            for (int j = 0; j < N; j++) {
                s += W[j] * Math.max(0, x[j] - kink[j]);
            }
            return s;
        };
    }

    /** Kinks at {@code offset[j] * H} below each point, so the point lies on the rising side when positive. */
    private static double[] kinksBelow(double fraction) {
        double[] kink = new double[N];
        for (int j = 0; j < N; j++) {
            kink[j] = X[j] - (j % 2 == 0 ? fraction : -fraction) * H;
        }
        return kink;
    }

    /** The exact gradient of {@link #relus}: w_j above the kink, 0 below (relu'(0) taken as 0). */
    private static float[] gradient(double[] kink) {
        float[] g = new float[N];
        for (int j = 0; j < N; j++) {
            g[j] = X[j] > kink[j] ? (float) W[j] : 0f;
        }
        return g;
    }

    private static int[] all() {
        return FiniteDifferences.sample(null, N, N);
    }

    @Test
    void aKinkWithinTheStepIsResolvedBySmallerSteps() {
        for (double fraction : new double[] {0.6, 0.05, 1e-4}) {
            double[] kink = kinksBelow(fraction);
            float[] exact = gradient(kink);
            // the plain central difference is wrong at every point here
            assertNotEquals(exact[0], FiniteDifferences.partial(relus(kink), X.clone(), 0, H), 1e-2);
            FiniteDifferences.check("relu, kinks " + fraction + " h away", relus(kink), X.clone(), exact, all(), H,
                    ATOL, RTOL);
        }
    }

    @Test
    void aWrongGradientFailsAtSmoothPoints() {
        ToDoubleFunction<double[]> f = x -> {
            double s = 0;
            for (int j = 0; j < N; j++) {
                s += W[j] * Math.sin(x[j]);
            }
            return s;
        };
        float[] g = new float[N];
        for (int j = 0; j < N; j++) {
            g[j] = (float) (W[j] * Math.cos(X[j]));
        }
        FiniteDifferences.check("sin", f, X.clone(), g, all(), H, ATOL, RTOL);
        g[7] += 2e-3f;
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> FiniteDifferences.check("sin", f, X.clone(), g, all(), H, ATOL, RTOL));
        assertTrue(e.getMessage().contains("1 of 20 points off") && e.getMessage().contains("element 7"),
                e.getMessage());
    }

    @Test
    void aWrongGradientNearAKinkFails() {
        double[] kink = kinksBelow(0.3);
        float[] wrongSide = gradient(kink);
        wrongSide[4] = wrongSide[4] == 0f ? (float) W[4] : 0f;
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> FiniteDifferences.check("relu", relus(kink), X.clone(), wrongSide, all(), H, ATOL, RTOL));
        assertTrue(e.getMessage().contains("element 4"), e.getMessage());
    }

    @Test
    void kinksAtThePointsAreSkippedButOnlyAFew() {
        // relu'(0) is a choice: at x_j == kink_j the analytic value takes one side, no difference does
        double[] kink = kinksBelow(0.5);
        kink[3] = X[3];
        kink[11] = X[11];
        float[] g = gradient(kink);
        g[3] = (float) W[3];
        FiniteDifferences.check("relu, two kinks on points", relus(kink), X.clone(), g, all(), H, ATOL, RTOL);
        kink[15] = X[15];
        float[] g3 = gradient(kink);
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> FiniteDifferences.check("relu", relus(kink), X.clone(), g3, all(), H, ATOL, RTOL));
        assertTrue(e.getMessage().contains("3 of 20 points have a kink"), e.getMessage());
    }
}
