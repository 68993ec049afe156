// fb_device.cuh — the one header every kernel source includes first.
//
// Under nvcc (__CUDACC__) it is plain CUDA: nvcc's implicit cuda_runtime.h provides the builtins,
// and nothing needs linking for a fatbin. Under the CPU simulator (FUSEDBERT_SIM, g++ with
// -x c++) it pulls in native/sim's emulation of the same builtins, so one source serves both.
//
// What this header adds to CUDA, identically in both worlds:
//   FB_DYNAMIC_SHARED(T, name);   declares `fb_smem_ptr<T> name` at the start of the launch's
//                                 dynamic shared memory (the `sharedBytes` of the launch).
//   fb_smem_ptr<T>                a pointer into dynamic shared memory: a raw `T*` under nvcc, a
//                                 bounds- and alignment-checked pointer in the simulator, so an
//                                 out-of-bounds index fails the launch with an error naming the
//                                 kernel. Supports [], *, ->, +, -, +=, -=, ++, --, comparisons;
//                                 `&p[i]` is a raw `T*` (checked once, at that moment).
//   fb_smem_cast<U>(p)            reinterprets an fb_smem_ptr<T> as fb_smem_ptr<U> (keeps the
//                                 bounds), e.g. an int region after a float region.
//   nvcuda::wmma                  <mma.h> under nvcc; the simulator's m16n16k8 TF32 subset
//                                 (native/sim/fbsim_wmma.h).
#pragma once

#if defined(__CUDACC__)

#include <mma.h>  // nvcuda::wmma (the TF32 tensor-core kernels)

template <class T>
using fb_smem_ptr = T*;

template <class U, class T>
__device__ __forceinline__ U* fb_smem_cast(T* p) {
  return reinterpret_cast<U*>(p);
}

// Every kernel's dynamic shared memory is this one byte array (one type for all kernels of the
// fatbin's translation unit: extern __shared__ arrays of different types under one name clash).
template <class T>
__device__ __forceinline__ T* fb_dynamic_shared_base() {
  extern __shared__ __align__(128) unsigned char fb_dynamic_shared_bytes[];  // wmma needs 32
  return reinterpret_cast<T*>(fb_dynamic_shared_bytes);
}

#define FB_DYNAMIC_SHARED(T, name) T* name = fb_dynamic_shared_base<T>()

#elif defined(FUSEDBERT_SIM)

#include "fbsim_cuda.h"
#include "fbsim_wmma.h"  // nvcuda::wmma: m16n16k8 TF32, emulated

#define FB_DYNAMIC_SHARED(T, name) ::fb_smem_ptr<T> name = ::fbsim::dynamic_shared<T>()

#else
#error "fb_device.cuh: compile with nvcc (CUDA) or with -DFUSEDBERT_SIM (the CPU simulator)"
#endif
