package org.fusedbert.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;

/** Makes test tensors on one backend and frees them all on {@link #close()}. */
public final class TensorScope implements AutoCloseable {
    private final Backend backend;
    private final List<Tensor> owned = new ArrayList<>();

    public TensorScope(Backend backend) {
        this.backend = backend;
    }

    public Backend backend() {
        return backend;
    }

    private Tensor keep(Tensor t) {
        owned.add(t);
        return t;
    }

    /** A zero-filled tensor. */
    public Tensor zeros(DType dtype, int... shape) {
        return keep(backend.allocate(dtype, shape));
    }

    /** A float32 tensor holding {@code data}. */
    public Tensor of(float[] data, int... shape) {
        return keep(Tensors.of(backend, data, shape));
    }

    /** An int32 tensor holding {@code data}. */
    public Tensor of(int[] data, int... shape) {
        return keep(Tensors.of(backend, data, shape));
    }

    /** A one-element int32 tensor (step counters). */
    public Tensor scalar(int value) {
        return of(new int[] {value}, 1);
    }

    @Override
    public void close() {
        owned.forEach(Tensor::close);
        owned.clear();
    }

    /** Uniform floats in [-scale, scale) as a tensor, and the same values as float64 for references. */
    public Tensor uniform(Random rnd, float scale, int... shape) {
        return of(Tensors.uniform(rnd, Math.toIntExact(Tensor.countElements(shape)), scale), shape);
    }
}
