// Token + position embedding forward, and a deterministic backward without float atomics
// (ABI: fusedbert/kernels.h). The backward sorts (token id, position) pairs on the device with a
// stable LSD radix sort (8-bit digits), so every table row's gradient is summed in position order
// by exactly one owner: runs inside a 32-entry chunk of the sorted list are added by that chunk,
// and runs crossing chunks are finished by the chunk where they start, from per-chunk partials.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "reduce.cuh"
#include "vec.cuh"

extern "C" __global__ void fb_embedding_forward(const int* ids, const float* tokenTable, const float* positionTable,
                                                float* out, int batch, int length, int hidden) {
  const bool vec = (hidden & 3) == 0 && fb_aligned16(tokenTable) && fb_aligned16(positionTable) && fb_aligned16(out);
  const int perRow = vec ? hidden >> 2 : hidden;
  const size_t total = (size_t)batch * length * perRow;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    const size_t row = t / perRow;
    const int c = (int)(t - row * perRow);
    const int l = (int)(row % length);
    const size_t tok = (size_t)ids[row];
    if (vec) {
      float4 a = fb_load4(tokenTable + tok * hidden + 4 * c);
      float4 p = fb_load4(positionTable + (size_t)l * hidden + 4 * c);
      fb_store4(out + row * hidden + 4 * c, make_float4(a.x + p.x, a.y + p.y, a.z + p.z, a.w + p.w));
    } else {
      out[row * hidden + c] = tokenTable[tok * hidden + c] + positionTable[(size_t)l * hidden + c];
    }
  }
}

extern "C" __global__ void fb_embedding_sort_rank(const int* keys, int count, int shift, int* localRank,
                                                  int* digitCounts) {
  __shared__ int warpCounts[8][256];  // per warp, per digit: count, then the exclusive prefix over warps
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int tiles = gridDim.x;
  const int i = blockIdx.x * 256 + threadIdx.x;
  const bool valid = i < count;
  const int digit = valid ? (int)(((unsigned)keys[i] >> shift) & 255u) : 0;
  for (int k = threadIdx.x; k < 8 * 256; k += 256) warpCounts[k >> 8][k & 255] = 0;
  // Lanes holding the same digit, found bit by bit with ballots.
  unsigned peers = __ballot_sync(FB_FULL_MASK, valid);
  for (int b = 0; b < 8; ++b) {
    const bool bit = (digit >> b) & 1;
    const unsigned ones = __ballot_sync(FB_FULL_MASK, bit);
    peers &= bit ? ones : ~ones;
  }
  const int warpRank = __popc(peers & fb_lanemask_lt());
  __syncthreads();
  if (valid && warpRank == 0) warpCounts[warp][digit] = __popc(peers);
  __syncthreads();
  {
    const int d = threadIdx.x;  // 256 threads: one per digit
    int running = 0;
    for (int w = 0; w < 8; ++w) {
      const int c = warpCounts[w][d];
      warpCounts[w][d] = running;
      running += c;
    }
    digitCounts[d * tiles + blockIdx.x] = running;  // digit-major: a flat scan orders digits, then tiles
  }
  __syncthreads();
  if (valid) localRank[i] = warpCounts[warp][digit] + warpRank;
  (void)lane;
}

extern "C" __global__ void fb_embedding_sort_scan(int* digitCounts, int total) {
  __shared__ int scratch[33];
  const int per = (total + blockDim.x - 1) / blockDim.x;
  const int begin = threadIdx.x * per;
  const int end = begin + per < total ? begin + per : total;
  int sum = 0;
  for (int k = begin; k < end; ++k) sum += digitCounts[k];
  int blockTotal;
  int running = fb_block_exclusive_scan_int(sum, scratch, blockTotal);
  for (int k = begin; k < end; ++k) {
    const int c = digitCounts[k];
    digitCounts[k] = running;
    running += c;
  }
}

extern "C" __global__ void fb_embedding_sort_scatter(const int* keys, const int* values, int count, int shift,
                                                     const int* localRank, const int* digitOffsets, int* keysOut,
                                                     int* valuesOut) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const int key = keys[i];
  const int digit = (int)(((unsigned)key >> shift) & 255u);
  const int tile = i >> 8;  // the rank kernel's tiles are 256 entries
  const int dst = digitOffsets[digit * ((count + 255) >> 8) + tile] + localRank[i];
  keysOut[dst] = key;
  valuesOut[dst] = values != nullptr ? values[i] : i;
}

extern "C" __global__ void fb_embedding_backward_chunks(const int* sortedIds, const int* sortedPositions,
                                                        const float* dOut, int count, int hidden, int vocab,
                                                        float* dTokenTable, float* chunkHead, float* chunkTail) {
  const int chunk = blockIdx.x;
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= hidden) return;
  const int start = chunk * FB_EMBEDDING_CHUNK;
  const int end = start + FB_EMBEDDING_CHUNK < count ? start + FB_EMBEDDING_CHUNK : count;
  for (int i = start; i < end;) {
    const int id = sortedIds[i];
    float acc = 0.0f;
    int j = i;
    for (; j < end && sortedIds[j] == id; ++j) acc += dOut[(size_t)sortedPositions[j] * hidden + c];
    const bool startsHere = i > start || start == 0 || sortedIds[start - 1] != id;
    const bool endsHere = j < end || end == count || sortedIds[end] != id;
    if (startsHere && endsHere) {
      if (id >= 0 && id < vocab) dTokenTable[(size_t)id * hidden + c] += acc;  // this chunk owns the run
    } else if (!startsHere) {
      chunkHead[(size_t)chunk * hidden + c] = acc;  // continues a run from an earlier chunk
    } else {
      chunkTail[(size_t)chunk * hidden + c] = acc;  // starts a run that later chunks continue
    }
    i = j;
  }
}

extern "C" __global__ void fb_embedding_backward_spans(const int* sortedIds, int count, int hidden, int vocab,
                                                       const float* chunkHead, const float* chunkTail,
                                                       float* dTokenTable) {
  const int chunk = blockIdx.x;
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= hidden) return;
  const int start = chunk * FB_EMBEDDING_CHUNK;
  const int end = start + FB_EMBEDDING_CHUNK < count ? start + FB_EMBEDDING_CHUNK : count;
  const int id = sortedIds[end - 1];
  const bool continues = end < count && sortedIds[end] == id;
  const bool startedInside = start == 0 || sortedIds[start - 1] != id || sortedIds[start] != id;
  if (!continues || !startedInside) return;  // not the owner of a crossing run
  float acc = chunkTail[(size_t)chunk * hidden + c];
  for (int k = chunk + 1;; ++k) {
    acc += chunkHead[(size_t)k * hidden + c];
    const int kEnd = (k + 1) * FB_EMBEDDING_CHUNK;
    if (!(kEnd < count && sortedIds[kEnd] == id)) break;
  }
  if (id >= 0 && id < vocab) dTokenTable[(size_t)id * hidden + c] += acc;
}

extern "C" __global__ void fb_embedding_backward_positions(const float* dOut, float* dPositionTable, int batch,
                                                           int length, int hidden) {
  const size_t total = (size_t)length * hidden;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    float acc = dPositionTable[t];
    for (int b = 0; b < batch; ++b) acc += dOut[(size_t)b * total + t];
    dPositionTable[t] = acc;
  }
}
