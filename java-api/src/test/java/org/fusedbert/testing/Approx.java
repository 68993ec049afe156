package org.fusedbert.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparisons with a stated tolerance: {@code |actual - expected| <= atol + rtol * |expected|}. */
public final class Approx {
    private Approx() {
    }

    /** Asserts every element is within tolerance, naming the first offender and the worst error. */
    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        double[] a = new double[actual.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = actual[i];
        }
        assertClose(what, expected, a, atol, rtol);
    }

    /** Asserts every element is within tolerance, naming the first offender and the worst error. */
    public static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int bad = -1;
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(err <= allowed)) {
                if (bad < 0) {
                    bad = i;
                }
                if (!(err <= worst)) {
                    worst = err;
                    worstAt = i;
                }
            }
        }
        if (bad >= 0) {
            fail(what + ": element " + bad + " is " + actual[bad] + ", expected " + expected[bad] + " (atol " + atol
                    + ", rtol " + rtol + "); worst error " + worst + " at " + worstAt + " (" + actual[worstAt]
                    + " vs " + expected[worstAt] + ")");
        }
    }

    /** Asserts two float arrays are bit-identical (determinism, exact reproductions). */
    public static void assertIdentical(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected exactly " + expected[i]);
            }
        }
    }

    /** The largest absolute value, a scale for tolerances. */
    public static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
