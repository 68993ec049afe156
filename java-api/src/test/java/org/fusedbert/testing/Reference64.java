package org.fusedbert.testing;

import java.util.Arrays;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Philox;

/**
 * Direct float64 implementations of the {@link org.fusedbert.api.Backend} forwards, written for
 * clarity, not speed: the references that backend outputs are compared with and that finite
 * differences differentiate. Arrays are row-major as in the Backend contract.
 */
public final class Reference64 {
    private Reference64() {
    }

    /**
     * {@code act(op(a) op(b) + bias + c0)} with op(a) [m, k], op(b) [k, n]; a is stored [k, m] when
     * {@code ta}, b [n, k] when {@code tb}. {@code bias} and {@code c0} may be null.
     */
    public static double[] matmul(double[] a, boolean ta, double[] b, boolean tb, int m, int n, int k,
                                  double[] bias, boolean relu, double[] c0) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                if (bias != null) {
                    s += bias[j];
                }
                if (c0 != null) {
                    s += c0[i * n + j];
                }
                c[i * n + j] = relu ? Math.max(s, 0) : s;
            }
        }
        return c;
    }

    /** {@code out[b, l] = tok[ids[b, l]] + pos[l]}, [B, L, H]. */
    public static double[] embedding(int[] ids, int batch, int length, double[] tok, double[] pos, int hidden) {
        double[] out = new double[batch * length * hidden];
        for (int r = 0; r < batch * length; r++) {
            for (int c = 0; c < hidden; c++) {
                out[r * hidden + c] = tok[ids[r] * hidden + c] + pos[(r % length) * hidden + c];
            }
        }
        return out;
    }

    /** Attention outputs: {@code out} [B, L, E] and {@code lse} [B, heads, L]. */
    public record Attention(double[] out, double[] lse) {
    }

    /** softmax(Q K^T scale, keys &gt;= lengths[b] masked) V per batch and head; lengths null = all L. */
    public static Attention attention(double[] qkv, int batch, int length, int embed, int heads, int[] lengths,
                                      double scale) {
        int d = embed / heads;
        double[] out = new double[batch * length * embed];
        double[] lse = new double[batch * heads * length];
        for (int b = 0; b < batch; b++) {
            int len = lengths == null ? length : lengths[b];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < length; i++) {
                    double[] s = new double[len];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += qkv[((b * length + i) * 3) * embed + h * d + c]
                                    * qkv[((b * length + j) * 3) * embed + embed + h * d + c];
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) {
                        sum += Math.exp(s[j] - max);
                    }
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < len; j++) {
                            acc += Math.exp(s[j] - max) / sum * qkv[((b * length + j) * 3) * embed + 2 * embed + h * d + c];
                        }
                        out[(b * length + i) * embed + h * d + c] = acc;
                    }
                    lse[(b * heads + h) * length + i] = max + Math.log(sum);
                }
            }
        }
        return new Attention(out, lse);
    }

    /** Layernorm outputs: {@code out} [N, H], {@code mean} and {@code rstd} [N]. */
    public record LayerNorm(double[] out, double[] mean, double[] rstd) {
    }

    /** Whether dropout keeps each of {@code n} elements at {@code step} (all true for an inactive one). */
    public static boolean[] dropoutKeep(Dropout dropout, int n, int step) {
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = !dropout.active() || Philox.keep(dropout, i, step);
        }
        return keep;
    }

    /** {@code s = residual + dropout(sublayer)}, then layernorm of each row with gamma, beta, eps. */
    public static LayerNorm addDropoutLayerNorm(double[] residual, double[] sublayer, double[] gamma, double[] beta,
                                                int rows, int cols, double eps, boolean[] keep, double keepScale) {
        double[] out = new double[rows * cols];
        double[] mean = new double[rows];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double[] s = new double[cols];
            double mu = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                s[c] = residual[i] + (keep[i] ? sublayer[i] * keepScale : 0);
                mu += s[c];
            }
            mu /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                var += (s[c] - mu) * (s[c] - mu);
            }
            var /= cols;
            double inv = 1 / Math.sqrt(var + eps);
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = (s[c] - mu) * inv * gamma[c] + beta[c];
            }
            mean[r] = mu;
            rstd[r] = inv;
        }
        return new LayerNorm(out, mean, rstd);
    }

    /** Mean over rows with label != -1 of {@code logsumexp(row) - row[label]}; 0 when none. */
    public static double softmaxCrossEntropy(double[] logits, int[] labels, int classes) {
        double total = 0;
        int n = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == -1) {
                continue;
            }
            total += logSumExp(logits, r * classes, classes) - logits[r * classes + labels[r]];
            n++;
        }
        return n == 0 ? 0 : total / n;
    }

    /** {@code (softmax - onehot) / n} on labelled rows, zeros elsewhere. */
    public static double[] softmaxCrossEntropyGradient(double[] logits, int[] labels, int classes) {
        double[] g = new double[logits.length];
        long n = Arrays.stream(labels).filter(y -> y != -1).count();
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == -1) {
                continue;
            }
            double lse = logSumExp(logits, r * classes, classes);
            for (int c = 0; c < classes; c++) {
                g[r * classes + c] = (Math.exp(logits[r * classes + c] - lse) - (c == labels[r] ? 1 : 0)) / n;
            }
        }
        return g;
    }

    private static double logSumExp(double[] x, int from, int count) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, x[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += Math.exp(x[from + i] - max);
        }
        return max + Math.log(sum);
    }

    /** {@code max_l x[b, l, h]}, [B, H]. */
    public static double[] maxPool(double[] x, int batch, int length, int hidden) {
        double[] out = new double[batch * hidden];
        Arrays.fill(out, Double.NEGATIVE_INFINITY);
        for (int b = 0; b < batch; b++) {
            for (int l = 0; l < length; l++) {
                for (int h = 0; h < hidden; h++) {
                    out[b * hidden + h] = Math.max(out[b * hidden + h], x[(b * length + l) * hidden + h]);
                }
            }
        }
        return out;
    }

    /** {@code mean(-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)))}, computed stably. */
    public static double sigmoidBinaryCrossEntropy(double[] z, int[] y) {
        double total = 0;
        for (int i = 0; i < z.length; i++) {
            // -log sigmoid(z) = log1p(exp(-z)); -log(1 - sigmoid(z)) = log1p(exp(z))
            total += y[i] == 1 ? softplus(-z[i]) : softplus(z[i]);
        }
        return total / z.length;
    }

    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** Keras' Adam in float64, step by step, as {@link org.fusedbert.api.AdamConfig} describes it. */
    public static final class Adam {
        private final double lr;
        private final double beta1;
        private final double beta2;
        private final double eps;
        private final double[] m;
        private final double[] v;
        private int t;

        public Adam(double lr, double beta1, double beta2, double eps, int size) {
            this.lr = lr;
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.m = new double[size];
            this.v = new double[size];
        }

        /** One update of {@code params} in place. */
        public void step(double[] params, double[] grads) {
            t++;
            double alpha = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            for (int i = 0; i < params.length; i++) {
                m[i] += (grads[i] - m[i]) * (1 - beta1);
                v[i] += (grads[i] * grads[i] - v[i]) * (1 - beta2);
                params[i] -= alpha * m[i] / (Math.sqrt(v[i]) + eps);
            }
        }

        public double[] m() {
            return m.clone();
        }

        public double[] v() {
            return v.clone();
        }
    }
}
