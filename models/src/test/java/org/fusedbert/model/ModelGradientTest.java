package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.Tensor;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.model.ParameterLayout.Entry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole model's backward against central finite differences of its loss, on a tiny model
 * with two blocks, odd sizes, padded rows, dropout on (so the backward must regenerate the
 * forward's masks) and the key-padding mask.
 */
class ModelGradientTest {
    /** Finite-difference step, and the tolerance |analytic - numeric| <= ABS + REL * |analytic|. */
    private static final float EPS = 1e-2f;
    private static final double ABS = 2e-3;
    private static final double REL = 3e-2;
    private static final int SAMPLES_PER_TENSOR = 5;

    private static final int BATCH = 3;
    private static final BertConfig TINY = new BertConfig(13, 7, 10, 2, 9, 2, 0.2f, 1e-6f, BATCH, 1e-3f, 5, false);
    /** Row 0 full, row 1 padded after 4 tokens, row 2 after 2 (with an [UNK]). */
    private static final int[] IDS = {
        3, 4, 5, 6, 7, 8, 9,
        10, 11, 3, 12, 0, 0, 0,
        1, 5, 0, 0, 0, 0, 0,
    };

    private Backend backend;
    private Parameters params;
    private Workspace ws;

    @BeforeEach
    void setUp() {
        backend = new CpuBackend();
        params = new Parameters(backend, TINY);
        params.initialize(11);
        // Non-trivial biases, gammas and betas, so that their gradients are exercised away from init.
        float[] host = params.download();
        SplittableRandom r = new SplittableRandom(5);
        for (Entry e : params.layout().entries()) {
            if (e.init() == ParameterLayout.Init.ZEROS || e.init() == ParameterLayout.Init.ONES) {
                for (long i = 0; i < e.numel(); i++) {
                    host[(int) (e.offset() + i)] += (float) r.nextDouble(-0.2, 0.2);
                }
            }
        }
        params.upload(host);
        ws = new Workspace();
    }

    @AfterEach
    void tearDown() {
        ws.close();
        params.close();
        backend.close();
    }

    @Test
    void mlmLossGradientMatchesFiniteDifferences() {
        Encoder encoder = new Encoder(params, ws, BATCH, TINY.maxLen());
        MlmHead head = new MlmHead(params, ws, BATCH * TINY.maxLen(), 6);
        Workspace.Buffer ids = ws.request("ids", DType.INT32, BATCH, TINY.maxLen());
        Workspace.Buffer labels = ws.request("labels", DType.INT32, BATCH * TINY.maxLen());
        Workspace.Buffer step = ws.request("step", DType.INT32, 1);
        ws.allocate(backend);
        ids.get().copyFrom(IDS);
        int[] l = new int[BATCH * TINY.maxLen()];
        java.util.Arrays.fill(l, -1);
        l[1] = 4;
        l[5] = 8;
        l[7] = 10;
        l[10] = 12;
        l[15] = 5;
        labels.get().copyFrom(l);
        backend.fill(step.get(), 3);
        Dropout[] dropouts = encoder.dropouts(99, step.get());

        DoubleSupplier loss = () -> {
            encoder.forward(ids.get(), dropouts);
            head.lossAndGradient(encoder.output(), labels.get());
            return head.loss().item();
        };
        backend.fill(params.grads(), 0);
        loss.getAsDouble();
        encoder.backward(head.gradHidden());
        checkAgainstFiniteDifferences(loss, name -> !name.startsWith("classifier."));
    }

    @Test
    void classifierLossGradientMatchesFiniteDifferencesThroughTheEncoder() {
        Encoder encoder = new Encoder(params, ws, BATCH, TINY.maxLen());
        ClassifierHead head = new ClassifierHead(params, ws, BATCH, TINY.maxLen());
        Workspace.Buffer ids = ws.request("ids", DType.INT32, BATCH, TINY.maxLen());
        Workspace.Buffer labels = ws.request("labels", DType.INT32, BATCH);
        Workspace.Buffer step = ws.request("step", DType.INT32, 1);
        ws.allocate(backend);
        ids.get().copyFrom(IDS);
        labels.get().copyFrom(new int[] {1, 0, 1});
        backend.fill(step.get(), 8);
        Dropout[] dropouts = encoder.dropouts(3, step.get());
        DoubleSupplier loss = () -> {
            encoder.forward(ids.get(), dropouts);
            head.forward(encoder.output(), labels.get(), true);
            return head.loss().item();
        };
        backend.fill(params.grads(), 0);
        loss.getAsDouble();
        head.backward(true);
        encoder.backward(head.gradEncoder());
        checkAgainstFiniteDifferences(loss, name -> !name.startsWith("mlm."));

        // Frozen: the same head backward leaves every encoder gradient untouched.
        backend.fill(params.grads(), 0);
        loss.getAsDouble();
        head.backward(false);
        float[] g = params.grads().toFloatArray();
        ParameterLayout.Range enc = params.layout().range(ParameterLayout.Group.ENCODER);
        for (long i = enc.offset(); i < enc.offset() + enc.length(); i++) {
            assertEquals(0f, g[(int) i]);
        }
    }

    private void checkAgainstFiniteDifferences(DoubleSupplier loss, java.util.function.Predicate<String> trained) {
        float[] analytic = params.grads().toFloatArray();
        float[] base = params.download();
        SplittableRandom r = new SplittableRandom(17);
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Entry e : params.layout().entries()) {
            int n = (int) e.numel();
            for (int k = 0; k < Math.min(SAMPLES_PER_TENSOR, n); k++) {
                int i = (int) e.offset() + (n <= SAMPLES_PER_TENSOR ? k : r.nextInt(n));
                float[] p = base.clone();
                p[i] = base[i] + EPS;
                params.upload(p);
                double up = loss.getAsDouble();
                p[i] = base[i] - EPS;
                params.upload(p);
                double down = loss.getAsDouble();
                double numeric = (up - down) / (2 * EPS);
                double a = analytic[i];
                if (!trained.test(e.name())) {
                    if (a != 0) {
                        failures.add(e.name() + "[" + (i - e.offset()) + "] expected no gradient but was " + a);
                    }
                    continue;
                }
                checked++;
                if (Math.abs(a - numeric) > ABS + REL * Math.abs(a)) {
                    failures.add(e.name() + "[" + (i - e.offset()) + "] analytic " + a + " numeric " + numeric);
                }
            }
        }
        params.upload(base);
        assertTrue(checked > 50, "checked " + checked);
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " gradients off: " + failures);
    }
}
