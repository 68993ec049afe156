// Residual add + inverted dropout + layernorm, forward and backward (ABI: fusedbert/kernels.h).
// The float4 variants _v4x<C> keep a lane's share of a row (C float4 per lane, so H <= 128 * C)
// in registers; the scalar variants serve any H (odd, or unaligned) with the row cached in
// dynamic shared memory. The dropout mask is never stored: the backward regenerates it from
// (seed, site, step, element index) with the same Philox draw.
//
// Why the float4 kernels run at the copy bandwidth: an H100/H200 SM's share of 3.3-4.8 TB/s is
// 25-36 B/ns, so at 1-2 us of DRAM latency under load each SM needs some 48-64 KB of loads in
// flight. Both kernels issue every load of a row (a tile of rows in the backward) before the
// first arithmetic on it, and draw its dropout mask (Philox needs no data) while the loads are
// in flight; the per-kernel comments below count the bytes.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "philox.cuh"
#include "reduce.cuh"
#include "vec.cuh"

namespace {

__device__ __forceinline__ float4 zero4() { return make_float4(0.0f, 0.0f, 0.0f, 0.0f); }

// Bit 4 * j + e: whether dropout keeps element e of chunk j of the row at `base` (chunk j = the
// float4 at column 4 * (lane + 32 * j)); 0 for chunks past the row. Four neighbours share a
// Philox block (fb_dropout_block), so a chunk costs one block.
template <int CHUNKS>
__device__ inline unsigned dropout_kept_bits(uint64_t seed, size_t base, int lane, int h4, uint32_t site,
                                             uint32_t step, float rate) {
  static_assert(CHUNKS <= 8, "4 bits per chunk in one word");
  unsigned bits = 0u;
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    const int c4 = lane + 32 * j;
    if (c4 < h4) {
      fb_philox_words w = fb_dropout_block(seed, base + 4 * (size_t)c4, site, step);
      const unsigned k = (fb_philox_uniform(w.w0) >= rate ? 1u : 0u) | (fb_philox_uniform(w.w1) >= rate ? 2u : 0u) |
                         (fb_philox_uniform(w.w2) >= rate ? 4u : 0u) | (fb_philox_uniform(w.w3) >= rate ? 8u : 0u);
      bits |= k << (4 * j);
    }
  }
  return bits;
}

// s = residual + dropout(sublayer) for one float4, `kept` its 4 mask bits: a dropped element
// leaves the residual as it is (as Dropout defines it, not residual + 0 * x).
__device__ __forceinline__ float4 add_dropped(float4 r, float4 x, unsigned kept, float scale) {
  float4 s;
  s.x = (kept & 1u) ? r.x + x.x * scale : r.x;
  s.y = (kept & 2u) ? r.y + x.y * scale : r.y;
  s.z = (kept & 4u) ? r.z + x.z * scale : r.z;
  s.w = (kept & 8u) ? r.w + x.w * scale : r.w;
  return s;
}

__device__ __forceinline__ float4 masked(float4 v, unsigned kept, float scale) {
  float4 m;
  m.x = (kept & 1u) ? v.x * scale : 0.0f;
  m.y = (kept & 2u) ? v.y * scale : 0.0f;
  m.z = (kept & 4u) ? v.z * scale : 0.0f;
  m.w = (kept & 8u) ? v.w * scale : 0.0f;
  return m;
}

__device__ __forceinline__ float sum4(float4 v) { return (v.x + v.y) + (v.z + v.w); }

// The factor (0 or 1 / (1 - rate)) of one element, for the scalar kernels.
__device__ inline float dropout_factor(uint64_t seed, uint64_t index, uint32_t site, uint32_t step, float rate,
                                       float scale) {
  return fb_dropout_keep(seed, index, site, step, rate) ? scale : 0.0f;
}

