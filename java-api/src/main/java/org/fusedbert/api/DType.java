package org.fusedbert.api;

/** Element types a {@link Tensor} can hold. Both are four bytes, little-endian in memory. */
public enum DType {
    /** IEEE-754 binary32. */
    FLOAT32(4),
    /** Two's-complement 32-bit integer (token ids, labels, indices, counters). */
    INT32(4);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }
}
