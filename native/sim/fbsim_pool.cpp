// The simulator's host thread pool: persistent threads woken per launch.
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "fbsim_internal.h"

namespace fbsim {

Pool::Pool(int threads) {
  for (int i = 0; i < threads; i++) {
    threads_.emplace_back([this, i] { loop(i); });
  }
}

void Pool::run(int workers, const std::function<void(int)>& body) {
  std::unique_lock<std::mutex> lock(mutex_);
  body_ = &body;
  wanted_ = workers;
  remaining_ = workers;
  generation_++;
  wake_.notify_all();
  done_.wait(lock, [this] { return remaining_ == 0; });
  body_ = nullptr;
}

void Pool::loop(int id) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return generation_ != seen; });
    seen = generation_;
    if (id >= wanted_) continue;
    const std::function<void(int)>* body = body_;
    lock.unlock();
    (*body)(id);
    lock.lock();
    if (--remaining_ == 0) done_.notify_all();
  }
}

namespace {
int default_threads() {
  if (const char* env = getenv("FUSEDBERT_SIM_THREADS")) {
    int n = atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}
}  // namespace

Pool& pool() {
  // Never destroyed: the threads wait forever and die with the process.
  static Pool* instance = new Pool(default_threads());
  return *instance;
}

std::mutex& launch_mutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

void write_error(char* err, size_t err_len, const std::string& message) {
  if (err == nullptr || err_len == 0) return;
  size_t n = message.size() < err_len - 1 ? message.size() : err_len - 1;
  memcpy(err, message.data(), n);
  err[n] = '\0';
}

}  // namespace fbsim

FBSIM_EXPORT int fbsim_thread_count(void) { return fbsim::pool().size(); }
