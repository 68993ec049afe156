// Self-test kernels of the CPU simulator: compiled into libfusedbert_sim only (never into the
// fatbin). They exercise each emulated feature, and plant each failure the simulator must catch;
// java-api's SimSelfTestTest runs them through SimDevice.
#pragma once

#include "fb_device.cuh"

// Each block sums its chunk of in[0, n) (ceil(n / gridDim.x) elements) through static shared
// memory and a barrier tree; sums[block] = the chunk's sum, positives[block] = the number of threads
// whose first element was > 0 (__syncthreads_count). Any block shape up to 1024 threads.
extern "C" __global__ void fb_selftest_block_sum(const float* in, float* sums, int* positives, int n);

// Warp collectives; block of a multiple of 32 threads. For thread g (global linear id) with
// v = in[g], out[g * 12 + k] holds: 0 __shfl_sync(v, 3, width), 1 __shfl_up_sync(v, 1, width),
// 2 __shfl_down_sync(v, 2, width), 3 __shfl_xor_sync(v, 1, width), 4 the warp's sum by xor
// butterfly, 5 __ballot_sync(v & 1), 6 __any_sync(v > 90), 7 __all_sync(v >= 0), 8 __activemask(),
// 9 __reduce_add_sync(v), 10 half-warp broadcast of lane 15 / 16 under disjoint masks,
// 11 a 64-bit (double) __shfl_xor_sync(v / 2.0, 1) times 2.
extern "C" __global__ void fb_selftest_warp_ops(const int* in, int* out, int width);

// Atomics from every thread g < n of every block: counter += 1, fsum += 1.0f, imax = max(g*7 % 1001),
// imin = min(g*7 % 1001 - 500), cas_counter += 1 via an atomicCAS loop, exch = some g (atomicExch).
extern "C" __global__ void fb_selftest_atomics(int* counter, float* fsum, int* imax, int* imin,
                                               unsigned int* cas_counter, int* exch, int n);

// Dynamic shared memory: blockDim floats then blockDim ints (sharedBytes = 8 * blockDim); each block
// reverses its slice of in[0, n) into out and writes the reversed global indices into idx.
extern "C" __global__ void fb_selftest_dynamic_smem(const float* in, float* out, int* idx, int n);

// out[(block * threads + thread) * 6 + k] = threadIdx.{x,y,z}, blockIdx.{x,y,z}.
extern "C" __global__ void fb_selftest_indices(int* out);

// ---- planted failures: each launch must fail with the reason in the message ----

// One warp: lane 0 waits at __syncthreads while lanes 1..31 wait in __shfl_sync for lane 0: deadlock.
extern "C" __global__ void fb_selftest_divergent_barrier_deadlock(float* out);
// Threads < 16 and the others wait at two different __syncthreads.
extern "C" __global__ void fb_selftest_divergent_barrier_sites(float* out);
// Threads >= keep return early while the others wait at __syncthreads.
extern "C" __global__ void fb_selftest_exit_while_waiting(float* out, int keep);
// Reads dynamic shared memory element `index` (out of bounds when index >= sharedBytes / 4).
extern "C" __global__ void fb_selftest_smem_out_of_bounds(float* out, int index);
// Lane 5 returns, the others shuffle with a full mask that names it.
extern "C" __global__ void fb_selftest_shfl_exited_lane(int* out);
// Half the warp votes while the other half shuffles, both with a full mask.
extern "C" __global__ void fb_selftest_warp_divergence(int* out);

#define FBSIM_SELFTEST_KERNEL_LIST(X)       \
  X(fb_selftest_block_sum)                  \
  X(fb_selftest_warp_ops)                   \
  X(fb_selftest_atomics)                    \
  X(fb_selftest_dynamic_smem)               \
  X(fb_selftest_indices)                    \
  X(fb_selftest_divergent_barrier_deadlock) \
  X(fb_selftest_divergent_barrier_sites)    \
  X(fb_selftest_exit_while_waiting)         \
  X(fb_selftest_smem_out_of_bounds)         \
  X(fb_selftest_shfl_exited_lane)          \
  X(fb_selftest_warp_divergence)
