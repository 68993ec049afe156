// The simulator's reference GEMM, standing in for cuBLASLt: row-major
// C[m, n] = act(op(A)[m, k] . op(B)[k, n] + bias[n] + beta * C), float32; with tf32, as cuBLASLt's
// CUBLAS_COMPUTE_32F_FAST_TF32, the operands are rounded to TF32 (10 mantissa bits, to nearest, ties
// away from zero) as they are packed, and products and sums stay fp32.
// Plain but quick enough for small BERT training steps: C is cut into tiles spread over the pool's
// threads; each tile packs panels of op(A) (4 rows) and op(B) (16 columns) for a k-slice and runs
// a 4x16 register-blocked micro-kernel (x86-64-v3, i.e. AVX2 and FMA, where the CPU has them, chosen at load time).
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <new>
#include <string>
#include <vector>

#include "fbsim_internal.h"
#include "fbsim_tf32.h"

namespace fbsim {
namespace {

constexpr int kMr = 4;    // micro-tile rows
constexpr int kNr = 16;   // micro-tile columns
constexpr int kMc = 64;   // C tile rows
constexpr int kNc = 256;  // C tile columns
constexpr int kKc = 256;  // k-slice packed at a time

typedef float v8 __attribute__((vector_size(32)));

#define FBSIM_BROADCAST(x) v8{x, x, x, x, x, x, x, x}

// acc[4][16] = sum_p a[p][0..3] (x) b[p][0..15] over kc packed steps.
__attribute__((target_clones("arch=x86-64-v3", "default")))
void micro_kernel(int kc, const float* a, const float* b, float* acc) {
  v8 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
  for (int p = 0; p < kc; p++) {
    v8 b0, b1;
    memcpy(&b0, b + p * kNr, sizeof b0);
    memcpy(&b1, b + p * kNr + 8, sizeof b1);
    const float* ap = a + p * kMr;
    v8 a0 = FBSIM_BROADCAST(ap[0]), a1 = FBSIM_BROADCAST(ap[1]), a2 = FBSIM_BROADCAST(ap[2]),
       a3 = FBSIM_BROADCAST(ap[3]);
    c00 += a0 * b0; c01 += a0 * b1;
    c10 += a1 * b0; c11 += a1 * b1;
    c20 += a2 * b0; c21 += a2 * b1;
    c30 += a3 * b0; c31 += a3 * b1;
  }
  memcpy(acc + 0, &c00, 32); memcpy(acc + 8, &c01, 32);
  memcpy(acc + 16, &c10, 32); memcpy(acc + 24, &c11, 32);
  memcpy(acc + 32, &c20, 32); memcpy(acc + 40, &c21, 32);
  memcpy(acc + 48, &c30, 32); memcpy(acc + 56, &c31, 32);
}

struct Gemm {
  bool trans_a, trans_b;
  int m, n, k;
  const float* a;
  int lda;
  const float* b;
  int ldb;
  const float* bias;
  bool relu;
  float beta;
  float* c;
  int ldc;
  bool tf32;

  float op_a(int i, int p) const {
    const float v = trans_a ? a[static_cast<size_t>(p) * lda + i] : a[static_cast<size_t>(i) * lda + p];
    return tf32 ? round_to_tf32(v) : v;
  }
  float op_b(int p, int j) const {
    const float v = trans_b ? b[static_cast<size_t>(j) * ldb + p] : b[static_cast<size_t>(p) * ldb + j];
    return tf32 ? round_to_tf32(v) : v;
  }

