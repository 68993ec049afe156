package org.fusedbert.model;

import org.fusedbert.api.Philox;

/**
 * The order examples are visited in: a Fisher-Yates shuffle per (seed, phase, epoch) driven by
 * Philox, so that it is a pure function of those three (a resumed run re-derives it exactly, on
 * any machine). Every step takes a full batch: the last batch of an epoch wraps around to the
 * epoch's first examples, so all steps have one shape and one captured graph serves them all.
 */
public final class EpochOrder {
    /** Philox domain word for shuffles (dropout 1, masking 2, initialization 3). */
    static final int DOMAIN_SHUFFLE = 4;

    private EpochOrder() {
    }

    /** A permutation of {@code [0, n)} for this (seed, stream, epoch). */
    public static int[] permutation(long seed, int stream, int epoch, int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        int[] w = new int[4];
        for (int i = n - 1; i > 0; i--) {
            Philox.block(seed, i, stream, epoch, DOMAIN_SHUFFLE, w);
            int j = Philox.mulhi(w[0], i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Steps per epoch: every example at least once, in full batches. */
    public static int stepsPerEpoch(int n, int batch) {
        return (n + batch - 1) / batch;
    }

    /** The rows of step {@code step}: {@code order[(step * batch + b) mod n]}. */
    public static void batchRows(int[] order, int step, int batch, int[] rows) {
        int n = order.length;
        for (int b = 0; b < batch; b++) {
            rows[b] = order[(int) (((long) step * batch + b) % n)];
        }
    }
}
