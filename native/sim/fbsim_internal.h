// Pieces of the simulator shared between its translation units (not seen by kernels).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fbsim {

// One kernel of the registry: its name, a call that unpacks cuLaunchKernel-style arguments
// (void** args, one pointer per value) into its typed parameters, and its signature string
// (one letter per parameter: p pointer, i 32-bit int, f float, l 64-bit int), as KernelArgs writes it.
struct KernelEntry {
  const char* name;
  void (*invoke)(void** args);
  const char* signature;
};

size_t kernel_count();
const KernelEntry& kernel_at(size_t i);
const KernelEntry* find_kernel(const char* name);

// Host threads that run a launch's blocks (and the reference GEMM's tiles). Sized to the cores,
// or to FUSEDBERT_SIM_THREADS.
class Pool {
 public:
  explicit Pool(int threads);
  int size() const { return static_cast<int>(threads_.size()); }
  // Runs body(worker) for worker = 0 .. workers-1, each on its own pool thread, and waits.
  // body must not throw.
  void run(int workers, const std::function<void(int)>& body);

 private:
  void loop(int id);
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* body_ = nullptr;
  int wanted_ = 0;
  int remaining_ = 0;
  uint64_t generation_ = 0;
  std::vector<std::thread> threads_;
};

Pool& pool();

// One launch or GEMM at a time: they share the pool and the workers' fibers.
std::mutex& launch_mutex();

// Copies `message` into the caller's error buffer, truncated and NUL-terminated.
void write_error(char* err, size_t err_len, const std::string& message);

}  // namespace fbsim

// C entry points, called from Java through FFM.
#define FBSIM_EXPORT extern "C" __attribute__((visibility("default")))
