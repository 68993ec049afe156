package org.fusedbert.device;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.fusedbert.api.Activation;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Dropout;
import org.fusedbert.api.MaskingSpec;
import org.fusedbert.api.OpChecks;
import org.fusedbert.api.PendingRead;
import org.fusedbert.api.Storage;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.kernels.AdamKernels;
import org.fusedbert.device.kernels.BatchKernels;
import org.fusedbert.device.kernels.AttentionKernels;
import org.fusedbert.device.kernels.CrossEntropyKernels;
import org.fusedbert.device.kernels.ElementwiseKernels;
import org.fusedbert.device.kernels.EmbeddingKernels;
import org.fusedbert.device.kernels.LayerNormKernels;
import org.fusedbert.device.kernels.MlmKernels;
import org.fusedbert.device.kernels.PoolingKernels;

/**
 * {@link Backend} on any {@link Device}: tensors in device memory, matmuls as {@link Device#gemm}
 * calls, every other operation as launches of the fused kernels ({@code native/kernels}, through
 * the launch classes of {@code org.fusedbert.device.kernels}).
 *
 * <p>Arguments are validated exactly as the CPU reference validates them ({@link OpChecks}:
 * shapes, dtypes, overlaps) before anything is issued. Range checks of index <em>values</em>
 * (token ids, labels, lengths) need the values on the host: they run only where the device's
 * memory is host-visible (the simulator), after waiting for pending work. On a GPU they are not
 * done — the kernels never read or write outside their tensors because of a bad index, but the
 * result for that element is undefined (see each kernel in {@code native/include/fusedbert/kernels.h}).
 *
 * <p>Operations are issued in order on the device's stream and return without waiting;
 * {@link #download} and {@link #synchronize} wait, {@link #readAsync} does not (it copies into
 * pinned host memory lent from a small pool and polls the copy's {@link DeviceEvent}). Kernel temporaries come from one grow-only
 * {@link DeviceScratch}; run one eager training step before capturing a graph so it is sized.
 */
public final class DeviceBackend implements Backend {
    private final Device device;
    private final boolean ownsDevice;
    private final DeviceScratch scratch;
    private final ElementwiseKernels elementwise;
    private final LayerNormKernels layerNorm;
    private final CrossEntropyKernels crossEntropy;
    private final EmbeddingKernels embedding;
    private final AdamKernels adam;
    private final MlmKernels mlm;
    private final PoolingKernels pooling;
    private final BatchKernels batch;
    private final AsyncReads reads;

    /** A backend over {@code device}; the backend does not own the device (close it yourself). */
    public DeviceBackend(Device device) {
        this(device, false);
    }