// Forward: one warp per row, 8 warps per block, grid ceil(rows / 8). A row is 2 loads of 4H
// bytes (residual, sublayer) and one store (out): 9 KB at H = 768. The warp issues both loads of
// all its chunks at once (H = 768: 6 KB per warp), draws the mask, then reduces. Registers (72
// at C = 6, 104 at C = 8) leave 3 (2) blocks per SM: 24 (16) warps, 144 (128) KB of loads in
// flight per SM, about twice what the copy bandwidth needs, so DRAM, not latency, bounds it.
template <int CHUNKS>
__device__ inline void forward_vec4(const float* __restrict__ residual, const float* __restrict__ sublayer,
                                    const float* __restrict__ gamma, const float* __restrict__ beta,
                                    float* __restrict__ out, float* __restrict__ mean, float* __restrict__ rstd,
                                    int rows, int hidden, float eps, float rate, unsigned long long seed, int site,
                                    const int* step) {
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (row >= rows) return;  // whole warps leave together; no block barrier follows
  const int h4 = hidden >> 2;
  const bool dropout = rate > 0.0f;
  const uint32_t stepValue = dropout ? (uint32_t)*step : 0u;
  const float scale = dropout ? 1.0f / (1.0f - rate) : 1.0f;
  const size_t base = (size_t)row * hidden;

  float4 s[CHUNKS], x[CHUNKS];  // lanes past the row keep zeros
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    const int c4 = lane + 32 * j;
    s[j] = zero4();
    x[j] = zero4();
    if (c4 < h4) {
      s[j] = fb_load4(residual + base + 4 * (size_t)c4);
      x[j] = fb_load4(sublayer + base + 4 * (size_t)c4);
    }
  }
  const unsigned kept = dropout ? dropout_kept_bits<CHUNKS>(seed, base, lane, h4, (uint32_t)site, stepValue, rate)
                                : 0xffffffffu;
  float sum = 0.0f;
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    if (lane + 32 * j < h4) {
      s[j] = add_dropped(s[j], x[j], kept >> (4 * j), scale);
      sum += sum4(s[j]);
    }
  }
  const float mu = fb_warp_sum(sum) / (float)hidden;
  float sq = 0.0f;
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    if (lane + 32 * j < h4) {
      float a = s[j].x - mu, b = s[j].y - mu, c = s[j].z - mu, d = s[j].w - mu;
      sq += (a * a + b * b) + (c * c + d * d);
    }
  }
  const float rs = 1.0f / sqrtf(fb_warp_sum(sq) / (float)hidden + eps);
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    const int c4 = lane + 32 * j;
    if (c4 < h4) {
      float4 g = fb_load4(gamma + 4 * c4);
      float4 b = fb_load4(beta + 4 * c4);
      float4 o;
      o.x = (s[j].x - mu) * rs * g.x + b.x;
      o.y = (s[j].y - mu) * rs * g.y + b.y;
      o.z = (s[j].z - mu) * rs * g.z + b.z;
      o.w = (s[j].w - mu) * rs * g.w + b.w;
      fb_store4(out + base + 4 * (size_t)c4, o);
    }
  }
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

// Adds this block's per-warp column partials (shared[w][2H], w < warps) in warp order, so the
// block's sum is deterministic, and writes it out: straight into dGamma/dBeta when the grid is
// one block, else into partials[blockIdx.x][2H] for fb_layernorm_backward_finish.
__device__ inline void block_partials_out(fb_smem_ptr<float> shared, int warps, int hidden,
                                          float* __restrict__ partials, float* __restrict__ dGamma,
                                          float* __restrict__ dBeta) {
  __syncthreads();
  const int width = 2 * hidden;
  for (int c = threadIdx.x; c < width; c += blockDim.x) {
    float v = shared[c];
    for (int w = 1; w < warps; ++w) v += shared[w * width + c];
    if (gridDim.x == 1) {
      if (c < hidden) dGamma[c] += v;
      else dBeta[c - hidden] += v;
    } else {
      partials[(size_t)blockIdx.x * width + c] = v;
    }
  }
}

