package org.fusedbert.bench.device;

import java.util.Arrays;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;

/**
 * The statistics of one set of timing samples (milliseconds per call): the median, a
 * distribution-free confidence interval for it (order statistics chosen from the binomial
 * distribution, so no normality is assumed), and the comparison of two sets by the Mann-Whitney U
 * test (timings are skewed and heavy-tailed, so a rank test rather than a t-test).
 *
 * @param samples the raw samples, sorted
 * @param median  the sample median
 * @param low     the lower end of the confidence interval of the median
 * @param high    the upper end
 */
public record Stats(double[] samples, double median, double low, double high) {
    /** Coverage of the median's confidence interval. */
    public static final double CONFIDENCE = 0.95;
    /** p-value below which a difference is called significant. */
    public static final double SIGNIFICANCE = 0.01;

    /** The statistics of {@code samples} (at least one, all finite). */
    public static Stats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("Stats.of: samples expected at least 1 but was 0");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        for (double s : sorted) {
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("Stats.of: samples expected finite but contained " + s);
            }
        }
        double median = new Percentile().withEstimationType(Percentile.EstimationType.R_7).evaluate(sorted, 50);
        int n = sorted.length;
        if (n < 6) { // too few for a 95% interval from order statistics: the whole range
            return new Stats(sorted, median, sorted[0], sorted[n - 1]);
        }
        // The largest j with P(X < j) <= alpha/2 for X ~ Binomial(n, 1/2): [x_(j), x_(n+1-j)] covers the median.
        BinomialDistribution b = new BinomialDistribution(null, n, 0.5);
        double tail = (1 - CONFIDENCE) / 2;
        int j = 1;
        while (j + 1 <= n / 2 && b.cumulativeProbability(j) <= tail) {
            j++;
        }
        return new Stats(sorted, median, sorted[j - 1], sorted[n - j]);
    }

    /** Number of samples. */
    public int count() {
        return samples.length;
    }

    /** Two-sided Mann-Whitney U p-value that {@code a} and {@code b} come from the same distribution. */
    public static double pValue(Stats a, Stats b) {
        if (a.count() < 2 || b.count() < 2) {
            return Double.NaN;
        }
        return new MannWhitneyUTest().mannWhitneyUTest(a.samples, b.samples);
    }

    /** Whether {@code a} and {@code b} differ significantly (p below {@link #SIGNIFICANCE}). */
    public static boolean significant(Stats a, Stats b) {
        double p = pValue(a, b);
        return !Double.isNaN(p) && p < SIGNIFICANCE;
    }
}
