package org.fusedbert.cpu;

import java.util.Random;
import org.fusedbert.api.Activation;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.Approx;
import org.fusedbert.testing.FiniteDifferences;
import org.fusedbert.testing.Reference64;
import org.fusedbert.testing.Seeds;
import org.fusedbert.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Dense-layer operations: {@code matmul} (all transposes, bias, ReLU, accumulate, [B, L, H]
 * operands), {@code biasActivation}, {@code reluBackward}, {@code biasGradient} and
 * {@code linearBackward}. Forwards against float64 (atol 1e-5 + 3e-7 k, rtol 1e-5); backwards
 * against central differences of the float64 forward (h 1e-3, atol 1e-4, rtol 1e-4).
 */
class DenseOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final Random rnd = Seeds.random("DenseOpsTest");

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void matmulAllTransposesWithBiasReluAndAccumulate() {
        int batch = 3, len = 7, m = batch * len, k = 13, n = 11;
        for (int t = 0; t < 8; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
            float[] a = Tensors.uniform(rnd, m * k, 1f);
            float[] b = Tensors.uniform(rnd, k * n, 1f);
            float[] bias = Tensors.uniform(rnd, n, 1f);
            float[] c0 = Tensors.uniform(rnd, m * n, 1f);
            // a as [B, L, K] (or its transpose [K, M]); c as [B, L, N]
            try (Tensor at = ta ? Tensors.of(cpu, a, k, m) : Tensors.of(cpu, a, batch, len, k);
                 Tensor bt = tb ? Tensors.of(cpu, b, n, k) : Tensors.of(cpu, b, k, n);
                 Tensor biasT = Tensors.of(cpu, bias, n);
                 Tensor c = Tensors.of(cpu, c0, batch, len, n)) {
                cpu.matmul(at, ta, bt, tb, biasT, Activation.RELU, acc, c);
                double[] expected = Reference64.matmul(Tensors.widen(a), ta, Tensors.widen(b), tb, m, n, k,
                        Tensors.widen(bias), true, acc ? Tensors.widen(c0) : null);
                Approx.assertClose("matmul ta=" + ta + " tb=" + tb + " acc=" + acc, expected, c.toFloatArray(),
                        1e-5, 1e-5);
            }
        }
    }

    @Test
    void plainMatmulOverwrites() {
        int m = 9, k = 33, n = 17;
        float[] a = Tensors.uniform(rnd, m * k, 1f);
        float[] b = Tensors.uniform(rnd, k * n, 1f);
        try (Tensor at = Tensors.of(cpu, a, m, k); Tensor bt = Tensors.of(cpu, b, k, n);
             Tensor c = Tensors.uniform(cpu, rnd, 5f, m, n)) {
            cpu.matmul(at, bt, c);
            Approx.assertClose("a.b", Reference64.matmul(Tensors.widen(a), false, Tensors.widen(b), false, m, n, k,
                    null, false, null), c.toFloatArray(), 1e-5, 1e-5);
        }
    }

    @Test
    void biasActivationInPlaceAndWithoutBias() {
        int m = 5, n = 21;
        float[] x = Tensors.uniform(rnd, m * n, 1f);
        float[] bias = Tensors.uniform(rnd, n, 1f);
        try (Tensor xt = Tensors.of(cpu, x, m, n); Tensor bt = Tensors.of(cpu, bias, n);
             Tensor out = cpu.allocate(DType.FLOAT32, m, n)) {
            cpu.biasActivation(xt, null, Activation.RELU, out);
            cpu.biasActivation(xt, bt, Activation.NONE, xt);
            double[] relu = new double[m * n], shifted = new double[m * n];
            for (int i = 0; i < m * n; i++) {
                relu[i] = Math.max(0, x[i]);
                shifted[i] = (double) x[i] + bias[i % n];
            }
            Approx.assertClose("relu(x)", relu, out.toFloatArray(), 0, 0);
            Approx.assertClose("x + bias in place", shifted, xt.toFloatArray(), 1e-6, 1e-6);
        }
    }

    @Test
    void reluBackwardMasksByOutputSign() {
        int n = 37;
        float[] y = Tensors.uniform(rnd, n, 1f);
        y[3] = 0f;
        float[] dy = Tensors.uniform(rnd, n, 1f);
        try (Tensor yt = Tensors.of(cpu, y, n); Tensor dyt = Tensors.of(cpu, dy, n)) {
            cpu.reluBackward(yt, dyt, dyt);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = y[i] > 0 ? dy[i] : 0;
            }
            Approx.assertClose("dx (in place over dy)", expected, dyt.toFloatArray(), 0, 0);
        }
    }

    @Test
    void biasGradientOverwritesOrAccumulatesColumnSums() {
        int m = 1031, n = 19;
        float[] dy = Tensors.uniform(rnd, m * n, 1f);
        float[] db0 = Tensors.uniform(rnd, n, 1f);
        try (Tensor dyt = Tensors.of(cpu, dy, m, n); Tensor db = Tensors.of(cpu, db0, n)) {
            double[] sums = new double[n];
            for (int i = 0; i < m * n; i++) {
                sums[i % n] += dy[i];
            }
            cpu.biasGradient(dyt, db, true);
            double[] accumulated = new double[n];
            for (int j = 0; j < n; j++) {
                accumulated[j] = sums[j] + db0[j];
            }
            Approx.assertClose("db += colsum", accumulated, db.toFloatArray(), 1e-5, 1e-6);
            cpu.biasGradient(dyt, db, false);
            Approx.assertClose("db = colsum", sums, db.toFloatArray(), 1e-5, 1e-6);
        }
    }

    /** A ReLU layer {@code y = relu(x w + b)}: reluBackward then linearBackward, against finite differences. */
    @Test
    void linearBackwardMatchesFiniteDifferences() {
        int m = 6, k = 9, n = 7;
        float[] x = Tensors.uniform(rnd, m * k, 1f);
        float[] w = Tensors.uniform(rnd, k * n, 1f);
        float[] b = Tensors.uniform(rnd, n, 0.5f);
        float[] g = Tensors.uniform(rnd, m * n, 1f);
        float[] dx0 = Tensors.uniform(rnd, m * k, 1f);
        float[] dw0 = Tensors.uniform(rnd, k * n, 1f);
        float[] db0 = Tensors.uniform(rnd, n, 1f);
        double[] gd = Tensors.widen(g);
        try (Tensor xt = Tensors.of(cpu, x, 2, 3, k); Tensor wt = Tensors.of(cpu, w, k, n); Tensor bt = Tensors.of(cpu, b, n);
             Tensor y = cpu.allocate(DType.FLOAT32, m, n); Tensor dy = Tensors.of(cpu, g, m, n);
             Tensor dx = Tensors.of(cpu, dx0, 2, 3, k); Tensor dw = Tensors.of(cpu, dw0, k, n);
             Tensor db = Tensors.of(cpu, db0, n)) {
            cpu.matmul(xt, false, wt, false, bt, Activation.RELU, false, y);
            cpu.reluBackward(y, dy, dy);
            cpu.linearBackward(xt, wt, dy, dx, true, dw, db);
            double[] xd = Tensors.widen(x), wd = Tensors.widen(w), bd = Tensors.widen(b);
            float[] gotDx = minus(dx.toFloatArray(), dx0), gotDw = minus(dw.toFloatArray(), dw0);
            float[] gotDb = minus(db.toFloatArray(), db0);
            FiniteDifferences.check("dx", v -> FiniteDifferences.dot(gd,
                    Reference64.matmul(v, false, wd, false, m, n, k, bd, true, null)), xd, gotDx,
                    FiniteDifferences.sample(rnd, m * k, 60), 1e-3, 1e-4, 1e-4);
            FiniteDifferences.check("dw", v -> FiniteDifferences.dot(gd,
                    Reference64.matmul(xd, false, v, false, m, n, k, bd, true, null)), wd, gotDw,
                    FiniteDifferences.sample(rnd, k * n, 60), 1e-3, 1e-4, 1e-4);
            FiniteDifferences.check("db", v -> FiniteDifferences.dot(gd,
                    Reference64.matmul(xd, false, wd, false, m, n, k, v, true, null)), bd, gotDb,
                    FiniteDifferences.sample(rnd, n, 60), 1e-3, 1e-4, 1e-4);
            // overwrite mode for dx, and a layer without bias or input gradient
            cpu.linearBackward(xt, wt, dy, dx, false, dw, null);
            float[] dxOnly = dx.toFloatArray();
            FiniteDifferences.check("dx overwritten", v -> FiniteDifferences.dot(gd,
                    Reference64.matmul(v, false, wd, false, m, n, k, bd, true, null)), xd, dxOnly,
                    FiniteDifferences.sample(rnd, m * k, 20), 1e-3, 1e-4, 1e-4);
            cpu.linearBackward(xt, wt, dy, null, false, dw, null);
        }
    }

    static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