    /** A backend that closes {@code device} when it is closed ({@code Backends.open} hands these out). */
    public static DeviceBackend owning(Device device) {
        try {
            return new DeviceBackend(device, true);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    private DeviceBackend(Device device, boolean ownsDevice) {
        this.ownsDevice = ownsDevice;
        this.device = Objects.requireNonNull(device, "device");
        this.scratch = new DeviceScratch(device);
        this.elementwise = new ElementwiseKernels(device, scratch);
        this.layerNorm = new LayerNormKernels(device, scratch);
        this.crossEntropy = new CrossEntropyKernels(device, scratch);
        this.embedding = new EmbeddingKernels(device, scratch);
        this.adam = new AdamKernels(device, elementwise);
        this.mlm = new MlmKernels(device);
        this.pooling = new PoolingKernels(device);
        this.batch = new BatchKernels(device);
        this.reads = new AsyncReads(device);
    }

    /** The device this backend issues work to. */
    public Device device() {
        return device;
    }

    @Override
    public String name() {
        return device.name();
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        OpChecks.allocate(dtype, shape);
        long bytes = Tensor.countElements(shape) * dtype.byteSize();
        Storage storage = device.allocate(Math.max(bytes, dtype.byteSize()));
        return new Tensor(this, storage, 0, dtype, shape, true);
    }

    @Override
    public void upload(MemorySegment src, DType dtype, long count, Tensor dst) {
        OpChecks.upload(this, src, dtype, count, dst);
        if (count > 0) {
            device.copyHostToDevice(src, dst.address(), count * dtype.byteSize());
        }
    }

    @Override
    public void download(Tensor src, MemorySegment dst) {
        OpChecks.download(this, src, dst);
        if (src.numel() > 0) {
            device.copyDeviceToHost(src.address(), dst, src.byteSize());
        }
    }

    @Override
    public PendingRead readAsync(Tensor src) {
        OpChecks.readAsync(this, src);
        return reads.read(src);
    }

    /** Pinned host slots {@link #readAsync} has allocated so far (reads reuse them). */
    public int readSlots() {
        return reads.slotCount();
    }

    @Override
    public void fill(Tensor t, double value) {
        OpChecks.fill(this, t, value);
        int pattern = t.dtype() == DType.FLOAT32 ? Float.floatToRawIntBits((float) value) : (int) value;
        if (t.numel() > 0) {
            device.fill32(t.address(), pattern, t.numel());
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        OpChecks.copy(this, src, dst);
        if (src.numel() > 0 && src.address() != dst.address()) {
            device.copyDeviceToDevice(src.address(), dst.address(), src.byteSize());
        }
    }

    @Override
    public void increment(Tensor counter) {
        OpChecks.increment(this, counter);
        elementwise.increment(counter);
    }

    @Override
    public void synchronize() {
        device.synchronize();
        scratch.releaseRetired();
    }

    /** Frees the kernel workspace; the device stays open (its owner closes it). */
    @Override
    public void close() {
        reads.close();
        scratch.close();
        if (ownsDevice) {
            device.close();
        }
    }

    /**
     * The tensor's values as a host segment when the device memory is host-visible (after waiting
     * for pending work), else {@code null}: value checks run only where this costs no transfer.
     */
    private MemorySegment hostValues(Tensor t) {
        if (t.storage().hostSegment() == null) {
            return null;
        }
        device.synchronize();
        return t.segment();
    }

    // ------------------------------------------------------------------ embeddings

    @Override
    public void embeddingForward(Tensor ids, Tensor tokenTable, Tensor positionTable, Tensor out) {
        OpChecks.embeddingForward(this, ids, tokenTable, positionTable, out);
        MemorySegment values = hostValues(ids);
        if (values != null) {
            OpChecks.tokenIds("embeddingForward", "ids", values, ids.numel(), tokenTable.dim(0));
        }
        embedding.forward(ids, tokenTable, positionTable, out);
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTokenTable, Tensor dPositionTable) {
        OpChecks.embeddingBackward(this, ids, dOut, dTokenTable, dPositionTable);
        MemorySegment values = hostValues(ids);
        if (values != null) {
            OpChecks.tokenIds("embeddingBackward", "ids", values, ids.numel(), dTokenTable.dim(0));
        }
        embedding.backward(ids, dOut, dTokenTable, dPositionTable);
    }

    // ------------------------------------------------------------------ dense layers

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor bias,
                       Activation activation, boolean accumulate, Tensor c) {
        OpChecks.matmul(this, a, transposeA, b, transposeB, bias, activation, accumulate, c);
        int aRows = Math.toIntExact(a.rows()), bRows = Math.toIntExact(b.rows());
        int aCols = a.dim(-1), bCols = b.dim(-1);
        int m = transposeA ? aCols : aRows;
        int k = transposeA ? aRows : aCols;
        int n = transposeB ? bRows : bCols;
        if ((long) m * n == 0) {
            return;
        }
        device.gemm(new GemmSpec(transposeA, transposeB, m, n, k, a.address(), Math.max(1, aCols),
                b.address(), Math.max(1, bCols), bias == null ? 0L : bias.address(), activation,
                accumulate ? 1f : 0f, c.address(), Math.max(1, n)));
    }

    @Override
    public void biasActivation(Tensor x, Tensor bias, Activation activation, Tensor out) {
        OpChecks.biasActivation(this, x, bias, activation, out);
        elementwise.biasActivation(x, bias, activation, out);
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        OpChecks.reluBackward(this, y, dy, dx);
        elementwise.reluBackward(y, dy, dx);
    }

    @Override
    public void biasGradient(Tensor dy, Tensor dBias, boolean accumulate) {
        OpChecks.biasGradient(this, dy, dBias, accumulate);
        elementwise.biasGradient(dy, dBias, accumulate);
    }

    // ------------------------------------------------------------------ attention

    @Override
    public void attentionForward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse) {
        OpChecks.attentionForward(this, qkv, validLengths, heads, scale, out, lse);
        checkValidLengths("attentionForward", qkv, validLengths);
        AttentionKernels.forward(device, qkv, validLengths, heads, scale, out, lse);
    }

    @Override
    public void attentionBackward(Tensor qkv, Tensor validLengths, int heads, float scale, Tensor out, Tensor lse,
                                  Tensor dOut, Tensor delta, Tensor dqkv) {
        OpChecks.attentionBackward(this, qkv, validLengths, heads, scale, out, lse, dOut, delta, dqkv);
        checkValidLengths("attentionBackward", qkv, validLengths);
        AttentionKernels.backward(device, qkv, validLengths, heads, scale, out, lse, dOut, delta, dqkv);
    }

    /** Key lengths in [1, L], where host-visible (as the CPU reference checks them). */
    private void checkValidLengths(String op, Tensor qkv, Tensor validLengths) {
        MemorySegment values = validLengths == null ? null : hostValues(validLengths);
        if (values != null) {
            OpChecks.validLengths(op, "validLengths", values, validLengths.numel(), qkv.dim(1));
        }
    }

    // ------------------------------------------------------------------ residual + dropout + layernorm

    @Override
    public void addDropoutLayerNormForward(Tensor residual, Tensor sublayer, Tensor gamma, Tensor beta, float eps,
                                           Dropout dropout, Tensor out, Tensor mean, Tensor rstd) {
        OpChecks.addDropoutLayerNormForward(this, residual, sublayer, gamma, beta, eps, dropout, out, mean, rstd);
        layerNorm.forward(residual, sublayer, gamma, beta, eps, dropout, out, mean, rstd);
    }

    @Override
    public void addDropoutLayerNormBackward(Tensor dOut, Tensor residual, Tensor sublayer, Tensor gamma, Tensor mean,
                                            Tensor rstd, Dropout dropout, Tensor dResidual, Tensor dSublayer,
                                            Tensor dGamma, Tensor dBeta) {
        OpChecks.addDropoutLayerNormBackward(this, dOut, residual, sublayer, gamma, mean, rstd, dropout, dResidual,
                dSublayer, dGamma, dBeta);
        layerNorm.backward(dOut, residual, sublayer, gamma, mean, rstd, dropout, dResidual, dSublayer, dGamma, dBeta);
    }

    // ------------------------------------------------------------------ losses and heads

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor loss) {
        OpChecks.softmaxCrossEntropy(this, logits, labels, loss);
        MemorySegment values = hostValues(labels);
        if (values != null) {
            OpChecks.labels("softmaxCrossEntropy", "labels", values, labels.numel(), logits.dim(-1));
        }
        crossEntropy.softmaxCrossEntropy(logits, labels, loss);
    }

