package org.fusedbert.device.kernels;

import org.fusedbert.api.Checks;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Dim3;

/** Launch geometry shared by the kernel classes: block sizes, grid-stride grids, alignment tests. */
final class Geometry {
    /** The block size of the 1-D elementwise kernels. */
    static final int THREADS = 256;
    /**
     * Upper bound on grid-stride grids: enough blocks to fill any current GPU many times over,
     * while the grid (hence the work split) does not depend on the device.
     */
    static final int MAX_GRID_STRIDE_BLOCKS = 8192;

    private Geometry() {
    }

    static int ceilDiv(long a, long b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    /** A 1-D grid of {@link #THREADS}-thread blocks covering {@code work} items (at least one block). */
    static Dim3 gridStride(long work) {
        long blocks = Math.max(1, (work + THREADS - 1) / THREADS);
        return Dim3.of((int) Math.min(blocks, MAX_GRID_STRIDE_BLOCKS));
    }

    /** Whether every tensor (null ones ignored) starts on a 16-byte boundary. */
    static boolean aligned16(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null && (t.address() & 15) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The device address of {@code t}, or 0 (a null pointer) for {@code null}. */
    static long address(Tensor t) {
        return t == null ? 0L : t.address();
    }

    /** {@code value} as an int, or the standard failure naming the operation and argument. */
    static int intSize(String op, String arg, long value) {
        if (value < 0 || value > MAX_INT_SIZE) {
            throw Checks.fail(op, arg, "a size in [0, " + MAX_INT_SIZE + "]", value);
        }
        return (int) value;
    }

    /**
     * The largest count a kernel takes as an {@code int}: room below {@code INT_MAX} for the
     * kernels' {@code i += blockDim.x} strides and {@code (n + 255) >> 8} roundings, which would
     * wrap negative within a block's width of it.
     */
    static final int MAX_INT_SIZE = Integer.MAX_VALUE - 4096;

    /** The largest grid y or z extent CUDA launches. */
    static final int MAX_GRID_YZ = 65535;

    /** Rows of a tensor read as {@code [rows, cols]} with {@code cols} its last dimension. */
    static long rows(Tensor t) {
        int cols = t.dim(-1);
        return cols == 0 ? 0 : t.numel() / cols;
    }
}