// Backward: a grid of about (SMs x MIN_BLOCKS) blocks of WARPS warps, resident at once; warp w
// of the grid takes rows w, w + T, w + 2T, ... (T = warps in the grid), ROWS of them per step,
// and keeps its dGamma/dBeta column partial in registers across all of them, so the partials
// cost one [2H] row per block (written once, added by the finishing kernel) instead of traffic
// per row. A row is 3 loads of 4H bytes (dOut, residual, sublayer) and 2 stores (dResidual,
// dSublayer): 15 KB at H = 768. A step issues all ROWS x 3 loads (H = 768: 9 KB per warp; H =
// 128: 4 rows x 1.5 KB) before any arithmetic, draws the mask while they are in flight, then
// reduces the ROWS rows' two sums together (independent shuffle chains). MIN_BLOCKS blocks of 4
// warps per SM (the register budget: 166 registers at C = 6 give 3) keep 8-16 warps x 6-12 KB
// = 84-108 KB of loads issued per SM (H = 768: 12 warps x 9 KB), against the 48-64 KB the copy
// bandwidth needs, so a warp's arithmetic phase hides behind the others' loads. The partials add
// G x 2H x 8 bytes (H = 768 on 132 SMs: 396 blocks, 4.9 MB written and read) to the 252 MB that
// N = 16384 moves: 2%.
template <int CHUNKS, int ROWS, int WARPS>
__device__ inline void backward_vec4(const float* __restrict__ dOut, const float* __restrict__ residual,
                                     const float* __restrict__ sublayer, const float* __restrict__ gamma,
                                     const float* __restrict__ mean, const float* __restrict__ rstd,
                                     float* __restrict__ dResidual, float* __restrict__ dSublayer,
                                     float* __restrict__ partials, float* __restrict__ dGamma,
                                     float* __restrict__ dBeta, int rows, int hidden, float rate,
                                     unsigned long long seed, int site, const int* step) {
  FB_DYNAMIC_SHARED(float, shared);  // [WARPS][2H]: each warp's dGamma | dBeta partial, at the end
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int h4 = hidden >> 2;
  const bool dropout = rate > 0.0f;
  const uint32_t stepValue = dropout ? (uint32_t)*step : 0u;
  const float scale = dropout ? 1.0f / (1.0f - rate) : 1.0f;
  const float invHidden = 1.0f / (float)hidden;
  const long long gridWarps = (long long)gridDim.x * WARPS;

  float4 accG[CHUNKS], accB[CHUNKS];
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    accG[j] = zero4();
    accB[j] = zero4();
  }
  for (long long first = (long long)blockIdx.x * WARPS + warp; first < rows; first += gridWarps * ROWS) {
    // 1. Every load of the step. Rows past the end and lanes past the row load nothing and keep
    // zeros (with mean = rstd = 0 they contribute 0 to every sum below).
    float4 dy[ROWS][CHUNKS], s[ROWS][CHUNKS], x[ROWS][CHUNKS];
    float mu[ROWS], rs[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      const long long row = first + r * gridWarps;
      const bool valid = row < rows;
      mu[r] = valid ? mean[row] : 0.0f;
      rs[r] = valid ? rstd[row] : 0.0f;
#pragma unroll
      for (int j = 0; j < CHUNKS; ++j) {
        const int c4 = lane + 32 * j;
        dy[r][j] = zero4();
        s[r][j] = zero4();
        x[r][j] = zero4();
        if (valid && c4 < h4) {
          const size_t at = (size_t)row * hidden + 4 * (size_t)c4;
          dy[r][j] = fb_load4(dOut + at);
          s[r][j] = fb_load4(residual + at);
          x[r][j] = fb_load4(sublayer + at);
        }
      }
    }
    // 2. The mask, while the loads are in flight.
    unsigned kept[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      const long long row = first + r * gridWarps;
      kept[r] = dropout && row < rows
                    ? dropout_kept_bits<CHUNKS>(seed, (size_t)row * hidden, lane, h4, (uint32_t)site, stepValue, rate)
                    : 0xffffffffu;
    }
    // 3. xhat (in s), g = dOut * gamma (in dy), the row sums and the column partials.
    float sumG[ROWS], sumGX[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      sumG[r] = 0.0f;
      sumGX[r] = 0.0f;
    }
#pragma unroll
    for (int j = 0; j < CHUNKS; ++j) {
      const int c4 = lane + 32 * j;
      const float4 g = c4 < h4 ? fb_load4(gamma + 4 * c4) : zero4();
#pragma unroll
      for (int r = 0; r < ROWS; ++r) {
        float4 xh = add_dropped(s[r][j], x[r][j], kept[r] >> (4 * j), scale);
        xh.x = (xh.x - mu[r]) * rs[r];
        xh.y = (xh.y - mu[r]) * rs[r];
        xh.z = (xh.z - mu[r]) * rs[r];
        xh.w = (xh.w - mu[r]) * rs[r];
        const float4 d = dy[r][j];
        accG[j].x += d.x * xh.x; accG[j].y += d.y * xh.y; accG[j].z += d.z * xh.z; accG[j].w += d.w * xh.w;
        accB[j].x += d.x; accB[j].y += d.y; accB[j].z += d.z; accB[j].w += d.w;
        const float4 gy = make_float4(d.x * g.x, d.y * g.y, d.z * g.z, d.w * g.w);
        sumG[r] += sum4(gy);
        sumGX[r] += (gy.x * xh.x + gy.y * xh.y) + (gy.z * xh.z + gy.w * xh.w);
        s[r][j] = xh;
        dy[r][j] = gy;
      }
    }
    // 4. ds = rstd * (g - mean(g) - xhat * mean(g * xhat)) into dResidual, masked into dSublayer.
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      const long long row = first + r * gridWarps;
      const float meanG = fb_warp_sum(sumG[r]) * invHidden;
      const float meanGX = fb_warp_sum(sumGX[r]) * invHidden;
#pragma unroll
      for (int j = 0; j < CHUNKS; ++j) {
        const int c4 = lane + 32 * j;
        if (row < rows && c4 < h4) {
          const size_t at = (size_t)row * hidden + 4 * (size_t)c4;
          const float4 gy = dy[r][j], xh = s[r][j];
          float4 ds;
          ds.x = rs[r] * (gy.x - meanG - xh.x * meanGX);
          ds.y = rs[r] * (gy.y - meanG - xh.y * meanGX);
          ds.z = rs[r] * (gy.z - meanG - xh.z * meanGX);
          ds.w = rs[r] * (gy.w - meanG - xh.w * meanGX);
          fb_store4(dResidual + at, ds);
          fb_store4(dSublayer + at, dropout ? masked(ds, kept[r] >> (4 * j), scale) : ds);
        }
      }
    }
  }
  // Each warp's partial into its own slot; then every thread adds whole columns over the slots.
  fb_smem_ptr<float4> shared4 = fb_smem_cast<float4>(shared);
  const int slot4 = warp * (hidden >> 1);  // [2H] floats per warp, in float4
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    const int c4 = lane + 32 * j;
    if (c4 < h4) {
      shared4[slot4 + c4] = accG[j];
      shared4[slot4 + h4 + c4] = accB[j];
    }
  }
  block_partials_out(shared, WARPS, hidden, partials, dGamma, dBeta);
}

}  // namespace

