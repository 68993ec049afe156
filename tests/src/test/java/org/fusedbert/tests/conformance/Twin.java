package org.fusedbert.tests.conformance;

import java.util.ArrayList;
import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;

/**
 * The same tensors on the CPU reference and on a device backend, made from the same host data,
 * closed together. Device outputs are poisoned; CPU outputs start at zero.
 */
public final class Twin implements AutoCloseable {
    /** One logical tensor on both backends. */
    public record Pair(Tensor cpu, Tensor dev) {
        public float[] cpuFloats() {
            return cpu.toFloatArray();
        }

        public float[] devFloats() {
            return dev.toFloatArray();
        }

        public int[] cpuInts() {
            return cpu.toIntArray();
        }

        public int[] devInts() {
            return dev.toIntArray();
        }
    }

    private final Backend cpu;
    private final Backend dev;
    private final List<Tensor> owned = new ArrayList<>();

    public Twin(Backend cpu, Backend dev) {
        this.cpu = cpu;
        this.dev = dev;
    }

    public Backend cpu() {
        return cpu;
    }

    public Backend dev() {
        return dev;
    }

    /** An input holding {@code data} on both backends. */
    public Pair input(float[] data, int... shape) {
        return new Pair(keep(Conformance.tensor(cpu, data, shape)), keep(Conformance.tensor(dev, data, shape)));
    }

    /** An input holding {@code data} on both backends. */
    public Pair input(int[] data, int... shape) {
        return new Pair(keep(Conformance.tensor(cpu, data, shape)), keep(Conformance.tensor(dev, data, shape)));
    }

    /**
     * An input holding {@code data} whose first element sits 4 bytes past a 16-byte boundary, so
     * kernels must take their unaligned (scalar) path.
     */
    public Pair unalignedInput(float[] data, int... shape) {
        return new Pair(unaligned(cpu, data, shape), unaligned(dev, data, shape));
    }

    private Tensor unaligned(Backend backend, float[] data, int... shape) {
        Tensor flat = keep(backend.allocate(DType.FLOAT32, data.length + 1));
        Tensor t = flat.narrow(1, data.length).view(shape);
        return t.copyFrom(data);
    }

    /** An output: zeros on the CPU, poison on the device. */
    public Pair output(DType dtype, int... shape) {
        return new Pair(keep(cpu.allocate(dtype, shape)), keep(Conformance.poisoned(dev, dtype, shape)));
    }

    private Tensor keep(Tensor t) {
        owned.add(t);
        return t;
    }

    @Override
    public void close() {
        for (Tensor t : owned) {
            t.close();
        }
        owned.clear();
    }
}
