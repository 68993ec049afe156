package org.fusedbert.model;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Philox;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.ParameterLayout.Entry;
import org.fusedbert.model.ParameterLayout.Range;

/**
 * All of the model's parameters in one contiguous float32 buffer and all their gradients in
 * another, laid out by {@link ParameterLayout}: zeroing the gradients is one fill and the optimizer
 * one fused Adam step over a contiguous range. Named views give each layer its tensors.
 */
public final class Parameters implements AutoCloseable {
    /** Philox domain word for parameter initialization (dropout and masking use 1 and 2). */
    static final int DOMAIN_INIT = 3;

    private final Backend backend;
    private final ParameterLayout layout;
    private final Tensor values;
    private final Tensor grads;
    private final Map<String, Tensor> valueViews = new HashMap<>();
    private final Map<String, Tensor> gradViews = new HashMap<>();

    /** Zero-filled parameters and gradients for {@code config} in {@code backend}'s memory. */
    public Parameters(Backend backend, BertConfig config) {
        this.backend = backend;
        this.layout = new ParameterLayout(config);
        int total = Math.toIntExact(layout.totalElements());
        this.values = backend.allocate(DType.FLOAT32, total);
        try {
            this.grads = backend.allocate(DType.FLOAT32, total);
        } catch (RuntimeException e) {
            values.close();
            throw e;
        }
        for (Entry e : layout.entries()) {
            valueViews.put(e.name(), slice(values, e));
            gradViews.put(e.name(), slice(grads, e));
        }
    }

    private static Tensor slice(Tensor flat, Entry e) {
        return flat.narrow(Math.toIntExact(e.offset()), Math.toIntExact(e.numel())).view(e.shape());
    }

    /** The backend holding the buffers. */
    public Backend backend() {
        return backend;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public BertConfig config() {
        return layout.config();
    }

    /** The flat parameter buffer, float32 [P]. */
    public Tensor values() {
        return values;
    }

    /** The flat gradient buffer, float32 [P]. */
    public Tensor grads() {
        return grads;
    }

    /** The parameter {@code name}, a view of its shape. */
    public Tensor get(String name) {
        Tensor t = valueViews.get(name);
        if (t == null) {
            layout.entry(name); // throws naming the parameter
        }
        return t;
    }

    /** The gradient of {@code name}, a view of its shape. */
    public Tensor grad(String name) {
        Tensor t = gradViews.get(name);
        if (t == null) {
            layout.entry(name);
        }
        return t;
    }

    /** A view of {@code range} of the flat parameter buffer. */
    public Tensor values(Range range) {
        return values.narrow(Math.toIntExact(range.offset()), Math.toIntExact(range.length()));
    }

    /** A view of {@code range} of the flat gradient buffer. */
    public Tensor grads(Range range) {
        return grads.narrow(Math.toIntExact(range.offset()), Math.toIntExact(range.length()));
    }

    /**
     * Sets every parameter as the seed does (token table uniform +-0.05, position table and dense
     * kernels Glorot uniform, biases and betas 0, gammas 1), reproducibly from {@code seed}: each
     * element draws from Philox at (its index, the parameter's index), so the values do not depend
     * on the buffer's padding or on the backend.
     */
    public void initialize(long seed) {
        float[] host = new float[Math.toIntExact(layout.totalElements())];
        int[] words = new int[4];
        for (Entry e : layout.entries()) {
            int base = Math.toIntExact(e.offset());
            int n = Math.toIntExact(e.numel());
            switch (e.init()) {
                case ZEROS -> { }
                case ONES -> java.util.Arrays.fill(host, base, base + n, 1f);
                case UNIFORM_005, GLOROT -> {
                    float limit = e.init() == ParameterLayout.Init.UNIFORM_005 ? 0.05f
                            : (float) Math.sqrt(6.0 / (e.fanIn() + e.fanOut()));
                    for (int i = 0; i < n; i++) {
                        if ((i & 3) == 0) {
                            Philox.block(seed, i >>> 2, e.index(), 0, DOMAIN_INIT, words);
                        }
                        float u = Philox.toUniform(words[i & 3]);
                        host[base + i] = limit * (2f * u - 1f);
                    }
                }
            }
        }
        upload(host);
    }

    /** Replaces the whole flat parameter buffer (padding included) with {@code host}. */
    public void upload(float[] host) {
        if (host.length != values.numel()) {
            throw new IllegalArgumentException("Parameters.upload: host expected " + values.numel()
                    + " floats but was " + host.length);
        }
        backend.upload(MemorySegment.ofArray(host), DType.FLOAT32, host.length, values);
    }

    /** The whole flat parameter buffer, copied to the heap. */
    public float[] download() {
        return values.toFloatArray();
    }

    /** Zeroes the gradients of {@code range} (one fill). */
    public void zeroGrads(Range range) {
        backend.fill(grads(range), 0.0);
    }

    @Override
    public void close() {
        values.close();
        grads.close();
    }
}
