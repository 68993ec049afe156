package org.fusedbert.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major, contiguous array of {@link DType} elements with a shape, living in the
 * memory of the {@link Backend} that made it.
 *
 * <p>A tensor made by {@link Backend#allocate} owns its storage and frees it on {@link #close()}
 * (use try-with-resources, or a {@link TensorArena}). Views made by {@link #view}, {@link #narrow}
 * and {@link TensorArena#allocate} share storage and never free it: closing a view is a no-op,
 * and a view must not outlive its owner.
 *
 * <p>Tensors are not thread-safe; a backend's operations on one tensor must not race.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final Storage storage;
    private final long byteOffset;
    private final DType dtype;
    private final int[] shape;
    private final long numel;
    private final boolean owner;

    /**
     * For {@link Backend} implementations: a tensor over {@code storage} starting at
     * {@code byteOffset}. {@code owner} tensors release the storage on close.
     */
    public Tensor(Backend backend, Storage storage, long byteOffset, DType dtype, int[] shape, boolean owner) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.storage = Objects.requireNonNull(storage, "storage");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.numel = countElements(this.shape);
        this.byteOffset = byteOffset;
        this.owner = owner;
        if (byteOffset < 0 || byteOffset + numel * dtype.byteSize() > storage.byteSize()) {
            throw new IllegalArgumentException("Tensor: view of " + numel * dtype.byteSize() + " bytes at offset "
                    + byteOffset + " does not fit a storage of " + storage.byteSize() + " bytes");
        }
    }

    /** Product of the dimensions, checking each is non-negative. */
    public static long countElements(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("Tensor: negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The backend whose memory holds this tensor. */
    public Backend backend() {
        return backend;
    }

    /** The storage this tensor views. */
    public Storage storage() {
        return storage;
    }

    /** Offset of the first element within {@link #storage()}, in bytes. */
    public long byteOffset() {
        return byteOffset;
    }

    /** Element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** The product of all dimensions but the last: the rows of this tensor read as a matrix (1 for a scalar or vector). */
    public long rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            r *= shape[i];
        }
        return r;
    }

    /** Number of elements. */
    public long numel() {
        return numel;
    }

    /** Size of the data in bytes. */
    public long byteSize() {
        return numel * dtype.byteSize();
    }

    /** Whether this tensor frees its storage on close. */
    public boolean isOwner() {
        return owner;
    }

    /** Whether the storage under this tensor has been freed. */
    public boolean isClosed() {
        return storage.isReleased();
    }

    /** Address of the first element: a host address or a device pointer. */
    public long address() {
        ensureOpen();
        return storage.address() + byteOffset;
    }

    /**
     * The elements as a host segment, for host-resident backends (CPU, simulator).
     *
     * @throws IllegalStateException if the memory is not host-accessible or has been freed
     */
    public MemorySegment segment() {
        ensureOpen();
        MemorySegment whole = storage.hostSegment();
        if (whole == null) {
            throw new IllegalStateException("Tensor: memory of backend " + backend.name() + " is not host-accessible");
        }
        return whole.asSlice(byteOffset, byteSize());
    }

    /** A view with another shape and the same number of elements; one dimension may be -1. */
    public Tensor view(int... newShape) {
        ensureOpen();
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("Tensor.view: more than one -1 in " + Arrays.toString(newShape));
                }
                infer = i;
            } else {
                if (s[i] < 0) {
                    throw new IllegalArgumentException("Tensor.view: negative dimension in " + Arrays.toString(newShape));
                }
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("Tensor.view: cannot infer -1 in " + Arrays.toString(newShape)
                        + " for " + numel + " elements");
            }
            s[infer] = (int) (numel / known);
        }
        if (countElements(s) != numel) {
            throw new IllegalArgumentException("Tensor.view: shape " + Arrays.toString(newShape) + " has "
                    + countElements(s) + " elements, expected " + numel + " (shape " + Arrays.toString(shape) + ")");
        }
        return new Tensor(backend, storage, byteOffset, dtype, s, false);
    }

    /** A view of rows {@code [first, first + count)} along dimension 0. */
    public Tensor narrow(int first, int count) {
        ensureOpen();
        if (shape.length == 0) {
            throw new IllegalArgumentException("Tensor.narrow: scalar tensor has no rows");
        }
        if (first < 0 || count < 0 || (long) first + count > shape[0]) {
            throw new IllegalArgumentException("Tensor.narrow: rows [" + first + ", " + ((long) first + count)
                    + ") outside [0, " + shape[0] + ")");
        }
        long rowBytes = shape[0] == 0 ? 0 : byteSize() / shape[0];
        int[] s = shape.clone();
        s[0] = count;
        return new Tensor(backend, storage, byteOffset + first * rowBytes, dtype, s, false);
    }

    /** Copies {@code src} into this tensor (lengths must match). */
    public Tensor copyFrom(float[] src) {
        backend.upload(MemorySegment.ofArray(src), DType.FLOAT32, src.length, this);
        return this;
    }

    /** Copies {@code src} into this tensor (lengths must match). */
    public Tensor copyFrom(int[] src) {
        backend.upload(MemorySegment.ofArray(src), DType.INT32, src.length, this);
        return this;
    }

    /** The elements, copied to the Java heap (waits for pending work). */
    public float[] toFloatArray() {
        requireDType(DType.FLOAT32, "toFloatArray");
        float[] out = new float[Math.toIntExact(numel)];
        backend.download(this, MemorySegment.ofArray(out));
        return out;
    }

    /** The elements, copied to the Java heap (waits for pending work). */
    public int[] toIntArray() {
        requireDType(DType.INT32, "toIntArray");
        int[] out = new int[Math.toIntExact(numel)];
        backend.download(this, MemorySegment.ofArray(out));
        return out;
    }

    /** The single element of a one-element tensor (an int32 one converted to float). */
    public float item() {
        if (numel != 1) {
            throw new IllegalArgumentException("Tensor.item: elements expected 1 but was " + numel);
        }
        return dtype == DType.FLOAT32 ? toFloatArray()[0] : toIntArray()[0];
    }

    private void requireDType(DType expected, String op) {
        if (dtype != expected) {
            throw new IllegalArgumentException("Tensor." + op + ": dtype expected " + expected + " but was " + dtype);
        }
    }

    /** Throws if the storage has been freed. */
    public void ensureOpen() {
        if (storage.isReleased()) {
            throw new IllegalStateException("Tensor: use after close (" + dtype + Arrays.toString(shape) + ")");
        }
    }

    /** Frees the storage if this tensor owns it; a no-op for views. */
    @Override
    public void close() {
        if (owner) {
            storage.release();
        }
    }

    /** Reads element {@code i} of a host-accessible float tensor (tests and debugging). */
    public float getFloat(long i) {
        return segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
    }

    /** Reads element {@code i} of a host-accessible int tensor (tests and debugging). */
    public int getInt(long i) {
        return segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + Arrays.toString(shape) + " on " + backend.name() + (owner ? "" : ", view") + "]";
    }
}