#define FB_LAYERNORM_FORWARD_VEC4(CHUNKS)                                                                        \
  extern "C" __global__ void fb_layernorm_forward_v4x##CHUNKS(                                                   \
      const float* residual, const float* sublayer, const float* gamma, const float* beta, float* out,           \
      float* mean, float* rstd, int rows, int hidden, float eps, float dropoutRate, unsigned long long seed,      \
      int site, const int* step) {                                                                                \
    forward_vec4<CHUNKS>(residual, sublayer, gamma, beta, out, mean, rstd, rows, hidden, eps, dropoutRate, seed,  \
                         site, step);                                                                            \
  }
FB_LAYERNORM_FORWARD_VEC4(1)
FB_LAYERNORM_FORWARD_VEC4(2)
FB_LAYERNORM_FORWARD_VEC4(3)
FB_LAYERNORM_FORWARD_VEC4(4)
FB_LAYERNORM_FORWARD_VEC4(5)
FB_LAYERNORM_FORWARD_VEC4(6)
FB_LAYERNORM_FORWARD_VEC4(7)
FB_LAYERNORM_FORWARD_VEC4(8)

// One entry point per line of FB_LAYERNORM_BACKWARD_GEOMETRY (kernels.h), so the geometry the
// launch class reads is the one compiled, and MIN_BLOCKS caps the registers so that the
// launch's grid of SMs x MIN_BLOCKS blocks is resident at once.
#define FB_LAYERNORM_BACKWARD_VEC4(CHUNKS, ROWS, WARPS, MIN_BLOCKS)                                               \
  extern "C" __global__ void __launch_bounds__(32 * WARPS, MIN_BLOCKS) fb_layernorm_backward_v4x##CHUNKS(       \
      const float* dOut, const float* residual, const float* sublayer, const float* gamma, const float* mean,     \
      const float* rstd, float* dResidual, float* dSublayer, float* partials, float* dGamma, float* dBeta,        \
      int rows, int hidden, float dropoutRate, unsigned long long seed, int site, const int* step) {              \
    backward_vec4<CHUNKS, ROWS, WARPS>(dOut, residual, sublayer, gamma, mean, rstd, dResidual, dSublayer,         \
                                       partials, dGamma, dBeta, rows, hidden, dropoutRate, seed, site, step);     \
  }
