// fbsim_cuda.h — the CUDA device-code surface emulated on the CPU, included by fb_device.cuh when
// FUSEDBERT_SIM is defined. Kernel sources compile unchanged with g++ -x c++ against it.
//
// Each thread of a block is a cooperative fiber; synchronizing builtins (__syncthreads, warp
// shuffles, votes, __syncwarp) are the only points where a thread yields, and they are checked:
// see "Simulator" in docs/ARCHITECTURE.md. Misuse throws out of the kernel, the runtime unwinds the
// block and fbsim_launch returns the error, naming kernel, block, thread and reason.
#pragma once

#ifndef FUSEDBERT_SIM
#error "fbsim_cuda.h is the simulator's CUDA emulation; include fb_device.cuh instead"
#endif

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <assert.h>
#include <cmath>
#include <type_traits>

// ---- keywords ----
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Static shared memory: one copy per host thread, and a host thread runs one block at a time, so
// every fiber of a block sees the same array. Not reset between blocks (real hardware leaves it
// undefined as well).
#define __shared__ static thread_local

// ---- vector types ----
struct uint3 { unsigned int x, y, z; };
struct int3 { int x, y, z; };
struct float3 { float x, y, z; };
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) int2 { int x, y; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int3 make_int3(int x, int y, int z) { return int3{x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }
inline uint2 make_uint2(unsigned int x, unsigned int y) { return uint2{x, y}; }
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { return uint3{x, y, z}; }
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }

// ---- the runtime's side (native/sim/fbsim_runtime.cpp) ----
namespace fbsim {

// Current thread's and block's coordinates; the runtime points these at the running fiber.
extern thread_local const uint3* t_thread_idx;
extern thread_local uint3 t_block_idx;
extern thread_local dim3 t_block_dim;
extern thread_local dim3 t_grid_dim;

// Fails the running kernel thread: the launch returns this message, prefixed with kernel, block
// and thread.
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// __syncthreads family: op 0 plain, 1 count, 2 and, 3 or; returns the reduced predicate.
int block_barrier(int op, int predicate, const char* file, int line);

// Warp collectives. Every lane named in `mask` must reach a collective of the same kind with the
// same mask; `value` is the lane's 32- or 64-bit operand, `arg` the source lane / delta / lane mask.
enum WarpOp : int {
  kShflIdx, kShflUp, kShflDown, kShflXor,
  kBallot, kAny, kAll, kSyncWarp,
  kReduceAdd, kReduceMin, kReduceMax, kReduceUMin, kReduceUMax, kReduceAnd, kReduceOr, kReduceXor,
};
uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t value, int arg, int width,
                         const char* file, int line);
unsigned warp_active_mask();

// The running block's dynamic shared memory (the launch's sharedBytes).
char* dynamic_shared_base();
size_t dynamic_shared_bytes();
[[noreturn]] void dynamic_shared_fault(const void* addr, size_t size, size_t align);

// Bits of a 4- or 8-byte value, for shuffles.
template <class T>
inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "warp shuffles take 4- or 8-byte values");
  uint64_t b = 0;
  memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
