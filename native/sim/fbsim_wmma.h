// fbsim_wmma.h — the simulator's nvcuda::wmma, for the shapes and types fusedbert's kernels use:
// m16n16k8 with precision::tf32 operands and float accumulators (the TF32 tensor cores of sm_80+).
// Included by fb_device.cuh under FUSEDBERT_SIM; under nvcc the same names come from <mma.h>.
//
// CUDA leaves the mapping of fragment elements to lanes unspecified, so kernels may only touch
// fragment elements uniformly (fill, scale, __float_to_tf32 on each); here lane l holds elements
// l, l + 32, l + 64, ... of the fragment's matrix in row-major order. Loads and stores are each
// lane's own work; mma_sync is a warp collective (two __syncwarp rendezvous: every lane posts its
// fragments, each computes its own elements of D while all fragments are still in place, then
// writes them). Operands are truncated to TF32 (the low 13 mantissa bits ignored, as the tensor
// cores do with fp32 bits that were not rounded by __float_to_tf32), products are exact in fp32
// and accumulate onto C in k order, rounding each step; the GPU's order and rounding inside one
// mma differ slightly, which is why TF32 kernels get their own conformance tolerance.
#pragma once

#ifndef FUSEDBERT_SIM
#error "fbsim_wmma.h is the simulator's wmma; include fb_device.cuh instead"
#endif

#include "fbsim_tf32.h"

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

namespace detail {
template <class Use, int M, int N, int K>
struct extent;
template <int M, int N, int K>
struct extent<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct extent<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct extent<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

// A float with its low 13 mantissa bits cleared: what the tensor cores read of a TF32 operand.
inline float tf32_truncate(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits &= 0xffffe000u;
  memcpy(&v, &bits, sizeof bits);
  return v;
}

inline int lane() { return static_cast<int>(threadIdx.x % 32u); }

// CUDA's requirements on a fragment's memory: a 256-bit aligned pointer, ldm a multiple of 16 bytes.
template <class P>
inline void check_matrix(const char* op, P p, unsigned ldm) {
  const float* first = &p[0];
  if (reinterpret_cast<uintptr_t>(first) % 32 != 0 || ldm % 4 != 0) {
    ::fbsim::fail("wmma::%s: pointer expected 32-byte aligned and ldm a multiple of 4 floats but were %p and %u", op,
                  static_cast<const void*>(first), ldm);
  }
}
inline int warp() { return static_cast<int>(threadIdx.x / 32u); }

// Where each lane of each warp of the running block posts its fragments for mma_sync (one table
// per host thread, which runs one block at a time, like static __shared__).
struct MmaPost {
  const float* a;
  const float* b;
};
inline thread_local MmaPost mma_posts[32][32];
}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static_assert(M == 16 && N == 16 && K == 8, "the simulator's wmma has m16n16k8 only");
  static constexpr int rows = detail::extent<Use, M, N, K>::rows;
  static constexpr int cols = detail::extent<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols / 32;
  using element_type = float;
  float x[num_elements];
};

inline float __float_to_tf32(float v) { return ::fbsim::round_to_tf32(v); }

template <class Use, int M, int N, int K, class T, class Layout>
inline void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, float v) {
  for (float& e : f.x) e = v;
}

// Operand fragments: element (r, c) of the matrix at p[r * ldm + c] (row_major) or p[c * ldm + r].
// P is a float pointer or fb_smem_ptr<float> (bounds-checked per element).
template <class Use, int M, int N, int K, class T, class Layout, class P>
inline void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, P p, unsigned ldm) {
  using F = fragment<Use, M, N, K, T, Layout>;
  detail::check_matrix("load_matrix_sync", p, ldm);
  for (int i = 0; i < F::num_elements; i++) {
    const int e = detail::lane() + 32 * i, r = e / F::cols, c = e % F::cols;
    f.x[i] = std::is_same<Layout, col_major>::value ? p[c * ldm + r] : p[r * ldm + c];
  }
}

// Accumulator fragments: the layout is given at the call.
template <int M, int N, int K, class P>
inline void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, P p, unsigned ldm, layout_t layout) {
  using F = fragment<accumulator, M, N, K, float>;
  detail::check_matrix("load_matrix_sync", p, ldm);
  for (int i = 0; i < F::num_elements; i++) {
    const int e = detail::lane() + 32 * i, r = e / F::cols, c = e % F::cols;
    f.x[i] = layout == mem_col_major ? p[c * ldm + r] : p[r * ldm + c];
  }
}

template <int M, int N, int K, class P>
inline void store_matrix_sync(P p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
  using F = fragment<accumulator, M, N, K, float>;
  detail::check_matrix("store_matrix_sync", p, ldm);
  for (int i = 0; i < F::num_elements; i++) {
    const int e = detail::lane() + 32 * i, r = e / F::cols, c = e % F::cols;
    (layout == mem_col_major ? p[c * ldm + r] : p[r * ldm + c]) = f.x[i];
  }
}

// d = a * b + c over the whole warp (every lane must call it; d may be c).
template <int M, int N, int K, class LA, class LB>
inline void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
                     const fragment<matrix_b, M, N, K, precision::tf32, LB>& b,
                     const fragment<accumulator, M, N, K, float>& c, const char* file = __builtin_FILE(),
                     int line = __builtin_LINE()) {
  using A = fragment<matrix_a, M, N, K, precision::tf32, LA>;
  using B = fragment<matrix_b, M, N, K, precision::tf32, LB>;
  using D = fragment<accumulator, M, N, K, float>;
  const int w = detail::warp(), me = detail::lane();
  detail::mma_posts[w][me] = detail::MmaPost{a.x, b.x};
  __syncwarp(0xffffffffu, file, line);  // every lane's a and b are posted and stay put until the next one
  // Element i of lane l is element l + 32 i of its row-major matrix.
  auto a_at = [&](int r, int k) {
    const int e = r * A::cols + k;
    return detail::tf32_truncate(detail::mma_posts[w][e % 32].a[e / 32]);
  };
  auto b_at = [&](int k, int n) {
    const int e = k * B::cols + n;
    return detail::tf32_truncate(detail::mma_posts[w][e % 32].b[e / 32]);
  };
  float out[D::num_elements];
  for (int i = 0; i < D::num_elements; i++) {
    const int e = me + 32 * i, r = e / D::cols, n = e % D::cols;
    float acc = c.x[i];
    for (int k = 0; k < K; k++) {
      acc = fmaf(a_at(r, k), b_at(k, n), acc);
    }
    out[i] = acc;
  }
  __syncwarp(0xffffffffu, file, line);  // all lanes have read the posted fragments
  for (int i = 0; i < D::num_elements; i++) d.x[i] = out[i];
}

}  // namespace wmma
}  // namespace nvcuda
