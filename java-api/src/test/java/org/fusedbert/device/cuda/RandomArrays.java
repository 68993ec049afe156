package org.fusedbert.device.cuda;

import java.util.SplittableRandom;

/** Test inputs: floats uniform in [-1, 1). */
final class RandomArrays {
    private RandomArrays() {
    }

    static float[] uniform(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
