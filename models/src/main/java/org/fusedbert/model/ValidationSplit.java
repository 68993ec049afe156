package org.fusedbert.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Training examples divided into the rows that train the classifier and the rows held out to
 * validate it: a seeded sample of each label's rows (stratified, so both sides keep the label
 * balance), a pure function of (seed, labels), so a rerun holds out the same reviews. Both row
 * lists are ascending and together are every row exactly once.
 *
 * @param trainRows      rows that train, ascending
 * @param validationRows rows held out, ascending
 */
public record ValidationSplit(int[] trainRows, int[] validationRows) {
    /** Philox stream of the validation sample (epoch orders use the phases' ordinals, data limits 100+). */
    static final int STREAM = 200;

    /**
     * Holds out {@code round(fraction * n)} of each label's {@code n} rows of {@code examples} (at
     * least one where a label has two or more rows), drawn by a Philox shuffle of (seed, label).
     *
     * @throws IllegalArgumentException when {@code fraction} is outside (0, 0.5] or a side would be empty
     */
    public static ValidationSplit stratified(Examples examples, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 0.5)) {
            throw new IllegalArgumentException("ValidationSplit: fraction expected in (0, 0.5] but was " + fraction);
        }
        Map<Integer, List<Integer>> byLabel = new TreeMap<>();
        for (int row = 0; row < examples.size(); row++) {
            byLabel.computeIfAbsent(examples.label(row), k -> new ArrayList<>()).add(row);
        }
        boolean[] heldOut = new boolean[examples.size()];
        int held = 0;
        for (Map.Entry<Integer, List<Integer>> e : byLabel.entrySet()) {
            List<Integer> rows = e.getValue();
            int n = rows.size();
            int k = n < 2 ? 0 : Math.max(1, (int) Math.round(fraction * n));
            int[] order = EpochOrder.permutation(seed, STREAM, e.getKey(), n);
            for (int i = 0; i < k; i++) {
                heldOut[rows.get(order[i])] = true;
            }
            held += k;
        }
        if (held == 0 || held == examples.size()) {
            throw new IllegalArgumentException("--validation-split: expected training and validation reviews on both "
                    + "sides but " + examples.size() + " training reviews gave " + held + " held out at " + fraction);
        }
        int[] train = new int[examples.size() - held];
        int[] validation = new int[held];
        int t = 0;
        int v = 0;
        for (int row = 0; row < heldOut.length; row++) {
            if (heldOut[row]) {
                validation[v++] = row;
            } else {
                train[t++] = row;
            }
        }
        return new ValidationSplit(train, validation);
    }

    /** The training side of {@code examples} (the examples this split was drawn from). */
    public Examples train(Examples examples) {
        return Examples.subset(examples, trainRows);
    }

    /** The held-out side of {@code examples}. */
    public Examples validation(Examples examples) {
        return Examples.subset(examples, validationRows);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValidationSplit s && Arrays.equals(trainRows, s.trainRows)
                && Arrays.equals(validationRows, s.validationRows);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(trainRows) + Arrays.hashCode(validationRows);
    }

    @Override
    public String toString() {
        return "ValidationSplit[" + trainRows.length + " train, " + validationRows.length + " validation]";
    }
}
