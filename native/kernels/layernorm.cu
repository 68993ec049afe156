// Residual add + inverted dropout + layernorm, forward and backward (ABI: fusedbert/kernels.h).
// One warp per row. The float4 variants keep a lane's share of the row in registers (CHUNKS
// float4 per lane, so H <= 128 * CHUNKS); the scalar variants serve any H (odd, or unaligned)
// with the row cached in dynamic shared memory. The dropout mask is never stored: the backward
// regenerates it from (seed, site, step, element index) with the same Philox draw.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "philox.cuh"
#include "reduce.cuh"
#include "vec.cuh"

namespace {

// The four dropout factors (0 or 1/(1-rate)) of elements index..index+3, index a multiple of 4:
// they share one Philox block.
__device__ inline float4 dropout_factors4(uint64_t seed, uint64_t index, uint32_t site, uint32_t step, float rate,
                                          float scale) {
  fb_philox_words w = fb_dropout_block(seed, index, site, step);
  float4 f;
  f.x = fb_philox_uniform(w.w0) >= rate ? scale : 0.0f;
  f.y = fb_philox_uniform(w.w1) >= rate ? scale : 0.0f;
  f.z = fb_philox_uniform(w.w2) >= rate ? scale : 0.0f;
  f.w = fb_philox_uniform(w.w3) >= rate ? scale : 0.0f;
  return f;
}

__device__ inline float dropout_factor(uint64_t seed, uint64_t index, uint32_t site, uint32_t step, float rate,
                                       float scale) {
  return fb_dropout_keep(seed, index, site, step, rate) ? scale : 0.0f;
}

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

