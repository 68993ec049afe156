// TF32 rounding as the GPU does it with cvt.rna.tf32.f32: to nearest, ties away from zero, keeping
// 10 mantissa bits; infinities and NaN pass unchanged. Shared by the simulator's wmma
// (__float_to_tf32) and its GEMM under TF32 (cuBLASLt's CUBLAS_COMPUTE_32F_FAST_TF32).
#pragma once

#include <stdint.h>
#include <string.h>

namespace fbsim {
inline float round_to_tf32(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7f800000u) != 0x7f800000u) {
    bits = (bits + 0x1000u) & 0xffffe000u;  // half of the 13 dropped bits' weight, then clear them
  }
  memcpy(&v, &bits, sizeof v);
  return v;
}
}  // namespace fbsim
