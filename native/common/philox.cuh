// Philox4x32-10, bit-identical to org.fusedbert.api.Philox (Salmon et al., SC 2011): the same
// round constants, key = the 64-bit seed split (lo, hi), counter = (index, site, step, domain),
// so the CPU reference and every device draw the same dropout and masking decisions.
#pragma once
#include "fb_device.cuh"
#include <stdint.h>

// Domain words (the counter's fourth word), as in Philox.java.
#define FB_PHILOX_DOMAIN_DROPOUT 1u
#define FB_PHILOX_DOMAIN_MASKING 2u

struct fb_philox_words {
  uint32_t w0, w1, w2, w3;
};

// The four output words of Philox4x32-10 for counter (c0, c1, c2, c3) under key `seed`.
__device__ inline fb_philox_words fb_philox4x32_10(uint64_t seed, uint32_t c0, uint32_t c1, uint32_t c2,
                                                   uint32_t c3) {
  uint32_t k0 = (uint32_t)seed;
  uint32_t k1 = (uint32_t)(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    // 32x32 -> 64-bit products; nvcc lowers these to mul.lo/mul.hi pairs.
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  fb_philox_words r;
  r.w0 = c0;
  r.w1 = c1;
  r.w2 = c2;
  r.w3 = c3;
  return r;
}

// Word i (0..3) of a Philox block.
__device__ inline uint32_t fb_philox_word(const fb_philox_words& w, int i) {
  return i == 0 ? w.w0 : i == 1 ? w.w1 : i == 2 ? w.w2 : w.w3;
}

// A word as a uniform in [0, 1): its top 24 bits times 2^-24, exact in float32 (Philox.toUniform).
__device__ inline float fb_philox_uniform(uint32_t word) {
  return (float)(word >> 8) * (1.0f / 16777216.0f);
}

// floor(word * n / 2^32): a word mapped to [0, n) without a division (Philox.mulhi).
__device__ inline uint32_t fb_philox_mulhi(uint32_t word, uint32_t n) {
  return (uint32_t)(((uint64_t)word * n) >> 32);
}

// The dropout block of element `index`: counter (index >> 2, site, step, DOMAIN_DROPOUT); word
// index & 3 belongs to the element, so one block serves four neighbours (Philox.uniform).
__device__ inline fb_philox_words fb_dropout_block(uint64_t seed, uint64_t index, uint32_t site, uint32_t step) {
  return fb_philox4x32_10(seed, (uint32_t)(index >> 2), site, step, FB_PHILOX_DOMAIN_DROPOUT);
}

// Whether dropout keeps element `index` (Philox.keep): uniform >= rate.
__device__ inline bool fb_dropout_keep(uint64_t seed, uint64_t index, uint32_t site, uint32_t step, float rate) {
  fb_philox_words w = fb_dropout_block(seed, index, site, step);
  return fb_philox_uniform(fb_philox_word(w, (int)(index & 3))) >= rate;
}
