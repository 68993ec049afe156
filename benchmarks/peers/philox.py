"""Philox4x32-10 in numpy, bit-identical to org.fusedbert.api.Philox, and the draws fusedbert
builds on it: MLM masking (org.fusedbert.api.MaskingSpec) and dropout keep decisions
(org.fusedbert.api.Dropout).

Counter layout (as in the Java): (c0, c1, c2, c3) = (index, site, step, domain); the key is the
64-bit seed split into its low and high 32-bit words. Everything is vectorized over c0.

Run as a script for the self-test (Random123's known answers) or to print draws for comparison
with the Java implementation:
    python3 philox.py selftest
    python3 philox.py blocks SEED C1 C2 C3 C0_FROM C0_COUNT        one line of 4 hex words per counter
    python3 philox.py blocks -                                      the same for each such line on stdin
    python3 philox.py uniform SEED SITE STEP DOMAIN FROM COUNT     the float32 bits of each uniform, hex
    python3 philox.py mask SEED STEP MASK_ID ID...                  "corrupted label" per position
"""

import sys

import numpy as np

M0 = np.uint64(0xD2511F53)
M1 = np.uint64(0xCD9E8D57)
W0 = 0x9E3779B9
W1 = 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)

DOMAIN_DROPOUT = 1
DOMAIN_MASKING = 2


def block(seed, c0, c1=0, c2=0, c3=0):
    """The four output words (uint32 arrays shaped like c0) for counters (c0, c1, c2, c3) under key seed.

    c0 may be an int or an integer array; c1, c2, c3 are ints (or arrays broadcastable to c0).
    """
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    k0 = seed & 0xFFFFFFFF
    k1 = seed >> 32
    x0 = np.asarray(c0, dtype=np.int64).astype(np.uint64) & MASK32
    x1 = np.broadcast_to(np.asarray(c1, dtype=np.int64).astype(np.uint64) & MASK32, x0.shape)
    x2 = np.broadcast_to(np.asarray(c2, dtype=np.int64).astype(np.uint64) & MASK32, x0.shape)
    x3 = np.broadcast_to(np.asarray(c3, dtype=np.int64).astype(np.uint64) & MASK32, x0.shape)
    for _ in range(10):
        p0 = M0 * x0  # a 32x32-bit product fits in 64 bits
        p1 = M1 * x2
        hi0, lo0 = p0 >> SHIFT32, p0 & MASK32
        hi1, lo1 = p1 >> SHIFT32, p1 & MASK32
        x0, x1, x2, x3 = hi1 ^ x1 ^ np.uint64(k0), lo1, hi0 ^ x3 ^ np.uint64(k1), lo0
        k0 = (k0 + W0) & 0xFFFFFFFF
        k1 = (k1 + W1) & 0xFFFFFFFF
    return tuple(w.astype(np.uint32) for w in (x0, x1, x2, x3))


def to_uniform(word):
    """A uint32 word as a float32 uniform in [0, 1): its top 24 bits times 2^-24 (exact)."""
    return (np.asarray(word, dtype=np.uint32) >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / (1 << 24))


def mulhi(word, n):
    """floor(word * n / 2^32): a word mapped to [0, n)."""
    return ((np.asarray(word, dtype=np.uint32).astype(np.uint64) * np.uint64(n)) >> SHIFT32).astype(np.int64)


def uniform(seed, index, site, step, domain):
    """The uniform of element index of a stream: word (index & 3) of the block at (index >> 2, site, step, domain)."""
    index = np.asarray(index, dtype=np.int64)
    words = np.stack(block(seed, index >> 2, site, step, domain), axis=-1)
    return to_uniform(np.take_along_axis(words, (index & 3)[..., None], axis=-1)[..., 0])


def dropout_keep(seed, site, step, rate, shape):
    """Dropout's keep mask (bool, shape) for a tensor of that shape: uniform >= rate at each row-major index."""
    n = int(np.prod(shape))
    return (uniform(seed, np.arange(n, dtype=np.int64), site, step, DOMAIN_DROPOUT) >= np.float32(rate)).reshape(shape)