FB_LAYERNORM_BACKWARD_GEOMETRY(FB_LAYERNORM_BACKWARD_VEC4)
#undef FB_LAYERNORM_BACKWARD_VEC4

extern "C" __global__ void fb_layernorm_backward_finish(const float* partials, int numPartials, int hidden,
                                                        float* dGamma, float* dBeta) {
  // Block (32, 32): column c of [dGamma | dBeta] per x; y sums partials y, y + 32, ... in order,
  // BATCH loads in flight at a time (the partials are L2-resident: one
  // batch covers 32 x 16 = 512 blocks); then y = 0 adds the 32 sums in order. Deterministic.
  constexpr int BATCH = 16;
  __shared__ float sums[32][33];  // padded: the finishing read goes down a column
  const int width = 2 * hidden;
  const int c = blockIdx.x * 32 + threadIdx.x;
  float acc = 0.0f;
  if (c < width) {
    for (int k0 = threadIdx.y; k0 < numPartials; k0 += 32 * BATCH) {
      float v[BATCH];
#pragma unroll
      for (int i = 0; i < BATCH; ++i) {
        const int k = k0 + 32 * i;
        v[i] = k < numPartials ? partials[(size_t)k * width + c] : 0.0f;
      }
#pragma unroll
      for (int i = 0; i < BATCH; ++i) acc += v[i];
    }
  }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < width) {
    float total = sums[0][threadIdx.x];
    for (int y = 1; y < 32; ++y) total += sums[y][threadIdx.x];
    if (c < hidden) dGamma[c] += total;
    else dBeta[c - hidden] += total;
  }
}

