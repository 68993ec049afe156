package org.fusedbert.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.api.TensorArena;

/**
 * The activations and scratch tensors of a run, planned first and then carved out of one
 * {@link TensorArena} sized exactly for them: components {@link #request} their buffers while
 * they are built, the run calls {@link #allocate} once, and no step allocates anything after.
 */
public final class Workspace implements AutoCloseable {
    /** A tensor promised by the workspace; {@link #get} works once the workspace is allocated. */
    public static final class Buffer {
        private final String name;
        private final DType dtype;
        private final int[] shape;
        private Tensor tensor;

        private Buffer(String name, DType dtype, int[] shape) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
        }

        /** The tensor. */
        public Tensor get() {
            if (tensor == null) {
                throw new IllegalStateException("Workspace: buffer " + name + " used before Workspace.allocate");
            }
            return tensor;
        }

        long bytes() {
            return Tensor.countElements(shape) * dtype.byteSize();
        }

        @Override
        public String toString() {
            return name + dtype + Arrays.toString(shape);
        }
    }

    private final List<Buffer> buffers = new ArrayList<>();
    private TensorArena arena;

    /** Plans a tensor; it is zero-filled when the arena is made. */
    public Buffer request(String name, DType dtype, int... shape) {
        if (arena != null) {
            throw new IllegalStateException("Workspace: request for " + name + " after allocation");
        }
        Tensor.countElements(shape); // rejects negative dimensions now, naming nothing worse later
        Buffer b = new Buffer(name, dtype, shape.clone());
        buffers.add(b);
        return b;
    }

    /** Bytes the arena will take, alignment included. */
    public long plannedBytes() {
        long[] sizes = new long[buffers.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = Math.max(4, buffers.get(i).bytes());
        }
        return TensorArena.bytesFor(sizes);
    }

    /** Makes the one arena and binds every planned buffer to its slice. */
    public void allocate(Backend backend) {
        if (arena != null) {
            throw new IllegalStateException("Workspace: already allocated");
        }
        arena = new TensorArena(backend, Math.max(TensorArena.ALIGNMENT, plannedBytes()));
        for (Buffer b : buffers) {
            b.tensor = arena.allocate(b.dtype, b.shape);
        }
    }

    /** Whether {@link #allocate} has run. */
    public boolean isAllocated() {
        return arena != null;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