    @Override
    public void maxPoolForward(Tensor x, Tensor out, Tensor argmax) {
        OpChecks.maxPoolForward(this, x, out, argmax);
        pooling.maxForward(x, out, argmax);
    }

    @Override
    public void maxPoolBackward(Tensor dOut, Tensor argmax, Tensor dx) {
        OpChecks.maxPoolBackward(this, dOut, argmax, dx);
        MemorySegment values = hostValues(argmax);
        if (values != null) {
            OpChecks.intRange("maxPoolBackward", "argmax", values, argmax.numel(), 0, dx.dim(1) - 1L);
        }
        pooling.maxBackward(dOut, argmax, dx);
    }

    @Override
    public void sigmoidBinaryCrossEntropy(Tensor logits, Tensor labels, Tensor probs, Tensor loss, Tensor dLogits) {
        OpChecks.sigmoidBinaryCrossEntropy(this, logits, labels, probs, loss, dLogits);
        MemorySegment values = hostValues(labels);
        if (values != null) {
            OpChecks.binaryLabels("sigmoidBinaryCrossEntropy", "labels", values, labels.numel());
        }
        crossEntropy.sigmoidBinaryCrossEntropy(logits, labels, probs, loss, dLogits);
    }

    // ------------------------------------------------------------------ MLM data path

