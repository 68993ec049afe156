package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.IntToDoubleFunction;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.fusedbert.testing.Seeds;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorMath#exp} against {@link Math#exp} (rounded to the type): within 2 ulp everywhere
 * (overflow to infinity and underflow through the subnormals to 0 included), NaN for NaN; and the
 * lane sum's fixed order.
 */
class VectorMathTest {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int MAX_ULPS = 2;

    private final Random rnd = Seeds.random("VectorMathTest");

    @Test
    void floatExpIsWithinTwoUlpsOfMathExpAcrossTheWholeRange() {
        float[] x = new float[2_300_000];
        int n = 0;
        // every 2039th float: all exponents, both signs, subnormal inputs, NaN and infinity patterns
        for (long bits = 0; bits <= 0xFFFF_FFFFL; bits += 2039) {
            x[n++] = Float.intBitsToFloat((int) bits);
        }
        // the softmax range (scores minus their maximum), densely
        for (int i = 0; i < 100_000; i++) {
            x[n++] = -30f * rnd.nextFloat();
        }
        // the edges: overflow, subnormal results, underflow to 0, and their neighbours
        float[] edges = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc12345),
            88.72283f, 88.7228394f, 89f, 100f, -87.33654f, -88f, -100f, -103.27893f, -103.972076f, -104f, -105f,
            -1e30f, (float) Math.log(2) / 2, -(float) Math.log(2) / 2, 1e-7f, -1e-7f};
        for (float e : edges) {
            x[n++] = e;
            x[n++] = Math.nextUp(e);
            x[n++] = Math.nextDown(e);
        }
        float[] got = new float[n + FS.length()];
        for (int i = 0; i < n; i += FS.length()) {
            VectorMath.exp(FloatVector.fromArray(FS, x, i)).intoArray(got, i);
        }
        long[] ulps = new long[n];
        for (int i = 0; i < n; i++) {
            float want = (float) Math.exp(x[i]);
            ulps[i] = Float.isNaN(want) ? (Float.isNaN(got[i]) ? 0 : Long.MAX_VALUE)
                    : Math.abs((long) Float.floatToRawIntBits(got[i]) - Float.floatToRawIntBits(want));
        }
        assertWithinUlps("float", n, i -> x[i], i -> got[i], ulps);
    }

    @Test
    void doubleExpIsWithinTwoUlpsOfMathExpAcrossTheWholeRange() {
        double[] x = new double[700_000];
        int n = 0;
        for (int i = 0; i < 200_000; i++) {
            x[n++] = -750 + 1465 * rnd.nextDouble();
            x[n++] = -40 * rnd.nextDouble();
            x[n++] = Double.longBitsToDouble(rnd.nextLong());
        }
        double[] edges = {0.0, -0.0, 1.0, -1.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL,
            Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
            709.782712893384, 710.0, -708.3964185322641, -708.4, -745.1332191019411, -745.2, -746.0, -1e300,
            Math.log(2) / 2, -Math.log(2) / 2};
        for (double e : edges) {
            x[n++] = e;
            x[n++] = Math.nextUp(e);
            x[n++] = Math.nextDown(e);
        }
        double[] got = new double[n + DS.length()];
        for (int i = 0; i < n; i += DS.length()) {
            VectorMath.exp(DoubleVector.fromArray(DS, x, i)).intoArray(got, i);
        }
        long[] ulps = new long[n];
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[i]);
            ulps[i] = Double.isNaN(want) ? (Double.isNaN(got[i]) ? 0 : Long.MAX_VALUE)
                    : Math.abs(Double.doubleToRawLongBits(got[i]) - Double.doubleToRawLongBits(want));
        }
        assertWithinUlps("double", n, i -> x[i], i -> got[i], ulps);
    }

    /** Fails at the first input whose result is more than {@link #MAX_ULPS} from Math.exp's. */
    private static void assertWithinUlps(String type, int n, IntToDoubleFunction x, IntToDoubleFunction got,
                                         long[] ulps) {
        int worst = 0;
        for (int i = 0; i < n; i++) {
            if (ulps[i] > MAX_ULPS) {
                fail(type + " exp(" + x.applyAsDouble(i) + ") = " + got.applyAsDouble(i) + ", Math.exp gives "
                        + Math.exp(x.applyAsDouble(i)) + ": " + ulps[i] + " ulp apart");
            }
            worst = ulps[i] > ulps[worst] ? i : worst;
        }
        System.out.println("[VectorMathTest] " + type + " exp: worst " + ulps[worst] + " ulp at "
                + x.applyAsDouble(worst) + " over " + n + " values");
    }

    @Test
    void lanesAreSummedFirstToLast() {
        // In lane order 1e17 - 1e17 + 1 = 1; a tree adding lane i to lane i + length/2 first gives 0.
        double[] values = new double[DS.length()];
        values[0] = 1e17;
        values[1] = -1e17;
        if (values.length > 2) {
            values[2] = 1.0;
        }
        double sequential = 0;
        for (double v : values) {
            sequential += v;
        }
        double got = VectorMath.sumInOrder(DoubleVector.fromArray(DS, values, 0), new double[DS.length()]);
        assertEquals(values.length > 2 ? 1.0 : 0.0, sequential);
        assertEquals(sequential, got);
    }
}
