// Global max pooling over the sequence, forward (value and first argmax) and backward
// (ABI: fusedbert/kernels.h). One thread per (batch, feature): adjacent threads read adjacent
// features of the same position, so every load is coalesced.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"

extern "C" __global__ void fb_pooling_max_forward(const float* x, float* out, int* argmax, int batch, int length,
                                                  int hidden) {
  const size_t total = (size_t)batch * hidden;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    const size_t b = t / hidden;
    const int h = (int)(t - b * hidden);
    const float* column = x + b * length * hidden + h;
    float best = column[0];
    int at = 0;
    for (int l = 1; l < length; ++l) {
      const float v = column[(size_t)l * hidden];
      if (v > best) {  // strict: the first position attaining the maximum wins
        best = v;
        at = l;
      }
    }
    out[t] = best;
    argmax[t] = at;
  }
}

extern "C" __global__ void fb_pooling_max_backward(const float* dOut, const int* argmax, float* dx, int batch,
                                                   int length, int hidden) {
  const size_t total = (size_t)batch * length * hidden;
  for (size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    const size_t h = t % hidden;
    const size_t bl = t / hidden;
    const size_t b = bl / length;
    const int l = (int)(bl - b * length);
    const size_t o = b * hidden + h;
    dx[t] = argmax[o] == l ? dOut[o] : 0.0f;
  }
}
