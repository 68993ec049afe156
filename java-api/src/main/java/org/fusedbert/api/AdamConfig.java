package org.fusedbert.api;

/**
 * Adam hyper-parameters, Keras' defaults and update rule: with {@code t} the step after increment,
 * {@code alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)}, {@code m += (g - m)(1 - beta1)},
 * {@code v += (g^2 - v)(1 - beta2)}, {@code p -= alpha m / (sqrt(v) + epsilon)}.
 *
 * <p>Precisely, as the CPU reference computes it: {@code alpha = }{@link #stepSize}{@code (t)}
 * (float64, rounded once), then per element in float32, each operation rounded, in this order:
 * {@code m = m + (g - m) * (1f - beta1)}; {@code v = v + (g * g - v) * (1f - beta2)};
 * {@code p = p - m * alpha / ((float) sqrt(v) + epsilon)}.
 */
public record AdamConfig(float learningRate, float beta1, float beta2, float epsilon) {
    /** lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras). */
    public static final AdamConfig KERAS = new AdamConfig(1e-3f, 0.9f, 0.999f, 1e-7f);

    public AdamConfig {
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("AdamConfig: learningRate expected > 0 but was " + learningRate);
        }
        if (!(beta1 >= 0f && beta1 < 1f)) {
            throw new IllegalArgumentException("AdamConfig: beta1 expected in [0, 1) but was " + beta1);
        }
        if (!(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("AdamConfig: beta2 expected in [0, 1) but was " + beta2);
        }
        if (!(epsilon > 0f)) {
            throw new IllegalArgumentException("AdamConfig: epsilon expected > 0 but was " + epsilon);
        }
    }

    /**
     * The bias-corrected step size of step {@code t} (1 for the first update):
     * {@code lr * sqrt(1 - beta2^t) / (1 - beta1^t)} computed in float64 from the float32
     * hyper-parameters and rounded to float32.
     */
    public float stepSize(int t) {
        double correction1 = 1.0 - Math.pow(beta1, t);
        double correction2 = 1.0 - Math.pow(beta2, t);
        return (float) (learningRate * Math.sqrt(correction2) / correction1);
    }

    /** The same with another learning rate. */
    public AdamConfig withLearningRate(float lr) {
        return new AdamConfig(lr, beta1, beta2, epsilon);
    }
}