inline T from_bits(uint64_t b) {
  T v;
  memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace fbsim

// ---- builtin variables ----
#define threadIdx (*::fbsim::t_thread_idx)
#define blockIdx (static_cast<const uint3&>(::fbsim::t_block_idx))
#define blockDim (static_cast<const dim3&>(::fbsim::t_block_dim))
#define gridDim (static_cast<const dim3&>(::fbsim::t_grid_dim))
static constexpr int warpSize = 32;

// ---- dynamic shared memory: checked pointers ----
template <class T>
class fb_smem_ptr {
 public:
  fb_smem_ptr() = default;
  fb_smem_ptr(T* p, const char* lo, const char* hi) : p_(p), lo_(lo), hi_(hi) {}
  template <class U, class = typename std::enable_if<std::is_convertible<U*, T*>::value>::type>
  fb_smem_ptr(const fb_smem_ptr<U>& o) : p_(o.unchecked()), lo_(o.lower()), hi_(o.upper()) {}

  T& operator[](ptrdiff_t i) const { return *check(p_ + i); }
  T& operator*() const { return *check(p_); }
  T* operator->() const { return check(p_); }

  fb_smem_ptr operator+(ptrdiff_t i) const { return fb_smem_ptr(p_ + i, lo_, hi_); }
  fb_smem_ptr operator-(ptrdiff_t i) const { return fb_smem_ptr(p_ - i, lo_, hi_); }
  friend fb_smem_ptr operator+(ptrdiff_t i, const fb_smem_ptr& p) { return p + i; }
  ptrdiff_t operator-(const fb_smem_ptr& o) const { return p_ - o.p_; }
  fb_smem_ptr& operator+=(ptrdiff_t i) { p_ += i; return *this; }
  fb_smem_ptr& operator-=(ptrdiff_t i) { p_ -= i; return *this; }
  fb_smem_ptr& operator++() { ++p_; return *this; }
  fb_smem_ptr& operator--() { --p_; return *this; }
  fb_smem_ptr operator++(int) { fb_smem_ptr o = *this; ++p_; return o; }
  fb_smem_ptr operator--(int) { fb_smem_ptr o = *this; --p_; return o; }

  bool operator==(const fb_smem_ptr& o) const { return p_ == o.p_; }
  bool operator!=(const fb_smem_ptr& o) const { return p_ != o.p_; }
  bool operator<(const fb_smem_ptr& o) const { return p_ < o.p_; }
  bool operator<=(const fb_smem_ptr& o) const { return p_ <= o.p_; }
  bool operator>(const fb_smem_ptr& o) const { return p_ > o.p_; }
  bool operator>=(const fb_smem_ptr& o) const { return p_ >= o.p_; }

  // The simulator's own accessors (not part of the nvcc-side interface: do not use in kernels).
  T* unchecked() const { return p_; }
  const char* lower() const { return lo_; }
  const char* upper() const { return hi_; }

 private:
  T* check(T* q) const {
    uintptr_t a = reinterpret_cast<uintptr_t>(q);
    if (a < reinterpret_cast<uintptr_t>(lo_) || a + sizeof(T) > reinterpret_cast<uintptr_t>(hi_) ||
        a % alignof(T) != 0) {
      ::fbsim::dynamic_shared_fault(q, sizeof(T), alignof(T));
    }
    return q;
  }
  T* p_ = nullptr;
  const char* lo_ = nullptr;
  const char* hi_ = nullptr;
};

template <class U, class T>
inline fb_smem_ptr<U> fb_smem_cast(const fb_smem_ptr<T>& p) {
  return fb_smem_ptr<U>(reinterpret_cast<U*>(p.unchecked()), p.lower(), p.upper());
}

namespace fbsim {
template <class T>
inline fb_smem_ptr<T> dynamic_shared() {
  char* base = dynamic_shared_base();
  return fb_smem_ptr<T>(reinterpret_cast<T*>(base), base, base + dynamic_shared_bytes());
}
}  // namespace fbsim

// ---- synchronization (the call site is part of the check: __builtin_FILE/LINE of the caller) ----
inline void __syncthreads(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  ::fbsim::block_barrier(0, 0, file, line);
}
inline int __syncthreads_count(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::block_barrier(1, p != 0, file, line);
}
inline int __syncthreads_and(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::block_barrier(2, p != 0, file, line);
}
inline int __syncthreads_or(int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::block_barrier(3, p != 0, file, line);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
  ::fbsim::warp_collective(::fbsim::kSyncWarp, mask, 0, 0, 32, file, line);
}
inline unsigned __activemask() { return ::fbsim::warp_active_mask(); }

template <class T>
inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = 32,
                     const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::from_bits<T>(
      ::fbsim::warp_collective(::fbsim::kShflIdx, mask, ::fbsim::to_bits(var), srcLane, width, file, line));
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32,
                        const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::from_bits<T>(::fbsim::warp_collective(::fbsim::kShflUp, mask, ::fbsim::to_bits(var),
                                                        static_cast<int>(delta), width, file, line));
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32,
                          const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::from_bits<T>(::fbsim::warp_collective(::fbsim::kShflDown, mask, ::fbsim::to_bits(var),
                                                        static_cast<int>(delta), width, file, line));
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = 32,
                         const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return ::fbsim::from_bits<T>(
      ::fbsim::warp_collective(::fbsim::kShflXor, mask, ::fbsim::to_bits(var), laneMask, width, file, line));
}
inline unsigned __ballot_sync(unsigned mask, int p, const char* file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  return static_cast<unsigned>(::fbsim::warp_collective(::fbsim::kBallot, mask, p != 0, 0, 32, file, line));
}
inline int __any_sync(unsigned mask, int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return static_cast<int>(::fbsim::warp_collective(::fbsim::kAny, mask, p != 0, 0, 32, file, line));
}
inline int __all_sync(unsigned mask, int p, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return static_cast<int>(::fbsim::warp_collective(::fbsim::kAll, mask, p != 0, 0, 32, file, line));
}
// sm_80 warp reductions.
#define FBSIM_WARP_REDUCE(name, op, T)                                                              \
  inline T name(unsigned mask, T v, const char* file = __builtin_FILE(), int line = __builtin_LINE()) { \
    return static_cast<T>(::fbsim::warp_collective(op, mask, static_cast<uint32_t>(v), 0, 32, file, line)); \
  }
