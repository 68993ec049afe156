// The masked-language-model data path on the device (ABI: fusedbert/kernels.h): BERT's masking
// rule drawn with Philox exactly as org.fusedbert.api.MaskingSpec.draw, sequence lengths, and the
// gather of labelled rows (in position order, from a single-block scan) with its inverse scatter.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "philox.cuh"
#include "reduce.cuh"
#include "vec.cuh"

extern "C" __global__ void fb_mlm_mask(const int* ids, int count, unsigned long long seed, float selectRate,
                                       float maskRate, float randomRate, int maskId, const int* step,
                                       int* maskedIds, int* labels) {
  const int p = blockIdx.x * blockDim.x + threadIdx.x;
  if (p >= count) return;
  const int id = ids[p];
  int label = -1, corrupted = id;
  if (id >= 2) {  // padding (0) and [UNK] (1) are never selected
    fb_philox_words w = fb_philox4x32_10(seed, (uint32_t)p, 0u, (uint32_t)step[0], FB_PHILOX_DOMAIN_MASKING);
    if (fb_philox_uniform(w.w0) < selectRate) {
      label = id;
      const float u1 = fb_philox_uniform(w.w1);
      const float randomBelow = maskRate + randomRate;  // float sum, as in MaskingSpec.draw
      if (u1 < maskRate) {
        corrupted = maskId;
      } else if (u1 < randomBelow) {
        corrupted = 2 + (int)fb_philox_mulhi(w.w2, (uint32_t)(maskId - 2));
      }
    }
  }
  maskedIds[p] = corrupted;
  labels[p] = label;
}

extern "C" __global__ void fb_mlm_sequence_lengths(const int* ids, int batch, int length, int* lengths) {
  const int lane = threadIdx.x & 31;
  const int b = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  if (b >= batch) return;
  int last = -1;
  for (int l = lane; l < length; l += 32) {
    if (ids[(size_t)b * length + l] != 0) last = l;
  }
  last = fb_warp_max_int(last);
  if (lane == 0) lengths[b] = last + 1 > 1 ? last + 1 : 1;
}

extern "C" __global__ void fb_mlm_gather_index(const int* labels, int rows, int capacity, int* rowLabels,
                                               int* rowIndex, int* count) {
  __shared__ int scratch[33];
  // Each thread owns a contiguous run of rows, so the scan keeps position order.
  const int per = (rows + blockDim.x - 1) / blockDim.x;
  const int begin = threadIdx.x * per;
  const int end = begin + per < rows ? begin + per : rows;
  int mine = 0;
  for (int r = begin; r < end; ++r) mine += labels[r] != -1 ? 1 : 0;
  int total;
  int dst = fb_block_exclusive_scan_int(mine, scratch, total);
  for (int r = begin; r < end && dst < capacity; ++r) {
    const int label = labels[r];
    if (label != -1) {
      rowIndex[dst] = r;
      rowLabels[dst] = label;
      ++dst;
    }
  }
  for (int i = total + threadIdx.x; i < capacity; i += blockDim.x) {
    rowIndex[i] = -1;
    rowLabels[i] = -1;
  }
  if (threadIdx.x == 0) count[0] = total;
}

namespace {
// Copies rows between a dense [C, H] block and the rows of an [N, H] matrix named by rowIndex:
// gather (dense[i] = matrix[rowIndex[i]], zeros for -1) or scatter (matrix[rowIndex[i]] = dense[i]).
template <bool GATHER>
__device__ inline void copy_indexed_rows(const float* __restrict__ from, const int* __restrict__ rowIndex,
                                         int capacity, int hiddenSize, float* __restrict__ to) {
  const bool vec = (hiddenSize & 3) == 0 && fb_aligned16(from) && fb_aligned16(to);
  const int perRow = vec ? hiddenSize >> 2 : hiddenSize;
  const int width = vec ? 4 : 1;
  const size_t total = (size_t)capacity * perRow;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    const size_t i = t / perRow;
    const size_t c = (size_t)(t - i * perRow) * width;
    const int row = rowIndex[i];
    if (!GATHER && row < 0) continue;
    const size_t dense = i * hiddenSize + c;
    const size_t sparse = (size_t)(row < 0 ? 0 : row) * hiddenSize + c;
    const size_t src = GATHER ? sparse : dense, dst = GATHER ? dense : sparse;
    if (vec) {
      fb_store4(to + dst, row >= 0 ? fb_load4(from + src) : make_float4(0.0f, 0.0f, 0.0f, 0.0f));
    } else {
      to[dst] = row >= 0 ? from[src] : 0.0f;
    }
  }
}
}  // namespace

extern "C" __global__ void fb_mlm_gather_rows(const float* hidden, const int* rowIndex, int capacity,
                                              int hiddenSize, float* rows) {
  copy_indexed_rows<true>(hidden, rowIndex, capacity, hiddenSize, rows);
}

extern "C" __global__ void fb_mlm_scatter_rows(const float* dRows, const int* rowIndex, int capacity,
                                               int hiddenSize, float* dHidden) {
  copy_indexed_rows<false>(dRows, rowIndex, capacity, hiddenSize, dHidden);
}
