package org.fusedbert.device;

/** A CUDA grid or block extent. */
public record Dim3(int x, int y, int z) {
    public Dim3 {
        if (x < 1 || y < 1 || z < 1) {
            throw new IllegalArgumentException("Dim3: extents expected >= 1 but were (" + x + ", " + y + ", " + z + ")");
        }
    }

    /** {@code (x, 1, 1)}. */
    public static Dim3 of(int x) {
        return new Dim3(x, 1, 1);
    }

    /** {@code (x, y, 1)}. */
    public static Dim3 of(int x, int y) {
        return new Dim3(x, y, 1);
    }

    /** Threads or blocks in all: {@code x * y * z}. */
    public long count() {
        return (long) x * y * z;
    }
}