FBSIM_WARP_REDUCE(__reduce_add_sync, ::fbsim::kReduceAdd, unsigned)
FBSIM_WARP_REDUCE(__reduce_add_sync, ::fbsim::kReduceAdd, int)
FBSIM_WARP_REDUCE(__reduce_min_sync, ::fbsim::kReduceUMin, unsigned)
FBSIM_WARP_REDUCE(__reduce_min_sync, ::fbsim::kReduceMin, int)
FBSIM_WARP_REDUCE(__reduce_max_sync, ::fbsim::kReduceUMax, unsigned)
FBSIM_WARP_REDUCE(__reduce_max_sync, ::fbsim::kReduceMax, int)
FBSIM_WARP_REDUCE(__reduce_and_sync, ::fbsim::kReduceAnd, unsigned)
FBSIM_WARP_REDUCE(__reduce_or_sync, ::fbsim::kReduceOr, unsigned)
FBSIM_WARP_REDUCE(__reduce_xor_sync, ::fbsim::kReduceXor, unsigned)
#undef FBSIM_WARP_REDUCE

// Memory fences: blocks run concurrently on host threads, x86 is stronger than the GPU's model.
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

[[noreturn]] inline void __trap() { ::fbsim::fail("__trap() called"); }

// Device-side assert fails the launch (not the process), whatever NDEBUG says.
#undef assert
#define assert(e) ((e) ? (void)0 : ::fbsim::fail("assertion failed: %s at %s:%d", #e, __FILE__, __LINE__))

// ---- atomics: real host atomics, since blocks run on several host threads ----
#define FBSIM_ATOMIC_RMW(name, T, builtin) \
  inline T name(T* a, T v) { return builtin(a, v, __ATOMIC_RELAXED); }
#define FBSIM_ATOMIC_RMW_INTEGERS(name, builtin)      \
  FBSIM_ATOMIC_RMW(name, int, builtin)                \
  FBSIM_ATOMIC_RMW(name, unsigned int, builtin)       \
  FBSIM_ATOMIC_RMW(name, unsigned long long, builtin)
