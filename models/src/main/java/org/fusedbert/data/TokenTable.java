package org.fusedbert.data;

import java.util.Arrays;

/**
 * Tokens to dense indices (in insertion order) with a count each, looked up straight from the
 * tokenizer's char buffer: no {@code String} per token, which is most of the cost of vectorizing
 * a corpus. Open addressing with linear probing; reads are safe from many threads once no one
 * writes.
 */
final class TokenTable {
    private int[] slots;          // entry index + 1, 0 = empty
    private char[][] chars;
    private int[] hashes;
    private long[] counts;
    private int size;

    TokenTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
        slots = new int[capacity];
        chars = new char[Math.max(16, expected)][];
        hashes = new int[chars.length];
        counts = new long[chars.length];
    }

    /** Entries in the table. */
    int size() {
        return size;
    }

    /** {@code String.hashCode} of {@code buf[0, len)}, spread. */
    static int hash(char[] buf, int len) {
        int h = 0;
        for (int i = 0; i < len; i++) {
            h = 31 * h + buf[i];
        }
        return h ^ (h >>> 16);
    }

    /** The index of the token {@code buf[0, len)}, or -1. */
    int find(char[] buf, int len) {
        int h = hash(buf, len), mask = slots.length - 1;
        for (int s = h & mask; ; s = (s + 1) & mask) {
            int e = slots[s] - 1;
            if (e < 0) {
                return -1;
            }
            if (hashes[e] == h && equal(chars[e], buf, len)) {
                return e;
            }
        }
    }

    /** Adds {@code count} to the token's count, inserting it first when new; returns its index. */
    int add(char[] buf, int len, long count) {
        int h = hash(buf, len), mask = slots.length - 1;
        int s = h & mask;
        for (; ; s = (s + 1) & mask) {
            int e = slots[s] - 1;
            if (e < 0) {
                break;
            }
            if (hashes[e] == h && equal(chars[e], buf, len)) {
                counts[e] += count;
                return e;
            }
        }
        if (size == chars.length) {
            int grown = 2 * size;
            chars = Arrays.copyOf(chars, grown);
            hashes = Arrays.copyOf(hashes, grown);
            counts = Arrays.copyOf(counts, grown);
        }
        int e = size++;
        chars[e] = Arrays.copyOf(buf, len);
        hashes[e] = h;
        counts[e] = count;
        slots[s] = e + 1;
        if (2 * size > slots.length) {
            rehash();
        }
        return e;
    }

    private static boolean equal(char[] token, char[] buf, int len) {
        return token.length == len && Arrays.equals(token, 0, len, buf, 0, len);
    }

    private void rehash() {
        slots = new int[2 * slots.length];
        int mask = slots.length - 1;
        for (int e = 0; e < size; e++) {
            int s = hashes[e] & mask;
            while (slots[s] != 0) {
                s = (s + 1) & mask;
            }
            slots[s] = e + 1;
        }
    }

    /** Adds every token and count of {@code other} to this table. */
    void addAll(TokenTable other) {
        for (int e = 0; e < other.size; e++) {
            add(other.chars[e], other.chars[e].length, other.counts[e]);
        }
    }

    /** The token at {@code index}. */
    String token(int index) {
        return new String(chars[index]);
    }

    /** The count of the token at {@code index}. */
    long count(int index) {
        return counts[index];
    }
}
