package org.fusedbert.bench.device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fusedbert.api.Tensor;

/**
 * One kernel benchmark at one shape: the inputs of {@code slots} rotation copies, the phases
 * (forward, backward, ...) it times with their work (bytes moved or floating-point operations),
 * and what {@code peers.py} needs to build the PyTorch peer at the same shape.
 */
abstract class KernelCase implements AutoCloseable {
    /** Caches the rotation should defeat: enough copies that their inputs exceed this many bytes (twice an H100/H200 L2). */
    static final long ROTATE_BYTES = 128L << 20;
    /** At most this many copies. */
    static final int MAX_SLOTS = 8;

    /**
     * One timed operation of a case.
     *
     * @param name  forward, backward, step, forward+backward
     * @param bytes minimum bytes it must move (0 when it is measured in FLOP/s)
     * @param flops floating-point operations (0 when it is measured in GB/s)
     */
    record Phase(String name, double bytes, double flops) {
        boolean bandwidthBound() {
            return bytes > 0;
        }
    }

    private final List<Tensor> owned = new ArrayList<>();
    protected Target target;

    /** The operation's family, as {@code peers.py} names it. */
    abstract String op();

    /** The shape in words, for the report. */
    abstract String shape();

    /** Bytes of inputs and outputs of one rotation copy. */
    abstract long bytesPerSlot();

    abstract List<Phase> phases();

    /** Allocates and fills the inputs of {@link #slots} copies on {@link #target}. */
    abstract void setUp(RandomData random);

    /** One call of {@code phase} on copy {@code slot}. */
    abstract void run(String phase, int slot);

    /** The op-specific fields of the peer's spec (shape, rates). */
    abstract Map<String, Object> peerFields();

    /** How much device memory the op needed beyond its inputs, where measured (see {@link MlmCrossEntropyCase}). */
    OptionalLong peakBytes() {
        return OptionalLong.empty();
    }

    /** A stable identifier: op and shape. */
    final String id() {
        return op() + " " + shape();
    }

    /** Sets up {@link #slots()} copies on {@code t}. */
    final void open(Target t, RandomData random) {
        this.target = t;
        setUp(random);
    }

    /** Rotation copies: enough to exceed {@link #ROTATE_BYTES}, at least 2, at most {@link #MAX_SLOTS}. */
    final int slots() {
        long per = Math.max(1, bytesPerSlot());
        return (int) Math.max(2, Math.min(MAX_SLOTS, (ROTATE_BYTES + per - 1) / per));
    }

    /** Registers a tensor to free on {@link #close()}. */
    protected final Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    /** The peer's spec: id, op, slots and the op's fields. */
    final Map<String, Object> peerSpec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id());
        m.put("op", op());
        m.put("slots", slots());
        m.putAll(peerFields());
        return m;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
        owned.clear();
    }
}
