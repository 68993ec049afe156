// Losses fused with their gradients (ABI: fusedbert/kernels.h): masked softmax cross-entropy,
// which overwrites the logits with dlogits in place (llm.c's fused classifier), and sigmoid +
// binary cross-entropy. Means are taken on the device over a count computed on the device, and
// every sum runs in a fixed order, so results are deterministic.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "reduce.cuh"
#include "vec.cuh"

namespace {

// Folds one value into a thread's online-softmax state (running max m, sum of exp(x - m) s).
__device__ inline void online_add(float& m, float& s, float x) {
  if (x > m) {
    s = s * expf(m - x) + 1.0f;
    m = x;
  } else {
    s += expf(x - m);
  }
}

__device__ inline void online_add4(float& m, float& s, float4 v) {
  float m4 = fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w));
  if (m4 > m) {
    s *= expf(m - m4);
    m = m4;
  }
  s += (expf(v.x - m) + expf(v.y - m)) + (expf(v.z - m) + expf(v.w - m));
}

}  // namespace

extern "C" __global__ void fb_cross_entropy_count(const int* labels, int rows, int* count) {
  __shared__ int scratch[32];
  int n = 0;
  for (int r = threadIdx.x; r < rows; r += blockDim.x) n += labels[r] != -1 ? 1 : 0;
  n = fb_block_sum_int(n, scratch);
  if (threadIdx.x == 0) count[0] = n;
}

extern "C" __global__ void fb_cross_entropy_forward_backward(float* logits, const int* labels, const int* count,
                                                             float* rowLoss, int rows, int vocab) {
  __shared__ float scratchM[32], scratchS[32];
  const int row = blockIdx.x;
  if (row >= rows) return;
  float* x = logits + (size_t)row * vocab;
  const int label = labels[row];
  // Peel to a 16-byte boundary so the body runs on float4 whatever the row's alignment.
  const int head = fb_peel_to_aligned16(x, vocab);
  const int body4 = (vocab - head) >> 2;
  const int tail = head + 4 * body4;
  float* xBody = x + head;

  if (label == -1) {
    const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int i = threadIdx.x; i < head; i += blockDim.x) x[i] = 0.0f;
    for (int i = threadIdx.x; i < body4; i += blockDim.x) fb_store4(xBody + 4 * i, zero);
    for (int i = tail + threadIdx.x; i < vocab; i += blockDim.x) x[i] = 0.0f;
    if (threadIdx.x == 0) rowLoss[row] = 0.0f;
    return;
  }
  const bool labelValid = label >= 0 && label < vocab;  // not checked on the host: device-resident
  const float labelLogit = labelValid ? x[label] : NAN;  // read before the row is overwritten

  float m = -INFINITY, s = 0.0f;
  for (int i = threadIdx.x; i < head; i += blockDim.x) online_add(m, s, x[i]);
  for (int i = threadIdx.x; i < body4; i += blockDim.x) online_add4(m, s, fb_load4(xBody + 4 * i));
  for (int i = tail + threadIdx.x; i < vocab; i += blockDim.x) online_add(m, s, x[i]);
  fb_block_softmax_merge(m, s, scratchM, scratchS);  // contains __syncthreads: labelLogit is read

  if (threadIdx.x == 0) rowLoss[row] = (m + logf(s)) - labelLogit;
  const float invN = 1.0f / (float)count[0];  // count >= 1: this row is labelled
  const float invS = 1.0f / s;
  for (int i = threadIdx.x; i < head; i += blockDim.x) {
    x[i] = (expf(x[i] - m) * invS - (i == label ? 1.0f : 0.0f)) * invN;
  }
  for (int i = threadIdx.x; i < body4; i += blockDim.x) {
    float4 v = fb_load4(xBody + 4 * i);
    const int c = head + 4 * i;
    float4 d;
    d.x = (expf(v.x - m) * invS - (c == label ? 1.0f : 0.0f)) * invN;
    d.y = (expf(v.y - m) * invS - (c + 1 == label ? 1.0f : 0.0f)) * invN;
    d.z = (expf(v.z - m) * invS - (c + 2 == label ? 1.0f : 0.0f)) * invN;
    d.w = (expf(v.w - m) * invS - (c + 3 == label ? 1.0f : 0.0f)) * invN;
    fb_store4(xBody + 4 * i, d);
  }
  for (int i = tail + threadIdx.x; i < vocab; i += blockDim.x) {
    x[i] = (expf(x[i] - m) * invS - (i == label ? 1.0f : 0.0f)) * invN;
  }
}

extern "C" __global__ void fb_cross_entropy_mean_loss(const float* rowLoss, const int* count, int rows,
                                                      float* loss) {
  __shared__ float scratch[32];
  float sum = 0.0f;
  for (int r = threadIdx.x; r < rows; r += blockDim.x) sum += rowLoss[r];
  sum = fb_block_sum(sum, scratch);
  if (threadIdx.x == 0) {
    const int n = count[0];
    loss[0] = n > 0 ? sum / (float)n : 0.0f;
  }
}

extern "C" __global__ void fb_cross_entropy_sigmoid_binary(const float* logits, const int* labels, float* probs,
                                                           float* loss, float* dLogits, int batch) {
  __shared__ float scratch[32];
  float sum = 0.0f;
  for (int i = threadIdx.x; i < batch; i += blockDim.x) {
    const float z = logits[i];
    const float y = (float)labels[i];
    const float p = 1.0f / (1.0f + expf(-z));
    probs[i] = p;
    sum += fmaxf(z, 0.0f) - z * y + log1pf(expf(-fabsf(z)));
    if (dLogits != nullptr) dLogits[i] = (p - y) / (float)batch;
  }
  sum = fb_block_sum(sum, scratch);
  if (threadIdx.x == 0) loss[0] = batch > 0 ? sum / (float)batch : 0.0f;
}