  // One C tile [i0, i0+mc) x [j0, j0+nc); the scratch buffers belong to the calling thread.
  void tile(int i0, int mc, int j0, int nc, std::vector<float>& pa, std::vector<float>& pb,
            std::vector<float>& ct) const {
    const int mp = (mc + kMr - 1) / kMr, np = (nc + kNr - 1) / kNr;
    ct.assign(static_cast<size_t>(mp) * kMr * np * kNr, 0.0f);
    pa.resize(static_cast<size_t>(mp) * kMr * kKc);
    pb.resize(static_cast<size_t>(np) * kNr * kKc);
    float acc[kMr * kNr];
    for (int p0 = 0; p0 < k; p0 += kKc) {
      const int kc = k - p0 < kKc ? k - p0 : kKc;
      // Panels, zero-padded past the matrix edges so the micro-kernel never branches.
      for (int r = 0; r < mp; r++) {
        float* dst = pa.data() + static_cast<size_t>(r) * kMr * kc;
        for (int p = 0; p < kc; p++) {
          for (int ii = 0; ii < kMr; ii++) {
            int i = r * kMr + ii;
            dst[p * kMr + ii] = i < mc ? op_a(i0 + i, p0 + p) : 0.0f;
          }
        }
      }
      for (int q = 0; q < np; q++) {
        float* dst = pb.data() + static_cast<size_t>(q) * kNr * kc;
        for (int p = 0; p < kc; p++) {
          int jj0 = q * kNr;
          if (!trans_b && jj0 + kNr <= nc) {
            memcpy(dst + p * kNr, b + static_cast<size_t>(p0 + p) * ldb + j0 + jj0, kNr * sizeof(float));
            if (tf32) {
              for (int jj = 0; jj < kNr; jj++) dst[p * kNr + jj] = round_to_tf32(dst[p * kNr + jj]);
            }
            continue;
          }
          for (int jj = 0; jj < kNr; jj++) {
            int j = jj0 + jj;
            dst[p * kNr + jj] = j < nc ? op_b(p0 + p, j0 + j) : 0.0f;
          }
        }
      }
      for (int r = 0; r < mp; r++) {
        for (int q = 0; q < np; q++) {
          micro_kernel(kc, pa.data() + static_cast<size_t>(r) * kMr * kc, pb.data() + static_cast<size_t>(q) * kNr * kc,
                       acc);
          for (int ii = 0; ii < kMr; ii++) {
            float* row = ct.data() + static_cast<size_t>(r * kMr + ii) * np * kNr + q * kNr;
            for (int jj = 0; jj < kNr; jj++) row[jj] += acc[ii * kNr + jj];
          }
        }
      }
    }
    // Epilogue: bias, accumulate, activation (x < 0 keeps NaN as NaN, like the CPU reference's max).
    for (int i = 0; i < mc; i++) {
      const float* src = ct.data() + static_cast<size_t>(i) * np * kNr;
      float* dst = c + static_cast<size_t>(i0 + i) * ldc + j0;
      for (int j = 0; j < nc; j++) {
        float v = src[j];
        if (bias != nullptr) v += bias[j0 + j];
        if (beta != 0.0f) v += beta * dst[j];
        if (relu && v < 0.0f) v = 0.0f;
        dst[j] = v;
      }
    }
  }
};

std::string check(const Gemm& g) {
  auto fail = [](const std::string& arg, const std::string& expected, long long actual) {
    return "fbsim_gemm: " + arg + " expected " + expected + " but was " + std::to_string(actual);
  };
  if (g.m < 0) return fail("m", ">= 0", g.m);
  if (g.n < 0) return fail("n", ">= 0", g.n);
  if (g.k < 0) return fail("k", ">= 0", g.k);
  int a_cols = g.trans_a ? g.m : g.k, b_cols = g.trans_b ? g.k : g.n;
  if (g.lda < (a_cols > 1 ? a_cols : 1)) return fail("lda", ">= " + std::to_string(a_cols > 1 ? a_cols : 1), g.lda);
  if (g.ldb < (b_cols > 1 ? b_cols : 1)) return fail("ldb", ">= " + std::to_string(b_cols > 1 ? b_cols : 1), g.ldb);
  if (g.ldc < (g.n > 1 ? g.n : 1)) return fail("ldc", ">= " + std::to_string(g.n > 1 ? g.n : 1), g.ldc);
  if (g.beta != 0.0f && g.beta != 1.0f) return "fbsim_gemm: beta expected 0 or 1 but was " + std::to_string(g.beta);
  if (g.m > 0 && g.n > 0 && g.c == nullptr) return "fbsim_gemm: c expected a pointer but was null";
  if (g.m > 0 && g.n > 0 && g.k > 0 && (g.a == nullptr || g.b == nullptr)) {
    return std::string("fbsim_gemm: ") + (g.a == nullptr ? "a" : "b") + " expected a pointer but was null";
  }
  return "";
}

}  // namespace
}  // namespace fbsim

FBSIM_EXPORT int fbsim_gemm(int trans_a, int trans_b, int m, int n, int k, const float* a, int lda, const float* b,
                            int ldb, const float* bias, int relu, float beta, float* c, int ldc, int tf32,
                            char* err, size_t err_len) {
  using namespace fbsim;
  Gemm g{trans_a != 0, trans_b != 0, m, n, k, a, lda, b, ldb, bias, relu != 0, beta, c, ldc, tf32 != 0};
  std::string problem = check(g);
  if (!problem.empty()) {
    write_error(err, err_len, problem);
    return 1;
  }
  if (m == 0 || n == 0) return 0;
  const int tiles_m = (m + kMc - 1) / kMc, tiles_n = (n + kNc - 1) / kNc;
  const long long tiles = static_cast<long long>(tiles_m) * tiles_n;
  std::lock_guard<std::mutex> guard(launch_mutex());
  Pool& p = pool();
  // Small products are not worth waking the pool for.
  const double flops = 2.0 * m * n * (k > 0 ? k : 1);
  int workers = flops < 4e6 ? 1 : static_cast<int>(tiles < p.size() ? tiles : p.size());
  std::atomic<long long> next{0};
  std::atomic<bool> out_of_memory{false};
  p.run(workers, [&](int) {
    try {
      std::vector<float> pa, pb, ct;
      for (long long t; (t = next.fetch_add(1)) < tiles;) {
        int ti = static_cast<int>(t / tiles_n), tj = static_cast<int>(t % tiles_n);
        int i0 = ti * kMc, j0 = tj * kNc;
        g.tile(i0, m - i0 < kMc ? m - i0 : kMc, j0, n - j0 < kNc ? n - j0 : kNc, pa, pb, ct);
      }
    } catch (const std::bad_alloc&) {
      out_of_memory = true;
    }
  });
  if (out_of_memory) {
    write_error(err, err_len, "fbsim_gemm: cannot allocate the packing buffers");
    return 2;
  }
  return 0;
}
