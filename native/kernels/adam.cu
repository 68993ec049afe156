// Fused Adam over the flat parameter buffer (ABI: fusedbert/kernels.h), Keras' update rule as
// org.fusedbert.api.AdamConfig documents it. The step counter lives in device memory: the launch
// side first runs fb_elementwise_increment on it, then this kernel reads t = step[0] in every
// thread, so a captured graph advances the bias correction at each replay.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"
#include "vec.cuh"

namespace {

struct AdamCoefficients {
  float alpha, oneMinusBeta1, oneMinusBeta2, epsilon;
};

// Each operation rounded on its own (the _rn intrinsics are never fused into an FMA), in the
// order AdamConfig documents, so the update is bit-identical to the CPU reference's.
__device__ inline void adam_one(float& p, float g, float& m, float& v, const AdamCoefficients& k) {
  m = __fadd_rn(m, __fmul_rn(__fsub_rn(g, m), k.oneMinusBeta1));
  v = __fadd_rn(v, __fmul_rn(__fsub_rn(__fmul_rn(g, g), v), k.oneMinusBeta2));
  p = __fsub_rn(p, __fdiv_rn(__fmul_rn(m, k.alpha), __fadd_rn(sqrtf(v), k.epsilon)));
}

}  // namespace

extern "C" __global__ void fb_adam_update(float* params, const float* grads, float* m, float* v, const int* step,
                                          long long count, float learningRate, float beta1, float beta2,
                                          float epsilon) {
  // AdamConfig.stepSize: float64, rounded once to float32.
  const double t = (double)step[0];
  AdamCoefficients k;
  k.alpha = (float)((double)learningRate * sqrt(1.0 - pow((double)beta2, t)) / (1.0 - pow((double)beta1, t)));
  k.oneMinusBeta1 = 1.0f - beta1;
  k.oneMinusBeta2 = 1.0f - beta2;
  k.epsilon = epsilon;
  const long long first = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long scalarFrom = 0;
  if (fb_aligned16(params) && fb_aligned16(grads) && fb_aligned16(m) && fb_aligned16(v)) {
    const long long count4 = count >> 2;
    for (long long i = first; i < count4; i += stride) {
      float4 p4 = fb_load4(params + 4 * i), g4 = fb_load4(grads + 4 * i);
      float4 m4 = fb_load4(m + 4 * i), v4 = fb_load4(v + 4 * i);
      adam_one(p4.x, g4.x, m4.x, v4.x, k);
      adam_one(p4.y, g4.y, m4.y, v4.y, k);
      adam_one(p4.z, g4.z, m4.z, v4.z, k);
      adam_one(p4.w, g4.w, m4.w, v4.w, k);
      fb_store4(params + 4 * i, p4);
      fb_store4(m + 4 * i, m4);
      fb_store4(v + 4 * i, v4);
    }
    scalarFrom = count4 << 2;
  }
  for (long long i = scalarFrom + first; i < count; i += stride) {
    float p = params[i], mi = m[i], vi = v[i];
    adam_one(p, grads[i], mi, vi, k);
    params[i] = p;
    m[i] = mi;
    v[i] = vi;
  }
}
