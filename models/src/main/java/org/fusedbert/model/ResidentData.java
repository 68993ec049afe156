package org.fusedbert.model;

import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.model.Workspace.Buffer;

/**
 * A set of examples uploaded once into backend memory, with everything a step needs to take its
 * batch and leave its results there too: the epoch's order, the batch index (a counter the step
 * advances), and histories the steps store their loss and probabilities into, read back by the
 * host only every few steps. With it, a training step takes no input from the host at all.
 */
public final class ResidentData implements AutoCloseable {
    /** Rows uploaded per host-to-backend copy while loading. */
    private static final int UPLOAD_ROWS = 1024;

    private static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong();

    private final String name;
    private final long id = NEXT_ID.incrementAndGet();
    private final Backend backend;
    private final int size;
    private final int batch;
    private final int steps;
    private final int[] hostLabels;
    private final Workspace workspace = new Workspace();
    private final Buffer ids;
    private final Buffer labels;
    private final Buffer order;
    private final Buffer batchIndex;
    private final Buffer losses;
    private final Buffer probabilities;

    /**
     * Uploads {@code examples} (and their labels when {@code withLabels}) for steps of {@code batch}.
     *
     * @param name names the set in step keys ({@code pretrain}, {@code train}, {@code test}, ...)
     */
    public ResidentData(String name, Backend backend, Examples examples, boolean withLabels, int batch) {
        this.name = name;
        this.backend = backend;
        this.size = examples.size();
        this.batch = batch;
        if (size == 0) {
            throw new IllegalArgumentException("ResidentData: examples expected at least one but was none");
        }
        this.steps = EpochOrder.stepsPerEpoch(size, batch);
        int len = examples.length();
        ids = workspace.request(name + ".ids", DType.INT32, size, len);
        labels = workspace.request(name + ".labels", DType.INT32, size, 1);
        order = workspace.request(name + ".order", DType.INT32, size);
        batchIndex = workspace.request(name + ".batchIndex", DType.INT32, 1);
        losses = workspace.request(name + ".losses", DType.FLOAT32, steps);
        probabilities = workspace.request(name + ".probabilities", DType.FLOAT32, steps * batch);
        workspace.allocate(backend);
        hostLabels = withLabels ? new int[size] : null;
        int[] rows = new int[Math.min(UPLOAD_ROWS, size)];
        int[] chunk = new int[rows.length * len];
        for (int first = 0; first < size; first += rows.length) {
            int n = Math.min(rows.length, size - first);
            int[] r = n == rows.length ? rows : new int[n];
            for (int i = 0; i < n; i++) {
                r[i] = first + i;
                if (hostLabels != null) {
                    hostLabels[first + i] = examples.label(first + i);
                }
            }
            examples.ids(r, chunk);
            backend.upload(java.lang.foreign.MemorySegment.ofArray(chunk), DType.INT32, (long) n * len,
                    ids.get().narrow(first, n));
        }
        if (hostLabels != null) {
            labels.get().copyFrom(hostLabels);
        }
    }

    /** The name given at upload. */
    public String name() {
        return name;
    }

    /**
     * Names this set in step keys: unique per instance, since a captured step holds this
     * instance's tensors and must never be replayed on another's.
     */
    public String key() {
        return name + "#" + id;
    }

    /** Number of examples. */
    public int size() {
        return size;
    }

    /** Steps per epoch: every example at least once, in full batches. */
    public int steps() {
        return steps;
    }

    /** The host copy of the labels (null without labels). */
    public int[] hostLabels() {
        return hostLabels;
    }

    /** Starts an epoch visiting the examples in {@code permutation}, at step {@code firstStep}. */
    public void startEpoch(int[] permutation, int firstStep) {
        if (permutation.length != size) {
            throw new IllegalArgumentException("ResidentData.startEpoch: permutation expected " + size
                    + " entries but was " + permutation.length);
        }
        order.get().copyFrom(permutation);
        batchIndex.get().copyFrom(new int[] {firstStep});
    }

    /** The ids, int32 [N, L]. */
    public Tensor ids() {
        return ids.get();
    }

    /** The labels as one column, int32 [N, 1]. */
    public Tensor labels() {
        return labels.get();
    }

    /** The epoch's order, int32 [N]. */
    public Tensor order() {
        return order.get();
    }

    /** The batch index within the epoch, int32 [1]: steps advance it. */
    public Tensor batchIndex() {
        return batchIndex.get();
    }

    /** Each step's loss, float32 [steps]. */
    public Tensor losses() {
        return losses.get();
    }

    /** Each step's probabilities, float32 [steps * B], batch after batch. */
    public Tensor probabilities() {
        return probabilities.get();
    }

    /** The losses of steps {@code [from, to)} of the epoch, read back. */
    public float[] readLosses(int from, int to) {
        return to > from ? losses.get().narrow(from, to - from).toFloatArray() : new float[0];
    }

    /** Bytes of backend memory this set takes. */
    public long bytes() {
        return workspace.plannedBytes();
    }

    /** The backend it lives in. */
    public Backend backend() {
        return backend;
    }

    @Override
    public void close() {
        workspace.close();
    }
}
