package org.fusedbert.device.kernels;

import org.fusedbert.api.Activation;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceScratch;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/elementwise.cu}: bias + activation, the ReLU gradient, column
 * sums without float atomics (bias gradients, and the finishing pass of other kernels' partials),
 * and the device-resident counter increment.
 */
public final class ElementwiseKernels {
    /** Rows each block of the column-sum kernel covers at least (fewer, larger partials below this). */
    static final int MIN_ROWS_PER_CHUNK = 64;
    /** Cap on the number of row chunks, hence on the partials a column sum writes. */
    static final int MAX_CHUNKS = 256;
    private static final Dim3 COLUMN_BLOCK = Dim3.of(32, 8);

    private final Device device;
    private final DeviceScratch scratch;

    public ElementwiseKernels(Device device, DeviceScratch scratch) {
        this.device = device;
        this.scratch = scratch;
    }

    /** Mirrors {@code FB_ACTIVATION_*}. */
    static int activationCode(Activation activation) {
        return switch (activation) {
            case NONE -> 0;
            case RELU -> 1;
        };
    }

    /** {@code Backend.biasActivation}: {@code out = act(x + bias)}, x and out read as [rows, cols]; bias may be null. */
    public void biasActivation(Tensor x, Tensor bias, Activation activation, Tensor out) {
        int cols = x.dim(-1);
        int rows = Geometry.intSize("biasActivation", "rows", Geometry.rows(x));
        if ((long) rows * cols == 0) {
            return;
        }
        long work = (long) rows * (cols % 4 == 0 ? cols / 4 : cols);
        try (KernelArgs args = new KernelArgs().pointer(x.address()).pointer(Geometry.address(bias)).pointer(out.address())
                .i32(rows).i32(cols).i32(activationCode(activation))) {
            device.launch("fb_elementwise_bias_activation", Geometry.gridStride(work), Dim3.of(Geometry.THREADS), 0,
                    args);
        }
    }

    /** {@code Backend.reluBackward}: {@code dx = dy * (y > 0)}. */
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        long count = y.numel();
        if (count == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(y.address()).pointer(dy.address()).pointer(dx.address())
                .i64(count)) {
            device.launch("fb_elementwise_relu_backward", Geometry.gridStride((count + 3) / 4),
                    Dim3.of(Geometry.THREADS), 0, args);
        }
    }

    /** {@code Backend.biasGradient}: {@code dBias (+)= column sums of dy}, deterministic. */
    public void biasGradient(Tensor dy, Tensor dBias, boolean accumulate) {
        int cols = dy.dim(-1);
        int rows = Geometry.intSize("biasGradient", "rows", Geometry.rows(dy));
        columnSums(dy.address(), rows, cols, dBias.address(), accumulate);
    }

    /**
     * {@code out[c] (+)= sum over r of x[r * cols + c]} for a row-major [rows, cols] matrix at
     * device address {@code x}: one pass writing per-chunk partials, then one finishing pass (or a
     * single pass when one chunk covers all rows).
     */
    public void columnSums(long x, int rows, int cols, long out, boolean accumulate) {
        if (cols == 0) {
            return;
        }
        int rowsPerChunk = Math.max(MIN_ROWS_PER_CHUNK, Geometry.ceilDiv(rows, MAX_CHUNKS));
        int chunks = Math.max(1, Geometry.ceilDiv(rows, rowsPerChunk));
        long partials = chunks > 1 ? scratch.reserve((long) chunks * cols * 4) : 0L;
        try (KernelArgs args = new KernelArgs().pointer(x).i32(rows).i32(cols).i32(rowsPerChunk)
                .pointer(partials).pointer(out).i32(accumulate ? 1 : 0)) {
            device.launch("fb_elementwise_column_partials", Dim3.of(Geometry.ceilDiv(cols, 32), chunks), COLUMN_BLOCK,
                    0, args);
        }
        if (chunks > 1) {
            reducePartials(partials, chunks, cols, cols, out, accumulate);
        }
    }

    /**
     * {@code out[c] (+)= sum over k < numPartials of partials[k * stride + c]} for {@code c < cols},
     * in a fixed order (device addresses).
     */
    public void reducePartials(long partials, int numPartials, int stride, int cols, long out, boolean accumulate) {
        try (KernelArgs args = new KernelArgs().pointer(partials).i32(numPartials).i32(stride).i32(cols)
                .pointer(out).i32(accumulate ? 1 : 0)) {
            device.launch("fb_elementwise_reduce_partials", Dim3.of(Geometry.ceilDiv(cols, 32)), COLUMN_BLOCK, 0, args);
        }
    }

    /** {@code Backend.increment}: {@code counter[0] += 1} on the device. */
    public void increment(Tensor counter) {
        try (KernelArgs args = new KernelArgs().pointer(counter.address())) {
            device.launch("fb_elementwise_increment", Dim3.of(1), Dim3.of(32), 0, args);
        }
    }
}
