// Warp and block reductions. Butterfly (xor) shuffles leave the result in every lane and sum in a
// fixed pattern, so a reduction is deterministic for a given launch geometry.
#pragma once
#include "fb_device.cuh"

#define FB_FULL_MASK 0xffffffffu
#define FB_WARP_SIZE 32

__device__ inline float fb_warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(FB_FULL_MASK, v, offset);
  return v;
}

__device__ inline float fb_warp_max(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(FB_FULL_MASK, v, offset));
  return v;
}

__device__ inline int fb_warp_sum_int(int v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(FB_FULL_MASK, v, offset);
  return v;
}

__device__ inline int fb_warp_max_int(int v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    int o = __shfl_xor_sync(FB_FULL_MASK, v, offset);
    v = o > v ? o : v;
  }
  return v;
}

// Merges two online-softmax states (running max m, sum of exp(x - m) s) into (m, s).
__device__ inline void fb_softmax_merge(float& m, float& s, float m2, float s2) {
  float mm = fmaxf(m, m2);
  // -inf - -inf is NaN: a side that saw nothing contributes nothing.
  float a = (m == -INFINITY) ? 0.0f : s * expf(m - mm);
  float b = (m2 == -INFINITY) ? 0.0f : s2 * expf(m2 - mm);
  m = mm;
  s = a + b;
}

__device__ inline void fb_warp_softmax_merge(float& m, float& s) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    float m2 = __shfl_xor_sync(FB_FULL_MASK, m, offset);
    float s2 = __shfl_xor_sync(FB_FULL_MASK, s, offset);
    fb_softmax_merge(m, s, m2, s2);
  }
}

// Sum over the whole block, returned to every thread. `scratch` is a __shared__ float[32] of the
// caller; every thread of the block must call (it contains __syncthreads).
__device__ inline float fb_block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = fb_warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float t = lane < warps ? scratch[lane] : 0.0f;
  return fb_warp_sum(t);
}

__device__ inline int fb_block_sum_int(int v, int* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  v = fb_warp_sum_int(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  int t = lane < warps ? scratch[lane] : 0;
  return fb_warp_sum_int(t);
}

// Online-softmax state (max, sum of exp) over the block, returned to every thread.
__device__ inline void fb_block_softmax_merge(float& m, float& s, float* scratchM, float* scratchS) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  fb_warp_softmax_merge(m, s);
  __syncthreads();
  if (lane == 0) {
    scratchM[warp] = m;
    scratchS[warp] = s;
  }
  __syncthreads();
  m = lane < warps ? scratchM[lane] : -INFINITY;
  s = lane < warps ? scratchS[lane] : 0.0f;
  fb_warp_softmax_merge(m, s);
}

// Inclusive prefix sum of `v` over the warp's lanes (Hillis-Steele with shuffles).
__device__ inline int fb_warp_inclusive_scan_int(int v) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int offset = 1; offset < 32; offset <<= 1) {
    int o = __shfl_up_sync(FB_FULL_MASK, v, offset);
    if (lane >= offset) v += o;
  }
  return v;
}

// Exclusive prefix sum of `v` over the block in thread order; `total` receives the block's sum.
// `scratch` is a __shared__ int[33] of the caller; every thread must call (contains __syncthreads).
__device__ inline int fb_block_exclusive_scan_int(int v, int* scratch, int& total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int warps = (blockDim.x + 31) >> 5;
  int inclusive = fb_warp_inclusive_scan_int(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 31 || threadIdx.x == blockDim.x - 1) scratch[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    int w = lane < warps ? scratch[lane] : 0;
    int wi = fb_warp_inclusive_scan_int(w);
    __syncwarp();
    if (lane < warps) scratch[lane] = wi - w;  // exclusive prefix of the warps
    if (lane == 31) scratch[32] = wi;          // lane 31's inclusive value is the block total
  }
  __syncthreads();
  total = scratch[32];
  return scratch[warp] + inclusive - v;
}

// Bits of the lanes below this one: (1 << lane) - 1.
__device__ inline unsigned fb_lanemask_lt() {
  return (1u << (threadIdx.x & 31)) - 1u;
}
