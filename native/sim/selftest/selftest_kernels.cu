// The simulator's self-test kernels (see selftest_kernels.h): ordinary CUDA, compiled by g++.
#include "selftest/selftest_kernels.h"

namespace {
__device__ __forceinline__ unsigned linear_thread() {
  return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}
__device__ __forceinline__ unsigned linear_block() {
  return blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
}
__device__ __forceinline__ unsigned block_threads() { return blockDim.x * blockDim.y * blockDim.z; }
constexpr unsigned kFull = 0xffffffffu;
}  // namespace

extern "C" __global__ void fb_selftest_block_sum(const float* in, float* sums, int* positives, int n) {
  __shared__ float partial[1024];
  const unsigned tid = linear_thread(), threads = block_threads(), block = linear_block();
  const unsigned blocks = gridDim.x * gridDim.y * gridDim.z;
  const int chunk = (n + static_cast<int>(blocks) - 1) / static_cast<int>(blocks);
  const int begin = static_cast<int>(block) * chunk;
  const int end = min(begin + chunk, n);
  float acc = 0.0f;
  for (int i = begin + static_cast<int>(tid); i < end; i += static_cast<int>(threads)) acc += in[i];
  partial[tid] = acc;
  int first = begin + static_cast<int>(tid);
  int count = __syncthreads_count(first < end && in[first] > 0.0f);
  unsigned span = 1;
  while (span < threads) span <<= 1;
  for (unsigned s = span / 2; s > 0; s >>= 1) {
    if (tid < s && tid + s < threads) partial[tid] += partial[tid + s];
    __syncthreads();
  }
  if (tid == 0) {
    sums[block] = partial[0];
    positives[block] = count;
  }
}

extern "C" __global__ void fb_selftest_warp_ops(const int* in, int* out, int width) {
  const unsigned g = linear_block() * block_threads() + linear_thread();
  const unsigned lane = linear_thread() % 32;
  const int v = in[g];
  int* o = out + g * 12;
  o[0] = __shfl_sync(kFull, v, 3, width);
  o[1] = __shfl_up_sync(kFull, v, 1, width);
  o[2] = __shfl_down_sync(kFull, v, 2, width);
  o[3] = __shfl_xor_sync(kFull, v, 1, width);
  int sum = v;
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(kFull, sum, offset);
  o[4] = sum;
  __syncwarp();
  o[5] = static_cast<int>(__ballot_sync(kFull, v & 1));
  o[6] = __any_sync(kFull, v > 90);
  o[7] = __all_sync(kFull, v >= 0);
  o[8] = static_cast<int>(__activemask());
  o[9] = __reduce_add_sync(kFull, v);
  if (lane < 16) {
    o[10] = __shfl_sync(0x0000ffffu, v, 15);
  } else {
    o[10] = __shfl_sync(0xffff0000u, v, 16);
  }
  double d = __shfl_xor_sync(kFull, v / 2.0, 1);
  o[11] = static_cast<int>(d * 2.0);
}

extern "C" __global__ void fb_selftest_atomics(int* counter, float* fsum, int* imax, int* imin,
                                               unsigned int* cas_counter, int* exch, int n) {
  const int g = static_cast<int>(linear_block() * block_threads() + linear_thread());
  if (g >= n) return;
  atomicAdd(counter, 1);
  atomicAdd(fsum, 1.0f);
  atomicMax(imax, g * 7 % 1001);
  atomicMin(imin, g * 7 % 1001 - 500);
  unsigned int seen = *cas_counter;
  for (;;) {
    unsigned int prev = atomicCAS(cas_counter, seen, seen + 1);
    if (prev == seen) break;
    seen = prev;
  }
  atomicExch(exch, g);
}

extern "C" __global__ void fb_selftest_dynamic_smem(const float* in, float* out, int* idx, int n) {
  FB_DYNAMIC_SHARED(float, values);
  const unsigned tid = linear_thread(), threads = block_threads();
  fb_smem_ptr<int> indices = fb_smem_cast<int>(values + threads);
  const int g = static_cast<int>(linear_block() * threads + tid);
  values[tid] = g < n ? in[g] : 0.0f;
  indices[tid] = g;
  __syncthreads();
  fb_smem_ptr<const float> mirror = values + (threads - 1 - tid);
  if (g < n) {
    out[g] = *mirror;
    idx[g] = indices[threads - 1 - tid];
  }
}

extern "C" __global__ void fb_selftest_indices(int* out) {
  int* o = out + (linear_block() * block_threads() + linear_thread()) * 6;
  o[0] = static_cast<int>(threadIdx.x);
  o[1] = static_cast<int>(threadIdx.y);
  o[2] = static_cast<int>(threadIdx.z);
  o[3] = static_cast<int>(blockIdx.x);
  o[4] = static_cast<int>(blockIdx.y);
  o[5] = static_cast<int>(blockIdx.z);
}

extern "C" __global__ void fb_selftest_divergent_barrier_deadlock(float* out) {
  float v = static_cast<float>(threadIdx.x);
  if (threadIdx.x == 0) {
    __syncthreads();  // the rest of the warp never comes here
  }
  v = __shfl_sync(kFull, v, 0);
  out[threadIdx.x] = v;
}

extern "C" __global__ void fb_selftest_divergent_barrier_sites(float* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
    out[threadIdx.x] = 1.0f;
  } else {
    __syncthreads();
    out[threadIdx.x] = 2.0f;
  }
}

extern "C" __global__ void fb_selftest_exit_while_waiting(float* out, int keep) {
  if (static_cast<int>(threadIdx.x) >= keep) return;
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

extern "C" __global__ void fb_selftest_smem_out_of_bounds(float* out, int index) {
  FB_DYNAMIC_SHARED(float, values);
  values[threadIdx.x] = static_cast<float>(threadIdx.x);
  __syncthreads();
  if (threadIdx.x == 0) out[0] = values[index];
}

extern "C" __global__ void fb_selftest_shfl_exited_lane(int* out) {
  if (threadIdx.x % 32 == 5) return;
  out[threadIdx.x] = __shfl_sync(kFull, static_cast<int>(threadIdx.x), 0);
}

extern "C" __global__ void fb_selftest_warp_divergence(int* out) {
  if (threadIdx.x % 32 < 16) {
    out[threadIdx.x] = static_cast<int>(__ballot_sync(kFull, 1));
  } else {
    out[threadIdx.x] = __shfl_sync(kFull, static_cast<int>(threadIdx.x), 0);
  }
}
