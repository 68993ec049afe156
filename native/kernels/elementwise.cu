// Dense-layer helpers a GEMM epilogue does not cover, column sums without float atomics, and
// the device-resident counter increment (ABI: fusedbert/kernels.h).
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "vec.cuh"

namespace {
__device__ inline float activate(float x, int activation) {
  return activation == FB_ACTIVATION_RELU ? fmaxf(x, 0.0f) : x;
}
}  // namespace

extern "C" __global__ void fb_elementwise_bias_activation(const float* x, const float* bias, float* out, int rows,
                                                          int cols, int activation) {
  const bool vec = (cols & 3) == 0 && fb_aligned16(x) && fb_aligned16(bias) && fb_aligned16(out);
  const int perRow = vec ? cols >> 2 : cols;
  const size_t total = (size_t)rows * perRow;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    const int c = (int)(t % perRow);
    if (vec) {
      float4 a = fb_load4(x + 4 * t);
      float4 b = bias != nullptr ? fb_load4(bias + 4 * c) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      fb_store4(out + 4 * t, make_float4(activate(a.x + b.x, activation), activate(a.y + b.y, activation),
                                         activate(a.z + b.z, activation), activate(a.w + b.w, activation)));
    } else {
      out[t] = activate(x[t] + (bias != nullptr ? bias[c] : 0.0f), activation);
    }
  }
}

extern "C" __global__ void fb_elementwise_relu_backward(const float* y, const float* dy, float* dx,
                                                        long long count) {
  const long long first = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long scalarFrom = 0;
  if (fb_aligned16(y) && fb_aligned16(dy) && fb_aligned16(dx)) {
    const long long count4 = count >> 2;
    for (long long i = first; i < count4; i += stride) {
      float4 a = fb_load4(y + 4 * i), g = fb_load4(dy + 4 * i);
      fb_store4(dx + 4 * i, make_float4(a.x > 0.0f ? g.x : 0.0f, a.y > 0.0f ? g.y : 0.0f, a.z > 0.0f ? g.z : 0.0f,
                                        a.w > 0.0f ? g.w : 0.0f));
    }
    scalarFrom = count4 << 2;
  }
  for (long long i = scalarFrom + first; i < count; i += stride) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" __global__ void fb_elementwise_column_partials(const float* x, int rows, int cols, int rowsPerChunk,
                                                          float* partials, float* out, int accumulate) {
  __shared__ float sums[8][33];  // padded: the finishing read goes down a column
  const int c = blockIdx.x * 32 + threadIdx.x;
  const int chunk = blockIdx.y;
  const int begin = chunk * rowsPerChunk;
  const int end = begin + rowsPerChunk < rows ? begin + rowsPerChunk : rows;
  float acc = 0.0f;
  if (c < cols) {
    for (int r = begin + threadIdx.y; r < end; r += 8) acc += x[(size_t)r * cols + c];
  }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = sums[0][threadIdx.x];
    for (int y = 1; y < 8; ++y) total += sums[y][threadIdx.x];
    if (gridDim.y == 1) {
      out[c] = accumulate ? out[c] + total : total;
    } else {
      partials[(size_t)chunk * cols + c] = total;
    }
  }
}

extern "C" __global__ void fb_elementwise_reduce_partials(const float* partials, int numPartials, int stride,
                                                          int cols, float* out, int accumulate) {
  __shared__ float sums[8][33];
  const int c = blockIdx.x * 32 + threadIdx.x;
  float acc = 0.0f;
  if (c < cols) {
    for (int k = threadIdx.y; k < numPartials; k += 8) acc += partials[(size_t)k * stride + c];
  }
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = sums[0][threadIdx.x];
    for (int y = 1; y < 8; ++y) total += sums[y][threadIdx.x];
    out[c] = accumulate ? out[c] + total : total;
  }
}

extern "C" __global__ void fb_elementwise_increment(int* counter) {
  if (blockIdx.x == 0 && threadIdx.x == 0) counter[0] += 1;
}
