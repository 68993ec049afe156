package org.fusedbert.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exponentials and sums over Vector API lanes whose results do not depend on the JIT.
 *
 * <p>The Vector API's own {@code lanewise(EXP)} is a different function in each execution mode:
 * C2 calls a vectorized math library, the interpreter and C1 call {@link Math#exp} per lane, and
 * the two differ in the last bit for about one input in a hundred. Its floating-point
 * {@code reduceLanes(ADD)} leaves the order of the additions unspecified (C2 adds in a tree, the
 * interpreter sequentially). Either makes the CPU reference give different bits before and after
 * warm-up. Everything here is built from lane-wise operations that IEEE 754 defines exactly
 * (add, sub, mul, fma, min, max, integer shifts, exact conversions), so every mode computes the
 * same bits.
 *
 * <p>{@code exp} reduces {@code x = n ln2 + r} with {@code n = rint(x / ln2)} and a two-constant
 * (Cody-Waite) split of ln2, evaluates the Taylor polynomial of {@code e^r} on
 * {@code |r| <= ln2/2} by Horner's rule with fused multiply-adds, and multiplies by {@code 2^n}
 * built from exponent bits, in two halves so that subnormal results round once and large ones
 * overflow to infinity by themselves. It is within 2 ulp of {@link Math#exp} (rounded to the
 * type) everywhere, subnormal results included; NaN gives NaN, -inf gives 0, +inf gives +inf.
 */
final class VectorMath {
    /** Arguments are clamped to this range: below, e^x rounds to 0; above, to +inf. */
    private static final float F_LOWEST = -104f;
    private static final float F_HIGHEST = 89f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float F_ROUNDER = 12582912f;
    private static final float F_LOG2E = (float) 1.4426950408889634;
    /** ln2 split in two: the high part has 16 significant bits, so n * LN2_HI is exact for |n| < 2^8. */
    private static final float F_LN2_HI = 0.693145751953125f;
    private static final float F_LN2_LO = (float) (0.6931471805599453 - F_LN2_HI);
    /** 1/k! for k = 7 down to 2. */
    private static final float[] F_TAYLOR = {1f / 5040, 1f / 720, 1f / 120, 1f / 24, 1f / 6, 0.5f};

    private static final double D_LOWEST = -746.0;
    private static final double D_HIGHEST = 710.0;
    /** 1.5 * 2^52, the double counterpart of {@link #F_ROUNDER}. */
    private static final double D_ROUNDER = 6755399441055744.0;
    private static final double D_LOG2E = 1.4426950408889634;
    /** ln2 split as in fdlibm: the high part has 32 significant bits. */
    private static final double D_LN2_HI = 6.93147180369123816490e-01;
    private static final double D_LN2_LO = 1.90821492927058770002e-10;
    /** 1/k! for k = 13 down to 2: the truncation error r^14/14! stays below 1e-17 for |r| <= ln2/2. */
    private static final double[] D_TAYLOR = taylor(13);

    private VectorMath() {
    }

    private static double[] taylor(int degree) {
        double[] c = new double[degree - 1];
        double factorial = 1;
        for (int k = 2; k <= degree; k++) {
            factorial *= k;
            c[degree - k] = 1.0 / factorial;
        }
        return c;
    }

    /** e^x in every lane, reproducibly (see the class comment for the method and its accuracy). */
    static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> species = x.species();
        var nan = x.test(VectorOperators.IS_NAN);
        // NaN lanes compute e^0 and get their NaN back at the end: no conversion ever sees a NaN.
        FloatVector xc = x.blend(0f, nan).max(F_LOWEST).min(F_HIGHEST);
        FloatVector n = xc.mul(F_LOG2E).add(F_ROUNDER).sub(F_ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(species, -F_LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(species, -F_LN2_LO), r);
        FloatVector p = FloatVector.broadcast(species, F_TAYLOR[0]);
        for (int k = 1; k < F_TAYLOR.length; k++) {
            p = p.fma(r, FloatVector.broadcast(species, F_TAYLOR[k]));
        }
        FloatVector one = FloatVector.broadcast(species, 1f);
        p = p.fma(r, one).fma(r, one);
        // 2^n as 2^(n/2) * 2^(n - n/2): both halves are normal floats for n in [-150, 128].
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector scale1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scale2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale1).mul(scale2).blend(x, nan);
    }

    /** e^x in every lane, reproducibly (see the class comment for the method and its accuracy). */
    static DoubleVector exp(DoubleVector x) {
        VectorSpecies<Double> species = x.species();
        var nan = x.test(VectorOperators.IS_NAN);
        DoubleVector xc = x.blend(0.0, nan).max(D_LOWEST).min(D_HIGHEST);
        DoubleVector n = xc.mul(D_LOG2E).add(D_ROUNDER).sub(D_ROUNDER);
        DoubleVector r = n.fma(DoubleVector.broadcast(species, -D_LN2_HI), xc);
        r = n.fma(DoubleVector.broadcast(species, -D_LN2_LO), r);
        DoubleVector p = DoubleVector.broadcast(species, D_TAYLOR[0]);
        for (int k = 1; k < D_TAYLOR.length; k++) {
            p = p.fma(r, DoubleVector.broadcast(species, D_TAYLOR[k]));
        }
        DoubleVector one = DoubleVector.broadcast(species, 1.0);
        p = p.fma(r, one).fma(r, one);
        // Both halves of 2^n are normal doubles for n in [-1077, 1025].
        LongVector ni = (LongVector) n.convert(VectorOperators.D2L, 0);
        LongVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        LongVector n2 = ni.sub(n1);
        DoubleVector scale1 = n1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector scale2 = n2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(scale1).mul(scale2).blend(x, nan);
    }

    /** The sum of the lanes, added in lane order (first lane first): the same in every JIT state. */
    static double sumInOrder(DoubleVector v, double[] scratch) {
        v.intoArray(scratch, 0);
        double s = 0;
        for (int i = 0; i < v.length(); i++) {
            s += scratch[i];
        }
        return s;
    }
}
