package org.fusedbert.device.kernels;

import org.fusedbert.api.Checks;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.Device;
import org.fusedbert.device.DeviceScratch;
import org.fusedbert.device.Dim3;
import org.fusedbert.device.KernelArgs;

/**
 * Launches {@code native/kernels/embedding.cu}: the token + position forward, and the
 * deterministic backward — a stable device radix sort of (id, position) by id, then per-chunk run
 * sums with crossing runs finished by their first chunk, and a column reduction for the position
 * table. No float atomics, so the same inputs give the same bits on every run.
 */
public final class EmbeddingKernels {
    /** Mirrors {@code FB_EMBEDDING_CHUNK}. */
    static final int CHUNK = 32;
    private static final int SORT_TILE = 256;
    private static final int COLUMN_THREADS = 128;

    private final Device device;
    private final DeviceScratch scratch;

    public EmbeddingKernels(Device device, DeviceScratch scratch) {
        this.device = device;
        this.scratch = scratch;
    }

    /** Radix passes of 8 bits needed to sort ids in [0, vocab). */
    static int sortPasses(int vocab) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, vocab - 1));
        return Math.max(1, (bits + 7) / 8);
    }

    /** {@code Backend.embeddingForward}. */
    public void forward(Tensor ids, Tensor tokenTable, Tensor positionTable, Tensor out) {
        int batch = ids.dim(0), length = ids.dim(1), hidden = tokenTable.dim(1);
        long work = (long) batch * length * (hidden % 4 == 0 ? hidden / 4 : hidden);
        if (work == 0) {
            return;
        }
        try (KernelArgs args = new KernelArgs().pointer(ids.address()).pointer(tokenTable.address())
                .pointer(positionTable.address()).pointer(out.address()).i32(batch).i32(length).i32(hidden)) {
            device.launch("fb_embedding_forward", Geometry.gridStride(work), Dim3.of(Geometry.THREADS), 0, args);
        }
    }

    /** {@code Backend.embeddingBackward}: accumulates into both table gradients. */
    public void backward(Tensor ids, Tensor dOut, Tensor dTokenTable, Tensor dPositionTable) {
        int batch = ids.dim(0), length = ids.dim(1);
        int vocab = dTokenTable.dim(0), hidden = dTokenTable.dim(1);
        int count = Geometry.intSize("embeddingBackward", "ids", (long) batch * length);
        if (count == 0 || hidden == 0) {
            return;
        }
        if (Geometry.ceilDiv(hidden, COLUMN_THREADS) > Geometry.MAX_GRID_YZ) {  // the column blocks are grid y
            throw Checks.fail("embeddingBackward", "hidden size", "at most " + (long) Geometry.MAX_GRID_YZ
                    * COLUMN_THREADS, hidden);
        }
        int tiles = Geometry.ceilDiv(count, SORT_TILE);
        int chunks = Geometry.ceilDiv(count, CHUNK);
        long ints = 4L * count;
        long partialBytes = 4L * chunks * hidden;
        long[] r = scratch.reserve(ints, 4L * 256 * tiles, ints, ints, ints, ints, partialBytes, partialBytes);
        long localRank = r[0], digitCounts = r[1];
        long[] keys = {r[2], r[4]};
        long[] values = {r[3], r[5]};
        long chunkHead = r[6], chunkTail = r[7];

        long keysIn = ids.address(), valuesIn = 0L;
        int passes = sortPasses(vocab);
        for (int pass = 0; pass < passes; pass++) {
            int shift = 8 * pass;
            long keysOut = keys[pass & 1], valuesOut = values[pass & 1];
            try (KernelArgs args = new KernelArgs().pointer(keysIn).i32(count).i32(shift).pointer(localRank)
                    .pointer(digitCounts)) {
                device.launch("fb_embedding_sort_rank", Dim3.of(tiles), Dim3.of(SORT_TILE), 0, args);
            }
            try (KernelArgs args = new KernelArgs().pointer(digitCounts).i32(256 * tiles)) {
                device.launch("fb_embedding_sort_scan", Dim3.of(1), Dim3.of(1024), 0, args);
            }
            try (KernelArgs args = new KernelArgs().pointer(keysIn).pointer(valuesIn).i32(count).i32(shift)
                    .pointer(localRank).pointer(digitCounts).pointer(keysOut).pointer(valuesOut)) {
                device.launch("fb_embedding_sort_scatter", Dim3.of(tiles), Dim3.of(SORT_TILE), 0, args);
            }
            keysIn = keysOut;
            valuesIn = valuesOut;
        }
        Dim3 grid = Dim3.of(chunks, Geometry.ceilDiv(hidden, COLUMN_THREADS));
        try (KernelArgs args = new KernelArgs().pointer(keysIn).pointer(valuesIn).pointer(dOut.address()).i32(count)
                .i32(hidden).i32(vocab).pointer(dTokenTable.address()).pointer(chunkHead).pointer(chunkTail)) {
            device.launch("fb_embedding_backward_chunks", grid, Dim3.of(COLUMN_THREADS), 0, args);
        }
        if (chunks > 1) {
            try (KernelArgs args = new KernelArgs().pointer(keysIn).i32(count).i32(hidden).i32(vocab)
                    .pointer(chunkHead).pointer(chunkTail).pointer(dTokenTable.address())) {
                device.launch("fb_embedding_backward_spans", grid, Dim3.of(COLUMN_THREADS), 0, args);
            }
        }
        try (KernelArgs args = new KernelArgs().pointer(dOut.address()).pointer(dPositionTable.address()).i32(batch)
                .i32(length).i32(hidden)) {
            device.launch("fb_embedding_backward_positions", Geometry.gridStride((long) length * hidden),
                    Dim3.of(Geometry.THREADS), 0, args);
        }
    }
}
