package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ValidationSplitTest {
    /** 103 rows of length 3 whose ids name the row; labels: 1 for every third row (35 positives, 68 negatives). */
    private static Examples rows(int n) {
        int[] ids = new int[n * 3];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(ids, 3 * i, 3 * i + 3, i);
            labels[i] = i % 3 == 0 ? 1 : 0;
        }
        return Examples.of(ids, labels, 3);
    }

    @Test
    void holdsOutASeededStratifiedSampleDisjointFromTheTrainingRows() {
        Examples all = rows(103);
        ValidationSplit split = ValidationSplit.stratified(all, 0.1, 42);
        boolean[] seen = new boolean[103];
        for (int r : split.trainRows()) {
            seen[r] = true;
        }
        for (int r : split.validationRows()) {
            assertTrue(!seen[r], "row " + r + " both trains and validates");
            seen[r] = true;
        }
        for (int r = 0; r < seen.length; r++) {
            assertTrue(seen[r], "row " + r + " on neither side");
        }
        // round(0.1 * 35) = 4 positives and round(0.1 * 68) = 7 negatives.
        assertEquals(11, split.validationRows().length);
        assertEquals(4, Arrays.stream(split.validationRows()).filter(r -> r % 3 == 0).count());
        assertTrue(isAscending(split.trainRows()) && isAscending(split.validationRows()));

        assertEquals(split, ValidationSplit.stratified(rows(103), 0.1, 42), "the same seed holds out the same rows");
        assertNotEquals(split, ValidationSplit.stratified(all, 0.1, 43));

        Examples validation = split.validation(all);
        Examples train = split.train(all);
        assertEquals(11, validation.size());
        assertEquals(92, train.size());
        int[] out = new int[6];
        validation.ids(new int[] {2, 0}, out);
        int row2 = split.validationRows()[2];
        int row0 = split.validationRows()[0];
        assertArrayEquals(new int[] {row2, row2, row2, row0, row0, row0}, out);
        assertEquals(row2 % 3 == 0 ? 1 : 0, validation.label(2));
        assertEquals(split.trainRows()[5] % 3 == 0 ? 1 : 0, train.label(5));
    }

    @Test
    void holdsOutAtLeastOneRowPerLabelAndRefusesSplitsWithAnEmptySide() {
        ValidationSplit tiny = ValidationSplit.stratified(rows(6), 0.1, 1); // 2 positives, 4 negatives
        assertEquals(2, tiny.validationRows().length);
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> ValidationSplit.stratified(rows(1), 0.1, 1));
        assertTrue(single.getMessage().startsWith("--validation-split: expected training and validation reviews"),
                single.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ValidationSplit.stratified(rows(10), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ValidationSplit.stratified(rows(10), 0.6, 1));
        assertThrows(IllegalArgumentException.class, () -> Examples.subset(rows(4), new int[] {4}));
    }

    private static boolean isAscending(int[] a) {
        for (int i = 1; i < a.length; i++) {
            if (a[i] <= a[i - 1]) {
                return false;
            }
        }
        return true;
    }
}
