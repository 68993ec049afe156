package org.fusedbert.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenTableTest {
    @Test
    void agreesWithAHashMapThroughGrowthAndMerging() {
        SplittableRandom rnd = new SplittableRandom(5);
        TokenTable a = new TokenTable(1), b = new TokenTable(3);
        Map<String, Long> expected = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            // short tokens over a small alphabet: many repeats and many equal hashes mod the capacity
            char[] buf = new char[1 + rnd.nextInt(4)];
            for (int j = 0; j < buf.length; j++) {
                buf[j] = "abcé€😀".charAt(rnd.nextInt(6));
            }
            (i % 3 == 0 ? b : a).add(buf, buf.length, 1);
            expected.merge(new String(buf), 1L, Long::sum);
        }
        a.addAll(b);
        assertEquals(expected.size(), a.size());
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            char[] token = e.getKey().toCharArray();
            int index = a.find(token, token.length);
            assertEquals(e.getKey(), a.token(index));
            assertEquals(e.getValue(), a.count(index), e.getKey());
        }
        assertEquals(-1, a.find("zzzzz".toCharArray(), 5));
    }

    @Test
    void indicesAreDenseInInsertionOrder() {
        TokenTable t = new TokenTable(2);
        assertEquals(0, t.add("x".toCharArray(), 1, 1));
        assertEquals(1, t.add("yy".toCharArray(), 2, 1));
        assertEquals(0, t.add("xq".toCharArray(), 1, 5)); // only the first len chars count
        assertEquals(6, t.count(0));
        assertEquals(1, t.find("yyy".toCharArray(), 2));
    }
}
