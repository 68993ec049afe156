package org.fusedbert.model;

/**
 * Encoded examples the trainer draws batches from: fixed-length token-id rows and, for the
 * sentiment phases, a 0/1 label per row.
 */
public interface Examples {
    /** Number of rows. */
    int size();

    /** Ids per row. */
    int length();

    /** Copies the ids of {@code rows} into {@code out} ({@code rows.length * length()} ints, row-major). */
    void ids(int[] rows, int[] out);

    /** The sentiment label (0 or 1) of {@code row}. */
    int label(int row);

    /** Examples over heap arrays: {@code ids} row-major [n, length], {@code labels} [n] (may be null). */
    static Examples of(int[] ids, int[] labels, int length) {
        if (length <= 0 || ids.length % length != 0) {
            throw new IllegalArgumentException("Examples.of: ids expected a multiple of length " + length
                    + " but was " + ids.length);
        }
        int n = ids.length / length;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("Examples.of: labels expected " + n + " but was " + labels.length);
        }
        return new Examples() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int length() {
                return length;
            }

            @Override
            public void ids(int[] rows, int[] out) {
                for (int i = 0; i < rows.length; i++) {
                    System.arraycopy(ids, rows[i] * length, out, i * length, length);
                }
            }

            @Override
            public int label(int row) {
                if (labels == null) {
                    throw new IllegalStateException("Examples: these examples have no labels");
                }
                return labels[row];
            }
        };
    }

    /** The rows {@code rows} of {@code all}, in that order (row {@code i} here is {@code rows[i]} there). */
    static Examples subset(Examples all, int[] rows) {
        for (int r : rows) {
            if (r < 0 || r >= all.size()) {
                throw new IllegalArgumentException("Examples.subset: rows expected in [0, " + all.size() + ") but had "
                        + r);
            }
        }
        int[] kept = rows.clone();
        return new Examples() {
            private int[] mapped = new int[0];

            @Override
            public int size() {
                return kept.length;
            }

            @Override
            public int length() {
                return all.length();
            }

            @Override
            public void ids(int[] r, int[] out) {
                if (mapped.length != r.length) {
                    mapped = new int[r.length];
                }
                for (int i = 0; i < r.length; i++) {
                    mapped[i] = kept[r[i]];
                }
                all.ids(mapped, out);
            }

            @Override
            public int label(int row) {
                return all.label(kept[row]);
            }
        };
    }

    /** The rows of {@code first} followed by those of {@code second} (the same length). */
    static Examples concat(Examples first, Examples second) {
        if (first.length() != second.length()) {
            throw new IllegalArgumentException("Examples.concat: length expected " + first.length() + " but was "
                    + second.length());
        }
        int n1 = first.size();
        int len = first.length();
        return new Examples() {
            @Override
            public int size() {
                return n1 + second.size();
            }

            @Override
            public int length() {
                return len;
            }

            @Override
            public void ids(int[] rows, int[] out) {
                int[] one = new int[1];
                int[] buf = new int[len];
                for (int i = 0; i < rows.length; i++) {
                    one[0] = rows[i] < n1 ? rows[i] : rows[i] - n1;
                    (rows[i] < n1 ? first : second).ids(one, buf);
                    System.arraycopy(buf, 0, out, i * len, len);
                }
            }

            @Override
            public int label(int row) {
                return row < n1 ? first.label(row) : second.label(row - n1);
            }
        };
    }
}