    @Override
    public void sequenceLengths(Tensor ids, Tensor lengths) {
        OpChecks.sequenceLengths(this, ids, lengths);
        mlm.sequenceLengths(ids, lengths);
    }

    @Override
    public void mlmMask(Tensor ids, MaskingSpec spec, Tensor stepCounter, Tensor maskedIds, Tensor labels) {
        OpChecks.mlmMask(this, ids, spec, stepCounter, maskedIds, labels);
        MemorySegment values = hostValues(ids);
        if (values != null) {
            OpChecks.intRange("mlmMask", "ids", values, ids.numel(), 0, spec.maskId());
        }
        mlm.mask(ids, spec, stepCounter, maskedIds, labels);
    }

    @Override
    public void gatherLabelledRows(Tensor hidden, Tensor labels, Tensor rows, Tensor rowLabels, Tensor rowIndex,
                                   Tensor count) {
        OpChecks.gatherLabelledRows(this, hidden, labels, rows, rowLabels, rowIndex, count);
        MemorySegment values = hostValues(labels);
        if (values != null) {
            OpChecks.labels("gatherLabelledRows", "labels", values, labels.numel(), Integer.MAX_VALUE);
        }
        mlm.gatherLabelledRows(hidden, labels, rows, rowLabels, rowIndex, count);
    }

    @Override
    public void scatterRows(Tensor dRows, Tensor rowIndex, Tensor dHidden) {
        OpChecks.scatterRows(this, dRows, rowIndex, dHidden);
        MemorySegment values = hostValues(rowIndex);
        if (values != null) {
            OpChecks.labels("scatterRows", "rowIndex", values, rowIndex.numel(), Math.toIntExact(dHidden.rows()));
        }
        mlm.scatterRows(dRows, rowIndex, dHidden);
    }

    /** The capacity: a device never makes the host wait to learn the exact count. */
    @Override
    public int rowsToProcess(Tensor count, int capacity) {
        OpChecks.rowsToProcess(this, count, capacity);
        return capacity;
    }

    // ------------------------------------------------------------------ resident data

    @Override
    public void gatherBatch(Tensor source, Tensor order, Tensor batchIndex, Tensor out) {
        OpChecks.gatherBatch(this, source, order, batchIndex, out);
        MemorySegment values = hostValues(order);
        if (values != null) {
            OpChecks.intRange("gatherBatch", "order", values, order.numel(), 0, source.dim(0) - 1L);
            OpChecks.intRange("gatherBatch", "batchIndex", batchIndex.segment(), 1, 0, Integer.MAX_VALUE);
        }
        batch.gather(source, order, batchIndex, out);
    }

    @Override
    public void storeBatch(Tensor values, Tensor batchIndex, Tensor history) {
        OpChecks.storeBatch(this, values, batchIndex, history);
        MemorySegment index = hostValues(batchIndex);
        if (index != null) {
            OpChecks.intRange("storeBatch", "batchIndex", index, 1, 0, Integer.MAX_VALUE);
        }
        batch.store(values, batchIndex, history);
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor step, AdamConfig config) {
        OpChecks.adamStep(this, params, grads, m, v, step, config);
        adam.step(params, grads, m, v, step, config);
    }
}