extern "C" __global__ void fb_layernorm_forward(const float* residual, const float* sublayer, const float* gamma,
                                                const float* beta, float* out, float* mean, float* rstd, int rows,
                                                int hidden, float eps, float dropoutRate, unsigned long long seed,
                                                int site, const int* step) {
  FB_DYNAMIC_SHARED(float, cache);  // [warps][H]: each warp's row of s = residual + dropout(sublayer)
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int row = blockIdx.x * (blockDim.x >> 5) + warp;
  if (row >= rows) return;
  const bool dropout = dropoutRate > 0.0f;
  const uint32_t stepValue = dropout ? (uint32_t)*step : 0u;
  const float scale = dropout ? 1.0f / (1.0f - dropoutRate) : 1.0f;
  const size_t base = (size_t)row * hidden;
  const int slot = warp * hidden;
  float sum = 0.0f;
  for (int c = lane; c < hidden; c += 32) {
    float x = sublayer[base + c];
    if (dropout) x *= dropout_factor(seed, base + c, (uint32_t)site, stepValue, dropoutRate, scale);
    float s = residual[base + c] + x;
    cache[slot + c] = s;  // each lane reads back only what it wrote: no barrier needed
    sum += s;
  }
  const float mu = fb_warp_sum(sum) / (float)hidden;
  float sq = 0.0f;
  for (int c = lane; c < hidden; c += 32) {
    float d = cache[slot + c] - mu;
    sq += d * d;
  }
  const float rs = 1.0f / sqrtf(fb_warp_sum(sq) / (float)hidden + eps);
  for (int c = lane; c < hidden; c += 32) {
    out[base + c] = (cache[slot + c] - mu) * rs * gamma[c] + beta[c];
  }
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

extern "C" __global__ void fb_layernorm_backward(const float* dOut, const float* residual, const float* sublayer,
                                                 const float* gamma, const float* mean, const float* rstd,
                                                 float* dResidual, float* dSublayer, float* partials, float* dGamma,
                                                 float* dBeta, int rows, int hidden, float dropoutRate,
                                                 unsigned long long seed, int site, const int* step) {
  FB_DYNAMIC_SHARED(float, shared);  // [warps][2H]: each warp's dGamma | dBeta partial
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const bool dropout = dropoutRate > 0.0f;
  const uint32_t stepValue = dropout ? (uint32_t)*step : 0u;
  const float scale = dropout ? 1.0f / (1.0f - dropoutRate) : 1.0f;
  const int slot = warp * 2 * hidden;
  // Each lane zeroes exactly the entries it accumulates into below (column c, both halves), so no
  // lane can clear another's partial (the lanes of a warp are not in lockstep).
  for (int c = lane; c < hidden; c += 32) {
    shared[slot + c] = 0.0f;
    shared[slot + hidden + c] = 0.0f;
  }

  for (int row = blockIdx.x * warps + warp; row < rows; row += gridDim.x * warps) {
    const size_t base = (size_t)row * hidden;
    const float mu = mean[row], rs = rstd[row];
    float sumG = 0.0f, sumGX = 0.0f;
    for (int c = lane; c < hidden; c += 32) {
      float keep = dropout ? dropout_factor(seed, base + c, (uint32_t)site, stepValue, dropoutRate, scale) : 1.0f;
      float xhat = (residual[base + c] + sublayer[base + c] * keep - mu) * rs;
      float dy = dOut[base + c];
      float gy = dy * gamma[c];
      sumG += gy;
      sumGX += gy * xhat;
      shared[slot + c] += dy * xhat;
      shared[slot + hidden + c] += dy;
    }
    const float meanG = fb_warp_sum(sumG) / (float)hidden;
    const float meanGX = fb_warp_sum(sumGX) / (float)hidden;
    // Second pass re-reads the row (cache-hot) and regenerates the mask rather than caching it.
    for (int c = lane; c < hidden; c += 32) {
      float keep = dropout ? dropout_factor(seed, base + c, (uint32_t)site, stepValue, dropoutRate, scale) : 1.0f;
      float xhat = (residual[base + c] + sublayer[base + c] * keep - mu) * rs;
      float ds = rs * (dOut[base + c] * gamma[c] - meanG - xhat * meanGX);
      dResidual[base + c] = ds;
      dSublayer[base + c] = ds * keep;
    }
  }
  block_partials_out(shared, warps, hidden, partials, dGamma, dBeta);
}