  float4 s[CHUNKS] = {};  // lanes past the row keep zeros
  float sum = 0.0f;
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    const int c4 = lane + 32 * j;
    if (c4 < h4) {
      const size_t at = base + 4 * (size_t)c4;
      float4 r = fb_load4(residual + at);
      float4 x = fb_load4(sublayer + at);
      if (dropout) {
        float4 f = dropout_factors4(seed, at, (uint32_t)site, stepValue, rate, scale);
        x.x *= f.x; x.y *= f.y; x.z *= f.z; x.w *= f.w;
      }
      s[j].x = r.x + x.x; s[j].y = r.y + x.y; s[j].z = r.z + x.z; s[j].w = r.w + x.w;
      sum += (s[j].x + s[j].y) + (s[j].z + s[j].w);
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

// Adds this block's per-warp column partials (acc, one float per column owned by the lane) into
// shared memory in warp order, so the block's sum is deterministic, then writes it out: straight
// into dGamma/dBeta when the grid is one block, else into partials[blockIdx.x][2H].
__device__ inline void block_partials_out(fb_smem_ptr<float> shared, int hidden, float* __restrict__ partials,
                                          float* __restrict__ dGamma, float* __restrict__ dBeta) {
  __syncthreads();
  for (int c = threadIdx.x; c < 2 * hidden; c += blockDim.x) {
    float v = shared[c];
    if (gridDim.x == 1) {
      if (c < hidden) dGamma[c] += v;
      else dBeta[c - hidden] += v;
    } else {
      partials[(size_t)blockIdx.x * 2 * hidden + c] = v;
    }
  }
}

template <int CHUNKS>
__device__ inline void backward_vec4(const float* __restrict__ dOut, const float* __restrict__ residual,
                                     const float* __restrict__ sublayer, const float* __restrict__ gamma,
                                     const float* __restrict__ mean, const float* __restrict__ rstd,
                                     float* __restrict__ dResidual, float* __restrict__ dSublayer,
                                     float* __restrict__ partials, float* __restrict__ dGamma,
                                     float* __restrict__ dBeta, int rows, int hidden, float rate,
                                     unsigned long long seed, int site, const int* step) {
  FB_DYNAMIC_SHARED(float, shared);  // [2H]: the block's dGamma | dBeta partial
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const int h4 = hidden >> 2;
  const bool dropout = rate > 0.0f;
  const uint32_t stepValue = dropout ? (uint32_t)*step : 0u;
  const float scale = dropout ? 1.0f / (1.0f - rate) : 1.0f;

  float4 accG[CHUNKS], accB[CHUNKS];
#pragma unroll
  for (int j = 0; j < CHUNKS; ++j) {
    accG[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    accB[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  for (int row = blockIdx.x * warps + warp; row < rows; row += gridDim.x * warps) {
    const size_t base = (size_t)row * hidden;
    const float mu = mean[row], rs = rstd[row];
    float4 xhat[CHUNKS] = {}, gy[CHUNKS] = {};  // lanes past the row keep zeros
    unsigned keptBits[CHUNKS] = {};  // the mask as 4 bits per chunk: fewer registers than 4 floats
    float sumG = 0.0f, sumGX = 0.0f;
#pragma unroll
    for (int j = 0; j < CHUNKS; ++j) {
      const int c4 = lane + 32 * j;
      if (c4 < h4) {
        const size_t at = base + 4 * (size_t)c4;
        float4 dy = fb_load4(dOut + at);
        float4 r = fb_load4(residual + at);
        float4 x = fb_load4(sublayer + at);
        float4 g = fb_load4(gamma + 4 * c4);
        const float4 keep = dropout ? dropout_factors4(seed, at, (uint32_t)site, stepValue, rate, scale)
                                    : make_float4(1.0f, 1.0f, 1.0f, 1.0f);
        keptBits[j] = (keep.x != 0.0f ? 1u : 0u) | (keep.y != 0.0f ? 2u : 0u) | (keep.z != 0.0f ? 4u : 0u) |
                      (keep.w != 0.0f ? 8u : 0u);
        xhat[j].x = (r.x + x.x * keep.x - mu) * rs;
        xhat[j].y = (r.y + x.y * keep.y - mu) * rs;
        xhat[j].z = (r.z + x.z * keep.z - mu) * rs;
        xhat[j].w = (r.w + x.w * keep.w - mu) * rs;
        gy[j].x = dy.x * g.x; gy[j].y = dy.y * g.y; gy[j].z = dy.z * g.z; gy[j].w = dy.w * g.w;
        sumG += (gy[j].x + gy[j].y) + (gy[j].z + gy[j].w);
        sumGX += (gy[j].x * xhat[j].x + gy[j].y * xhat[j].y) + (gy[j].z * xhat[j].z + gy[j].w * xhat[j].w);
        accG[j].x += dy.x * xhat[j].x; accG[j].y += dy.y * xhat[j].y;
        accG[j].z += dy.z * xhat[j].z; accG[j].w += dy.w * xhat[j].w;
        accB[j].x += dy.x; accB[j].y += dy.y; accB[j].z += dy.z; accB[j].w += dy.w;
      }
    }
    const float meanG = fb_warp_sum(sumG) / (float)hidden;
    const float meanGX = fb_warp_sum(sumGX) / (float)hidden;
#pragma unroll
    for (int j = 0; j < CHUNKS; ++j) {
      const int c4 = lane + 32 * j;
      if (c4 < h4) {
        const size_t at = base + 4 * (size_t)c4;
        float4 ds;
        ds.x = rs * (gy[j].x - meanG - xhat[j].x * meanGX);
        ds.y = rs * (gy[j].y - meanG - xhat[j].y * meanGX);
        ds.z = rs * (gy[j].z - meanG - xhat[j].z * meanGX);
        ds.w = rs * (gy[j].w - meanG - xhat[j].w * meanGX);
        fb_store4(dResidual + at, ds);
        if (dropout) {
          const unsigned k = keptBits[j];
          ds.x = (k & 1u) ? ds.x * scale : 0.0f;
          ds.y = (k & 2u) ? ds.y * scale : 0.0f;
          ds.z = (k & 4u) ? ds.z * scale : 0.0f;
          ds.w = (k & 8u) ? ds.w * scale : 0.0f;
        }
        fb_store4(dSublayer + at, ds);
      }
    }
  }
  // Warps add their column partials into shared memory one after another (a fixed order).
  for (int w = 0; w < warps; ++w) {
    if (warp == w) {
#pragma unroll
      for (int j = 0; j < CHUNKS; ++j) {
        const int c4 = lane + 32 * j;
        if (c4 < h4) {
          const int c = 4 * c4;
          if (w == 0) {
            shared[c] = accG[j].x; shared[c + 1] = accG[j].y; shared[c + 2] = accG[j].z; shared[c + 3] = accG[j].w;
            shared[hidden + c] = accB[j].x; shared[hidden + c + 1] = accB[j].y;
            shared[hidden + c + 2] = accB[j].z; shared[hidden + c + 3] = accB[j].w;
          } else {
            shared[c] += accG[j].x; shared[c + 1] += accG[j].y; shared[c + 2] += accG[j].z; shared[c + 3] += accG[j].w;
            shared[hidden + c] += accB[j].x; shared[hidden + c + 1] += accB[j].y;
            shared[hidden + c + 2] += accB[j].z; shared[hidden + c + 3] += accB[j].w;
          }
        }
      }
    }
    __syncthreads();
  }
  block_partials_out(shared, hidden, partials, dGamma, dBeta);
}

}  // namespace

#define FB_LAYERNORM_FORWARD_VEC4(NAME, CHUNKS)                                                                  \
  extern "C" __global__ void NAME(const float* residual, const float* sublayer, const float* gamma,              \
                                  const float* beta, float* out, float* mean, float* rstd, int rows, int hidden,  \
                                  float eps, float dropoutRate, unsigned long long seed, int site,                \
                                  const int* step) {                                                             \
    forward_vec4<CHUNKS>(residual, sublayer, gamma, beta, out, mean, rstd, rows, hidden, eps, dropoutRate, seed,  \
                         site, step);                                                                            \
  }
FB_LAYERNORM_FORWARD_VEC4(fb_layernorm_forward_v4x1, 1)
FB_LAYERNORM_FORWARD_VEC4(fb_layernorm_forward_v4x2, 2)
FB_LAYERNORM_FORWARD_VEC4(fb_layernorm_forward_v4x4, 4)
FB_LAYERNORM_FORWARD_VEC4(fb_layernorm_forward_v4x8, 8)

#define FB_LAYERNORM_BACKWARD_VEC4(NAME, CHUNKS)                                                                   \
  extern "C" __global__ void NAME(const float* dOut, const float* residual, const float* sublayer,                \
                                  const float* gamma, const float* mean, const float* rstd, float* dResidual,     \
                                  float* dSublayer, float* partials, float* dGamma, float* dBeta, int rows,       \
                                  int hidden, float dropoutRate, unsigned long long seed, int site,               \
                                  const int* step) {                                                               \
    backward_vec4<CHUNKS>(dOut, residual, sublayer, gamma, mean, rstd, dResidual, dSublayer, partials, dGamma,    \
                          dBeta, rows, hidden, dropoutRate, seed, site, step);                                     \
  }
FB_LAYERNORM_BACKWARD_VEC4(fb_layernorm_backward_v4x1, 1)
FB_LAYERNORM_BACKWARD_VEC4(fb_layernorm_backward_v4x2, 2)
FB_LAYERNORM_BACKWARD_VEC4(fb_layernorm_backward_v4x4, 4)
FB_LAYERNORM_BACKWARD_VEC4(fb_layernorm_backward_v4x8, 8)

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
  __syncthreads();
  // Sum the warps' partials in warp order into warp 0's slot.
  for (int c = threadIdx.x; c < 2 * hidden; c += blockDim.x) {
    float v = shared[c];
    for (int w = 1; w < warps; ++w) v += shared[w * 2 * hidden + c];
    shared[c] = v;
  }
  block_partials_out(shared, hidden, partials, dGamma, dBeta);
}