def mlm_mask(ids, seed, step, mask_id, select_rate=0.15, mask_rate=0.8, random_rate=0.1):
    """MaskingSpec's rule over a batch (any shape, positions row-major): returns (corrupted ids, labels).

    Only ids >= 2 can be selected; a selected id becomes mask_id (u1 < mask_rate), a random id in
    [2, mask_id) (u1 < mask_rate + random_rate) or stays; labels are the original id where
    selected, -1 elsewhere. The rates compare as float32, like the Java.
    """
    ids = np.asarray(ids, dtype=np.int64)
    positions = np.arange(ids.size, dtype=np.int64).reshape(ids.shape)
    w0, w1, w2, _ = block(seed, positions, 0, step, DOMAIN_MASKING)
    select = (ids >= 2) & (to_uniform(w0) < np.float32(select_rate))
    u1 = to_uniform(w1)
    masked = u1 < np.float32(mask_rate)
    randomized = ~masked & (u1 < np.float32(mask_rate) + np.float32(random_rate))
    corrupted = np.where(select & masked, mask_id, ids)
    corrupted = np.where(select & randomized, 2 + mulhi(w2, mask_id - 2), corrupted)
    labels = np.where(select, ids, -1)
    return corrupted.astype(np.int32), labels.astype(np.int32)


# Random123's known answers for Philox4x32-10 (kat_vectors): (counter, key, expected output).
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def selftest():
    """Checks the known answers; returns a list of failures (empty when all pass)."""
    failures = []
    for counter, key, expected in KNOWN_ANSWERS:
        seed = key[0] | (key[1] << 32)
        got = tuple(int(w) for w in block(seed, *counter))
        if got != expected:
            failures.append("philox%s key %s: expected %s but was %s" % (
                tuple(hex(c) for c in counter), tuple(hex(k) for k in key),
                tuple(hex(e) for e in expected), tuple(hex(g) for g in got)))
    if float(to_uniform(0xFFFFFFFF)) != 1.0 - 2.0 ** -24 or float(to_uniform(0x100)) != 2.0 ** -24:
        failures.append("to_uniform: top 24 bits times 2^-24 expected")
    if int(mulhi(0x80000000, 1000)) != 500:
        failures.append("mulhi(0x80000000, 1000) expected 500 but was %d" % int(mulhi(0x80000000, 1000)))
    return failures


def _main(argv):
    if not argv or argv[0] == "selftest":
        failures = selftest()
        for f in failures:
            print("FAIL " + f)
        print("philox selftest: %d known answers, %s" % (len(KNOWN_ANSWERS), "FAILED" if failures else "ok"))
        return 1 if failures else 0
    if argv[0] == "blocks":
        requests = [line.split() for line in sys.stdin if line.strip()] if argv[1:] == ["-"] else [argv[1:7]]
        for request in requests:
            seed, c1, c2, c3, start, count = (int(a, 0) for a in request)
            words = block(seed, np.arange(start, start + count, dtype=np.int64), c1, c2, c3)
            for i in range(count):
                print(" ".join("%08x" % int(w[i]) for w in words))
        return 0
    if argv[0] == "uniform":
        seed, site, step, domain, start, count = (int(a, 0) for a in argv[1:7])
        u = uniform(seed, np.arange(start, start + count, dtype=np.int64), site, step, domain)
        for bits in u.view(np.uint32):
            print("%08x" % int(bits))
        return 0
    if argv[0] == "mask":
        seed, step, mask_id = (int(a, 0) for a in argv[1:4])
        ids = np.array([int(a) for a in argv[4:]], dtype=np.int64)
        corrupted, labels = mlm_mask(ids, seed, step, mask_id)
        for c, lab in zip(corrupted, labels):
            print("%d %d" % (c, lab))
        return 0
    print("usage: philox.py selftest | blocks SEED C1 C2 C3 C0_FROM C0_COUNT"
          " | blocks - | uniform SEED SITE STEP DOMAIN FROM COUNT | mask SEED STEP MASK_ID ID...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