FBSIM_ATOMIC_RMW_INTEGERS(atomicAdd, __atomic_fetch_add)
FBSIM_ATOMIC_RMW_INTEGERS(atomicAnd, __atomic_fetch_and)
FBSIM_ATOMIC_RMW_INTEGERS(atomicOr, __atomic_fetch_or)
FBSIM_ATOMIC_RMW_INTEGERS(atomicXor, __atomic_fetch_xor)
FBSIM_ATOMIC_RMW_INTEGERS(atomicExch, __atomic_exchange_n)
FBSIM_ATOMIC_RMW(atomicSub, int, __atomic_fetch_sub)
FBSIM_ATOMIC_RMW(atomicSub, unsigned int, __atomic_fetch_sub)
#undef FBSIM_ATOMIC_RMW_INTEGERS
#undef FBSIM_ATOMIC_RMW

namespace fbsim {
// Read-modify-write of any 4/8-byte value through compare-and-swap on its bits.
template <class T, class F>
inline T atomic_update(T* a, F f) {
  using Bits = typename std::conditional<sizeof(T) == 4, uint32_t, uint64_t>::type;
  Bits* p = reinterpret_cast<Bits*>(a);
  Bits old = __atomic_load_n(p, __ATOMIC_RELAXED);
  for (;;) {
    T cur;
    memcpy(&cur, &old, sizeof(T));
    T next = f(cur);
    Bits nb;
    memcpy(&nb, &next, sizeof(T));
    if (__atomic_compare_exchange_n(p, &old, nb, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return cur;
  }
}
}  // namespace fbsim

inline float atomicAdd(float* a, float v) { return ::fbsim::atomic_update(a, [v](float x) { return x + v; }); }
inline double atomicAdd(double* a, double v) { return ::fbsim::atomic_update(a, [v](double x) { return x + v; }); }
inline float atomicExch(float* a, float v) { return ::fbsim::atomic_update(a, [v](float) { return v; }); }
#define FBSIM_ATOMIC_MINMAX(T)                                                                        \
  inline T atomicMax(T* a, T v) { return ::fbsim::atomic_update(a, [v](T x) { return x < v ? v : x; }); } \
  inline T atomicMin(T* a, T v) { return ::fbsim::atomic_update(a, [v](T x) { return v < x ? v : x; }); }
FBSIM_ATOMIC_MINMAX(int)
FBSIM_ATOMIC_MINMAX(unsigned int)
FBSIM_ATOMIC_MINMAX(long long)
FBSIM_ATOMIC_MINMAX(unsigned long long)
#undef FBSIM_ATOMIC_MINMAX
#define FBSIM_ATOMIC_CAS(T)                                                              \
  inline T atomicCAS(T* a, T compare, T v) {                                             \
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); \
    return compare;                                                                      \
  }
FBSIM_ATOMIC_CAS(int)
FBSIM_ATOMIC_CAS(unsigned int)
FBSIM_ATOMIC_CAS(unsigned long long)
#undef FBSIM_ATOMIC_CAS
inline unsigned int atomicInc(unsigned int* a, unsigned int v) {
  return ::fbsim::atomic_update(a, [v](unsigned int x) { return x >= v ? 0u : x + 1; });
}
inline unsigned int atomicDec(unsigned int* a, unsigned int v) {
  return ::fbsim::atomic_update(a, [v](unsigned int x) { return (x == 0 || x > v) ? v : x - 1; });
}

// ---- math and intrinsics (fast-math intrinsics are the accurate libm functions here) ----

#if !defined(__FMA__)
// Without FMA instructions fmaf is a libm call per use (a large share of a kernel's time here).
// The product is exact in double, so one double addition rounded to float is the fused result but
// for rare double-rounding ties (then 1 ulp off).
inline float fbsim_fmaf(float a, float b, float c) {
  return static_cast<float>(static_cast<double>(a) * static_cast<double>(b) + static_cast<double>(c));
}
#define fmaf fbsim_fmaf
#endif
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return exp10f(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : (x == x ? x : 0.0f)); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float rcbrtf(float x) { return 1.0f / cbrtf(x); }
inline float normcdff(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }

inline int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline int __float2int_rd(float x) { return static_cast<int>(floorf(x)); }
inline int __float2int_ru(float x) { return static_cast<int>(ceilf(x)); }
inline unsigned int __float2uint_rn(float x) { return static_cast<unsigned int>(nearbyintf(x)); }
inline unsigned int __float2uint_rz(float x) { return static_cast<unsigned int>(x); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }
inline float __uint2float_rn(unsigned int x) { return static_cast<float>(x); }
inline unsigned int __float_as_uint(float x) { return ::fbsim::from_bits<unsigned int>(::fbsim::to_bits(x)); }
inline float __uint_as_float(unsigned int x) { return ::fbsim::from_bits<float>(::fbsim::to_bits(x)); }
inline int __float_as_int(float x) { return ::fbsim::from_bits<int>(::fbsim::to_bits(x)); }
inline float __int_as_float(int x) { return ::fbsim::from_bits<float>(::fbsim::to_bits(x)); }
inline long long __double_as_longlong(double x) { return ::fbsim::from_bits<long long>(::fbsim::to_bits(x)); }
inline double __longlong_as_double(long long x) { return ::fbsim::from_bits<double>(::fbsim::to_bits(x)); }

inline unsigned int __umulhi(unsigned int a, unsigned int b) {
  return static_cast<unsigned int>((static_cast<uint64_t>(a) * b) >> 32);
}
inline int __mulhi(int a, int b) { return static_cast<int>((static_cast<int64_t>(a) * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
inline int __mul24(int a, int b) { return ((a << 8) >> 8) * ((b << 8) >> 8); }
inline unsigned int __umul24(unsigned int a, unsigned int b) { return (a & 0xffffffu) * (b & 0xffffffu); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned int __brev(unsigned int x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}
inline unsigned int __funnelshift_l(unsigned int lo, unsigned int hi, unsigned int s) {
  return static_cast<unsigned int>((((static_cast<uint64_t>(hi) << 32) | lo) << (s & 31)) >> 32);
}
inline unsigned int __funnelshift_r(unsigned int lo, unsigned int hi, unsigned int s) {
  return static_cast<unsigned int>((((static_cast<uint64_t>(hi) << 32) | lo) >> (s & 31)));
}

// CUDA's overloaded integer and float min/max.
#define FBSIM_MINMAX(R, A, B)                                   \
  inline R max(A a, B b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(b) : static_cast<R>(a); } \
  inline R min(A a, B b) { return static_cast<R>(b) < static_cast<R>(a) ? static_cast<R>(b) : static_cast<R>(a); }
FBSIM_MINMAX(int, int, int)
FBSIM_MINMAX(unsigned int, unsigned int, unsigned int)
FBSIM_MINMAX(unsigned int, int, unsigned int)
FBSIM_MINMAX(unsigned int, unsigned int, int)
FBSIM_MINMAX(long, long, long)
FBSIM_MINMAX(unsigned long, unsigned long, unsigned long)
FBSIM_MINMAX(long long, long long, long long)
FBSIM_MINMAX(unsigned long long, unsigned long long, unsigned long long)
#undef FBSIM_MINMAX
inline float max(float a, float b) { return fmaxf(a, b); }
inline float min(float a, float b) { return fminf(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(double a, double b) { return fmin(a, b); }

// Cache-hinted loads and stores are plain memory accesses.
template <class T> inline T __ldg(const T* p) { return *p; }
template <class T> inline T __ldcg(const T* p) { return *p; }
template <class T> inline T __ldca(const T* p) { return *p; }
template <class T> inline T __ldcs(const T* p) { return *p; }
template <class T> inline T __ldlu(const T* p) { return *p; }
template <class T> inline T __ldcv(const T* p) { return *p; }
template <class T> inline void __stcg(T* p, T v) { *p = v; }
template <class T> inline void __stcs(T* p, T v) { *p = v; }
template <class T> inline void __stwb(T* p, T v) { *p = v; }
template <class T> inline void __stwt(T* p, T v) { *p = v; }
