package org.fusedbert.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.testing.Approx;
import org.fusedbert.testing.Reference64;
import org.fusedbert.testing.Seeds;
import org.fusedbert.testing.TensorScope;
import org.fusedbert.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused Adam step against Keras' rule in float64 over six steps with gradients up to 0.6
 * (params: atol 1e-6, rtol 1e-5; moments: rtol 1e-5 and atol 1e-7 for m, 1e-8 for v, since
 * {@code g - m} and {@code g^2 - v} round relative to the gradient, not to the moment).
 */
class AdamOpsTest {
    private final CpuBackend cpu = new CpuBackend();
    private final TensorScope scope = new TensorScope(cpu);
    private final Random rnd = Seeds.random("AdamOpsTest");

    @AfterEach
    void close() {
        scope.close();
    }

    @Test
    void kerasDefaults() {
        check(AdamConfig.KERAS, 1003);
    }

    @Test
    void customHyperParametersOverSeveralChunks() {
        check(new AdamConfig(0.01f, 0.8f, 0.99f, 1e-5f), 70_001);
    }

    private void check(AdamConfig config, int size) {
        float[] p0 = Tensors.uniform(rnd, size, 1f);
        Tensor params = scope.of(p0, size);
        Tensor grads = scope.zeros(DType.FLOAT32, size);
        Tensor m = scope.zeros(DType.FLOAT32, size);
        Tensor v = scope.zeros(DType.FLOAT32, size);
        Tensor step = scope.scalar(0);
        double[] p = Tensors.widen(p0);
        Reference64.Adam adam = new Reference64.Adam(config.learningRate(), config.beta1(), config.beta2(),
                config.epsilon(), size);
        for (int t = 1; t <= 6; t++) {
            float[] g = Tensors.uniform(rnd, size, 0.1f * t);
            grads.copyFrom(g);
            cpu.adamStep(params, grads, m, v, step, config);
            adam.step(p, Tensors.widen(g));
            assertEquals(t, step.getInt(0));
        }
        Approx.assertClose("params", p, params.toFloatArray(), 1e-6, 1e-5);
        Approx.assertClose("m", adam.m(), m.toFloatArray(), 1e-7, 1e-5);
        Approx.assertClose("v", adam.v(), v.toFloatArray(), 1e-8, 1e-5);
    }
}
