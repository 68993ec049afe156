package org.fusedbert.bench.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void medianAndIntervalFromOrderStatistics() {
        double[] s = new double[31];
        for (int i = 0; i < s.length; i++) {
            s[i] = 30 - i; // unsorted on purpose
        }
        Stats st = Stats.of(s);
        assertEquals(15, st.median(), 0);
        // n = 31: P(X <= 9) = 0.0147 <= 0.025 < P(X <= 10) = 0.0354, so [x_(10), x_(22)] (1-based).
        assertEquals(9, st.low(), 0);
        assertEquals(21, st.high(), 0);
    }

    @Test
    void intervalCoversTheTrueMedianAboutNinetyFivePercentOfTheTime() {
        SplittableRandom r = new SplittableRandom(5);
        int covered = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
            double[] s = new double[25];
            for (int i = 0; i < s.length; i++) {
                s[i] = -Math.log(1 - r.nextDouble()); // exponential: skewed like timings; median ln 2
            }
            Stats st = Stats.of(s);
            covered += st.low() <= Math.log(2) && Math.log(2) <= st.high() ? 1 : 0;
        }
        double coverage = covered / (double) trials;
        assertTrue(coverage >= 0.94 && coverage <= 0.99, "coverage " + coverage);
    }

    @Test
    void mannWhitneySeparatesShiftedSamplesOnly() {
        SplittableRandom r = new SplittableRandom(9);
        double[] a = new double[30];
        double[] b = new double[30];
        double[] c = new double[30];
        for (int i = 0; i < 30; i++) {
            a[i] = 1 + 0.05 * r.nextDouble();
            b[i] = 1 + 0.05 * r.nextDouble();
            c[i] = 1.1 + 0.05 * r.nextDouble();
        }
        assertFalse(Stats.significant(Stats.of(a), Stats.of(b)));
        assertTrue(Stats.significant(Stats.of(a), Stats.of(c)));
    }

    @Test
    void badSamplesAreRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> Stats.of(new double[0]));
        assertEquals("Stats.of: samples expected at least 1 but was 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Stats.of(new double[] {1, Double.NaN}));
    }
}
