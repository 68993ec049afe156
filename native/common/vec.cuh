// 16-byte vector access helpers: kernels take the float4 path only when every pointer involved is
// 16-byte aligned (a uniform, per-launch decision) and fall back to scalar code otherwise.
#pragma once
#include "fb_device.cuh"
#include <stdint.h>

__device__ inline bool fb_aligned16(const void* p) {
  return (((uintptr_t)p) & 15u) == 0;
}

__device__ inline float4 fb_load4(const float* p) {
  return *reinterpret_cast<const float4*>(p);
}

__device__ inline void fb_store4(float* p, float4 v) {
  *reinterpret_cast<float4*>(p) = v;
}

__device__ inline float fb_get4(const float4& v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// Number of leading elements to peel off `p` (4-byte aligned) before it is 16-byte aligned, at most n.
__device__ inline int fb_peel_to_aligned16(const float* p, int n) {
  int head = (int)((16u - (((uintptr_t)p) & 15u)) & 15u) >> 2;
  return head < n ? head : n;
}
