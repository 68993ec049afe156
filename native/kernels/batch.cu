// Resident data on the device (ABI: fusedbert/kernels.h): a step gathers its batch from examples
// that stay in device memory, through the epoch's order and a batch index read on the device, and
// stores its loss and probabilities at the batch's place in a device-side history. No index comes
// from the host, so the step can be captured once and replayed.
#include "fb_device.cuh"
#include "fusedbert/kernels.h"

extern "C" __global__ void fb_batch_gather(const int* source, int rows, int width, const int* order,
                                           const int* batchIndex, int batch, int* out) {
  const long long total = (long long)batch * width;
  const long long first = (long long)batchIndex[0] * batch;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int b = (int)(i / width);
    const int c = (int)(i - (long long)b * width);
    const int row = order[(first + b) % rows];  // the epoch's last batch wraps to its first examples
    out[i] = source[(long long)row * width + c];
  }
}

extern "C" __global__ void fb_batch_store(const float* values, int count, const int* batchIndex, float* history,
                                          long long capacity) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const long long at = (long long)batchIndex[0] * count + i;
  if (at < capacity) history[at] = values[i];
}
