package org.fusedbert.api;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
 * counter-based generator, so any element's random bits are a pure function of (key, counter).
 * The kernels in {@code native/common/philox.cuh} compute the same function bit for bit, which
 * lets the CPU reference and every device draw identical dropout and masking decisions.
 *
 * <p>Counter layout used across fusedbert: {@code (c0, c1, c2, c3) = (index, site, step, domain)};
 * key = the 64-bit seed split into two words.
 */
public final class Philox {
    /** Domain word for dropout masks. */
    public static final int DOMAIN_DROPOUT = 1;
    /** Domain word for MLM masking. */
    public static final int DOMAIN_MASKING = 2;

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final float TWO_POW_MINUS_24 = 1.0f / (1 << 24);

    private Philox() {
    }

    /**
     * The four output words for counter {@code (c0, c1, c2, c3)} under key {@code seed}, written
     * to {@code out[0..3]}.
     */
    public static void block(long seed, int c0, int c1, int c2, int c3, int[] out) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** A word as a float uniform in [0, 1): its top 24 bits times 2^-24 (exact in float32). */
    public static float toUniform(int word) {
        return (word >>> 8) * TWO_POW_MINUS_24;
    }

    /** {@code floor(word * n / 2^32)}: a word mapped to [0, n) without a division. */
    public static int mulhi(int word, int n) {
        return (int) (((word & 0xFFFFFFFFL) * (n & 0xFFFFFFFFL)) >>> 32);
    }

    /**
     * The uniform for element {@code index} of a stream: word {@code index & 3} of the block at
     * counter {@code (index >>> 2, site, step, domain)}, so one block serves four neighbours.
     */
    public static float uniform(long seed, long index, int site, int step, int domain) {
        int[] w = new int[4];
        block(seed, (int) (index >>> 2), site, step, domain, w);
        return toUniform(w[(int) (index & 3)]);
    }

    /** Whether dropout keeps element {@code index} (see {@link Dropout}). */
    public static boolean keep(Dropout d, long index, int step) {
        return uniform(d.seed(), index, d.site(), step, DOMAIN_DROPOUT) >= d.rate();
    }
}
