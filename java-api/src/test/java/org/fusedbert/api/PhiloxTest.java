package org.fusedbert.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhiloxTest {
    /** Known-answer vectors of Random123's kat_vectors for philox4x32_10. */
    @Test
    void matchesRandom123KnownAnswers() {
        int[] out = new int[4];
        Philox.block(0L, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(0xffffffffffffffffL, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        // key = (0xa4093822, 0x299f31d0), counter = pi's digits
        Philox.block(0x299f31d0a4093822L, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void uniformsAreInUnitIntervalAndRoughlyUniform() {
        int n = 200_000;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(42L, i, 1, 5, Philox.DOMAIN_DROPOUT);
            assertTrue(u >= 0f && u < 1f, "uniform out of [0,1): " + u);
            sum += u;
        }
        // mean of n uniforms: sd = sqrt(1/12/n) ~ 6.5e-4; 6 sd
        assertEquals(0.5, sum / n, 4e-3);
    }

    @Test
    void mulhiMapsToRange() {
        assertEquals(0, Philox.mulhi(0, 1000));
        assertEquals(999, Philox.mulhi(-1, 1000));
        assertEquals(500, Philox.mulhi(0x80000000, 1000));
    }
}
