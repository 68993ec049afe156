// The simulator's block runtime: each thread of a block is a fiber on one host thread; fibers
// switch only inside synchronizing builtins (barriers, warp collectives) or when they finish, and
// every such point checks CUDA's rules. A violation throws out of the kernel thread, the block's
// other fibers are unwound, and fbsim_launch returns the message.
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "fb_device.cuh"
#include "fbsim_context.h"
#include "fbsim_internal.h"

namespace fbsim {

thread_local const uint3* t_thread_idx = nullptr;
thread_local uint3 t_block_idx;
thread_local dim3 t_block_dim;
thread_local dim3 t_grid_dim;

namespace {

// What a kernel thread throws to fail the launch.
struct KernelError {
  std::string message;
};
// What a waiting fiber throws when its block is being unwound after another thread's error.
struct Cancelled {};

enum class FiberState : uint8_t { Runnable, AtBarrier, InWarpOp, Finished };

struct Worker;

struct Fiber {
  Context context;
  uint3 thread_idx{0, 0, 0};
  unsigned linear = 0;
  unsigned lane = 0;
  unsigned warp = 0;
  FiberState state = FiberState::Runnable;
  bool in_kernel = false;  // between kernel entry and return: must be unwound on failure
  int barrier_result = 0;
  uint64_t warp_result = 0;
  Worker* worker = nullptr;
  void* stack = nullptr;
  size_t stack_bytes = 0;
};

// A lane waiting in a warp collective.
struct WarpWait {
  WarpOp op;
  unsigned mask;
  uint64_t value;
  int arg;
  int width;
  const char* file;
  int line;
};

// Lanes waiting together at one collective (same kind, same mask).
struct WarpGroup {
  WarpOp op;
  unsigned mask;
  unsigned arrived;
};

struct WarpState {
  unsigned exists = 0;   // lanes that are threads of the block
  unsigned exited = 0;
  unsigned pending = 0;  // lanes waiting in a collective
  int groups = 0;        // open collectives, group[0 .. groups)
  WarpGroup group[32];
  WarpWait wait[32];
};

enum class Order { Alternate, Forward, Reverse };

Order schedule_order() {
  static const Order order = [] {
    const char* env = getenv("FUSEDBERT_SIM_ORDER");
    if (env != nullptr && strcmp(env, "forward") == 0) return Order::Forward;
    if (env != nullptr && strcmp(env, "reverse") == 0) return Order::Reverse;
    return Order::Alternate;
  }();
  return order;
}

size_t stack_bytes_per_fiber() {
  static const size_t bytes = [] {
    size_t kib = 256;
    if (const char* env = getenv("FUSEDBERT_SIM_STACK_KB")) {
      long v = atol(env);
      if (v >= 16 && v <= 65536) kib = static_cast<size_t>(v);
    }
    return kib * 1024;
  }();
  return bytes;
}

void fiber_main(void* self);

// One per pool thread: its fibers (reused from block to block) and the state of the block it runs.
struct Worker {
  Context scheduler;
  std::vector<std::unique_ptr<Fiber>> fibers;
  std::vector<WarpState> warps;
  std::vector<Fiber*> ring;  // runnable fibers, FIFO
  size_t ring_head = 0;
  size_t ring_count = 0;
  std::vector<Fiber*> barrier_waiters;

  const KernelEntry* kernel = nullptr;
  void** args = nullptr;
  unsigned nthreads = 0;
  char* smem = nullptr;
  size_t smem_bytes = 0;
  size_t smem_capacity = 0;
  bool reverse = false;

  // __syncthreads state
  unsigned bar_waiting = 0;
  int bar_op = 0;
  const char* bar_file = nullptr;
  int bar_line = 0;
  int bar_count = 0;
  int bar_and = 1;
  int bar_or = 0;
  Fiber* bar_first = nullptr;

  unsigned exited = 0;
  Fiber* first_exited = nullptr;
  unsigned finished = 0;
  bool failed = false;
  bool cancelling = false;
  std::string error;

  ~Worker() {
    for (auto& f : fibers) munmap(f->stack, f->stack_bytes);
    free(smem);
  }

  void push(Fiber* f) {
    ring[(ring_head + ring_count) % ring.size()] = f;
    ring_count++;
  }
  Fiber* pop() {
    if (ring_count == 0) return nullptr;
    Fiber* f = ring[ring_head];
    ring_head = (ring_head + 1) % ring.size();
    ring_count--;
    return f;
  }

  // Grows the fiber set and the dynamic shared memory for a launch; false with `error` set if the
  // host cannot provide them.
  bool prepare(unsigned threads, size_t shared_bytes) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t stack = stack_bytes_per_fiber();
    while (fibers.size() < threads) {
      // A guard page below each stack turns an overflow into a fault instead of silent corruption.
      void* mem = mmap(nullptr, stack + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
      if (mem == MAP_FAILED) {
        error = "cannot map " + std::to_string(threads) + " fiber stacks of " + std::to_string(stack) + " bytes";
        return false;
      }
      mprotect(mem, page, PROT_NONE);
      auto f = std::make_unique<Fiber>();
      f->worker = this;
      f->stack = mem;
      f->stack_bytes = stack + page;
      context_init(&f->context, static_cast<char*>(mem) + page, stack, &fiber_main, f.get());
      fibers.push_back(std::move(f));
    }
    if (ring.size() < threads) ring.resize(threads);
    if (shared_bytes > smem_capacity) {
      free(smem);
      smem_capacity = (shared_bytes + 63) & ~static_cast<size_t>(63);
      smem = static_cast<char*>(aligned_alloc(64, smem_capacity));
      if (smem == nullptr) {
        smem_capacity = 0;
        error = "cannot allocate " + std::to_string(shared_bytes) + " bytes of dynamic shared memory";
        return false;
      }
    }
    smem_bytes = shared_bytes;
    return true;
  }

  bool run_block(uint64_t linear_block);
  void record_error(Fiber* f, const std::string& message);
  std::string deadlock_report();
};

thread_local Worker* t_worker = nullptr;
thread_local Fiber* t_fiber = nullptr;

Worker& this_worker() {
  if (t_worker == nullptr) t_worker = new Worker();  // lives as long as its pool thread
  return *t_worker;
}

const char* base_name(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash == nullptr ? path : slash + 1;
}

std::string coords(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

std::string format(const char* fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  return buf;
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = format(fmt, ap);
  va_end(ap);
  return s;
}

const char* barrier_name(int op) {
  static const char* const names[] = {"__syncthreads", "__syncthreads_count", "__syncthreads_and",
                                      "__syncthreads_or"};
  return names[op];
}

const char* warp_op_name(WarpOp op) {
  switch (op) {
    case kShflIdx: return "__shfl_sync";
    case kShflUp: return "__shfl_up_sync";
    case kShflDown: return "__shfl_down_sync";
    case kShflXor: return "__shfl_xor_sync";
    case kBallot: return "__ballot_sync";
    case kAny: return "__any_sync";
    case kAll: return "__all_sync";
    case kSyncWarp: return "__syncwarp";
    case kReduceAdd: return "__reduce_add_sync";
    case kReduceMin: case kReduceUMin: return "__reduce_min_sync";
    case kReduceMax: case kReduceUMax: return "__reduce_max_sync";
    case kReduceAnd: return "__reduce_and_sync";
    case kReduceOr: return "__reduce_or_sync";
    case kReduceXor: return "__reduce_xor_sync";
  }
  return "warp collective";
}

bool same_site(const char* f1, int l1, const char* f2, int l2) {
  return l1 == l2 && (f1 == f2 || strcmp(f1, f2) == 0);
}

void Worker::record_error(Fiber* f, const std::string& message) {
  if (failed) return;  // the first error is the cause; the rest are its consequences
  failed = true;
  error = "block " + coords(t_block_idx);
  if (f != nullptr) error += ", thread " + coords(f->thread_idx);
  error += ": " + message;
}

// Runs the next runnable fiber in place of `f` (which has blocked or finished), or returns to the
// scheduler when none is left or the block has failed.
void leave(Worker& w, Fiber* f) {
  Fiber* next = w.failed ? nullptr : w.pop();
  if (next != nullptr) {
    t_fiber = next;
    t_thread_idx = &next->thread_idx;
    context_switch(&f->context, &next->context);
  } else {
    t_fiber = nullptr;
    context_switch(&f->context, &w.scheduler);
  }
}

// `f` waits (at a barrier or in a warp collective) until another fiber makes it runnable.
void wait_here(Worker& w, Fiber* f) {
  leave(w, f);
  if (w.cancelling) throw Cancelled{};
}

void thread_finished(Worker& w, Fiber* f) {
  w.exited++;
  if (w.first_exited == nullptr) w.first_exited = f;
  if (w.bar_waiting > 0) {
    w.record_error(f, format("thread exited while %u other threads wait at %s (%s:%d), e.g. thread %s: every "
                             "thread of the block must reach each __syncthreads (divergent barrier)",
                             w.bar_waiting, barrier_name(w.bar_op), base_name(w.bar_file), w.bar_line,
                             coords(w.bar_first->thread_idx).c_str()));
    return;
  }
  WarpState& ws = w.warps[f->warp];
  unsigned me = 1u << f->lane;
  ws.exited |= me;
  for (unsigned l = 0; l < 32; l++) {
    if ((ws.pending >> l & 1) && (ws.wait[l].mask & me)) {
      const WarpWait& p = ws.wait[l];
      w.record_error(f, format("lane %u of warp %u exited while lane %u waits for it in %s(mask 0x%08x) at %s:%d",
                               f->lane, f->warp, l, warp_op_name(p.op), p.mask, base_name(p.file), p.line));
      return;
    }
  }
}

void fiber_main(void* self) {
  Fiber* f = static_cast<Fiber*>(self);
  Worker& w = *f->worker;
  for (;;) {
    f->in_kernel = true;
    bool returned = false;
    try {
      w.kernel->invoke(w.args);
      returned = true;
    } catch (const Cancelled&) {
    } catch (const KernelError& e) {
      w.record_error(f, e.message);
    } catch (const std::exception& e) {
      w.record_error(f, std::string("C++ exception in the kernel: ") + e.what());
    } catch (...) {
      w.record_error(f, "unknown C++ exception in the kernel");
    }
    f->in_kernel = false;
    if (returned) thread_finished(w, f);
    f->state = FiberState::Finished;
    w.finished++;
    leave(w, f);  // resumed only to run the thread of a later block
  }
}

std::string Worker::deadlock_report() {
  std::string s = format("deadlock: all %u unfinished threads are blocked", nthreads - finished);
  if (bar_waiting > 0) {
    s += format("; %u at %s (%s:%d), e.g. thread %s", bar_waiting, barrier_name(bar_op), base_name(bar_file),
                bar_line, coords(bar_first->thread_idx).c_str());
  }
  int groups = 0;
  for (size_t wi = 0; wi < warps.size() && groups < 4; wi++) {
    WarpState& ws = warps[wi];
    unsigned seen = 0;
    for (unsigned l = 0; l < 32 && groups < 4; l++) {
      if (!(ws.pending >> l & 1) || (seen >> l & 1)) continue;
      const WarpWait& p = ws.wait[l];
      unsigned group = 0;
      for (unsigned k = 0; k < 32; k++) {
        if ((ws.pending >> k & 1) && ws.wait[k].op == p.op && ws.wait[k].mask == p.mask) group |= 1u << k;
      }
      seen |= group;
      s += format("; warp %zu lanes 0x%08x in %s(mask 0x%08x) at %s:%d wait for lanes 0x%08x", wi, group,
                  warp_op_name(p.op), p.mask, base_name(p.file), p.line, p.mask & ~group);
      groups++;
    }
  }
  return s;
}

bool Worker::run_block(uint64_t linear_block) {
  uint64_t gx = t_grid_dim.x, gy = t_grid_dim.y;
  t_block_idx = uint3{static_cast<unsigned>(linear_block % gx), static_cast<unsigned>((linear_block / gx) % gy),
                      static_cast<unsigned>(linear_block / (gx * gy))};
  bar_waiting = 0;
  bar_first = nullptr;
  exited = 0;
  first_exited = nullptr;
  finished = 0;
  failed = false;
  cancelling = false;
  error.clear();
  barrier_waiters.clear();
  ring_head = 0;
  ring_count = 0;
  for (WarpState& ws : warps) {
    ws.exited = 0;
    ws.pending = 0;
    ws.groups = 0;
  }
  // Uninitialized shared memory reads as NaN (0xffffffff) rather than as plausible zeros.
  if (smem_bytes > 0) memset(smem, 0xff, smem_bytes);

  Order order = schedule_order();
  reverse = order == Order::Reverse || (order == Order::Alternate && (linear_block & 1));
  for (unsigned i = 0; i < nthreads; i++) {
    Fiber* f = fibers[reverse ? nthreads - 1 - i : i].get();
    f->state = FiberState::Runnable;
    push(f);
  }
  while (!failed) {
    Fiber* f = pop();
    if (f == nullptr) break;
    t_fiber = f;
    t_thread_idx = &f->thread_idx;
    context_switch(&scheduler, &f->context);
  }
  if (!failed && finished < nthreads) record_error(nullptr, deadlock_report());
  if (failed) {
    // Unwind every thread still inside the kernel, so its frames are left cleanly.
    cancelling = true;
    ring_count = 0;
    for (unsigned i = 0; i < nthreads; i++) {
      Fiber* f = fibers[i].get();
      if (!f->in_kernel) continue;
      t_fiber = f;
      t_thread_idx = &f->thread_idx;
      context_switch(&scheduler, &f->context);
    }
    cancelling = false;
  }
  t_fiber = nullptr;
  t_thread_idx = nullptr;
  return !failed;
}

unsigned lane_bit(unsigned lane) { return 1u << lane; }

bool is_shuffle(WarpOp op) { return op == kShflIdx || op == kShflUp || op == kShflDown || op == kShflXor; }

// What lane `lane` receives from a completed shuffle over the lanes in `mask`.
uint64_t shuffle_result(const WarpState& ws, unsigned mask, unsigned lane) {
  const WarpWait& me = ws.wait[lane];
  int width = me.width;
  int self = static_cast<int>(lane);
  int first = self & ~(width - 1);  // start of this lane's width-section
  int src;
  switch (me.op) {
    case kShflIdx:
      src = first + (me.arg & (width - 1));
      break;
    case kShflUp:
      src = self - me.arg < first ? self : self - me.arg;
      break;
    case kShflDown:
      src = self + me.arg >= first + width ? self : self + me.arg;
      break;
    default:  // kShflXor: earlier sections may be read, later ones give the lane its own value
      src = self ^ me.arg;
      if (src >= first + width || src < 0 || src > 31) src = self;
      break;
  }
  // Reading a lane outside the mask is undefined on a GPU; here the lane keeps its own value.
  if (!(mask >> src & 1)) src = self;
  return ws.wait[src].value;
}

// The one result every lane of a completed vote, reduction or __syncwarp receives.
uint64_t uniform_result(const WarpState& ws, WarpOp op, unsigned mask) {
  if (op == kSyncWarp) return 0;
  if (op == kBallot || op == kAny || op == kAll) {
    unsigned ballot = 0;
    for (unsigned bits = mask; bits != 0; bits &= bits - 1) {
      unsigned l = static_cast<unsigned>(__builtin_ctz(bits));
      if (ws.wait[l].value != 0) ballot |= lane_bit(l);
    }
    if (op == kBallot) return ballot;
    return op == kAny ? ballot != 0 : ballot == mask;
  }
  unsigned bits = mask;
  uint32_t acc = static_cast<uint32_t>(ws.wait[__builtin_ctz(bits)].value);
  for (bits &= bits - 1; bits != 0; bits &= bits - 1) {
    uint32_t v = static_cast<uint32_t>(ws.wait[__builtin_ctz(bits)].value);
    switch (op) {
      case kReduceAdd: acc += v; break;
      case kReduceMin: acc = static_cast<int32_t>(v) < static_cast<int32_t>(acc) ? v : acc; break;
      case kReduceMax: acc = static_cast<int32_t>(v) > static_cast<int32_t>(acc) ? v : acc; break;
      case kReduceUMin: acc = v < acc ? v : acc; break;
      case kReduceUMax: acc = v > acc ? v : acc; break;
      case kReduceAnd: acc &= v; break;
      case kReduceOr: acc |= v; break;
      default: acc ^= v; break;  // kReduceXor
    }
  }
  return acc;
}

}  // namespace

void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string message = format(fmt, ap);
  va_end(ap);
  throw KernelError{message};
}

int block_barrier(int op, int predicate, const char* file, int line) {
  Worker& w = *t_worker;
  Fiber* f = t_fiber;
  if (w.exited > 0) {
    fail("reached %s at %s:%d after thread %s had exited: every thread of the block must reach each "
         "__syncthreads (an early return by part of the block is a divergent barrier)",
         barrier_name(op), base_name(file), line, coords(w.first_exited->thread_idx).c_str());
  }
  if (w.bar_waiting == 0) {
    w.bar_op = op;
    w.bar_file = file;
    w.bar_line = line;
    w.bar_count = 0;
    w.bar_and = 1;
    w.bar_or = 0;
    w.bar_first = f;
  } else if (op != w.bar_op || !same_site(file, line, w.bar_file, w.bar_line)) {
    fail("divergent barrier: reached %s at %s:%d while %u other threads (e.g. thread %s) wait at %s at %s:%d",
         barrier_name(op), base_name(file), line, w.bar_waiting, coords(w.bar_first->thread_idx).c_str(),
         barrier_name(w.bar_op), base_name(w.bar_file), w.bar_line);
  }
  w.bar_count += predicate;
  w.bar_and &= predicate;
  w.bar_or |= predicate;
  if (++w.bar_waiting == w.nthreads) {
    int result = op == 1 ? w.bar_count : op == 2 ? w.bar_and : op == 3 ? w.bar_or : 0;
    for (Fiber* x : w.barrier_waiters) {
      x->barrier_result = result;
      x->state = FiberState::Runnable;
      w.push(x);
    }
    w.barrier_waiters.clear();
    w.bar_waiting = 0;
    return result;
  }
  f->state = FiberState::AtBarrier;
  w.barrier_waiters.push_back(f);
  wait_here(w, f);
  return f->barrier_result;
}

uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t value, int arg, int width, const char* file, int line) {
  Worker& w = *t_worker;
  Fiber* f = t_fiber;
  WarpState& ws = w.warps[f->warp];
  unsigned me = lane_bit(f->lane);
  if (!(mask & me)) {
    fail("%s at %s:%d: mask 0x%08x does not include the calling lane %u", warp_op_name(op), base_name(file), line,
         mask, f->lane);
  }
  if (is_shuffle(op) && (width < 1 || width > 32 || (width & (width - 1)) != 0)) {
    fail("%s at %s:%d: width expected a power of two in [1, 32] but was %d", warp_op_name(op), base_name(file),
         line, width);
  }
  if (mask & ~ws.exists) {
    fail("%s at %s:%d: mask 0x%08x names lanes 0x%08x that are not threads of the block (warp %u has lanes 0x%08x)",
         warp_op_name(op), base_name(file), line, mask, mask & ~ws.exists, f->warp, ws.exists);
  }
  if (mask & ws.exited) {
    fail("%s at %s:%d: mask 0x%08x names lanes 0x%08x of warp %u that have exited", warp_op_name(op), base_name(file),
         line, mask, mask & ws.exited, f->warp);
  }
  // Join the open collective of the same kind and mask, if any. Lanes waiting in another open
  // collective that needs this lane, while this one needs them, can never be released: a certain
  // deadlock, reported now.
  WarpGroup* mine = nullptr;
  for (int g = 0; g < ws.groups; g++) {
    WarpGroup& grp = ws.group[g];
    if (grp.op == op && grp.mask == mask) {
      mine = &grp;
    } else if ((grp.mask & me) && (grp.arrived & mask)) {
      unsigned l = static_cast<unsigned>(__builtin_ctz(grp.arrived & mask));
      const WarpWait& p = ws.wait[l];
      fail("warp %u diverged: lane %u reached %s(mask 0x%08x) at %s:%d while lane %u waits for it in %s(mask 0x%08x) "
           "at %s:%d",
           f->warp, f->lane, warp_op_name(op), mask, base_name(file), line, l, warp_op_name(p.op), p.mask,
           base_name(p.file), p.line);
    }
  }
  if (mine == nullptr) {
    mine = &ws.group[ws.groups++];
    *mine = WarpGroup{op, mask, 0};
  }
  mine->arrived |= me;
  const unsigned matching = mine->arrived;
  ws.wait[f->lane] = WarpWait{op, mask, value, arg, width, file, line};
  if (matching != mask) {
    ws.pending |= me;
    f->state = FiberState::InWarpOp;
    wait_here(w, f);
    return f->warp_result;
  }
  // The last lane of the mask has arrived: close the collective, give every lane its result and
  // release the others.
  ws.pending &= ~mask;
  *mine = ws.group[--ws.groups];
  const bool shuffle = is_shuffle(op);
  const uint64_t uniform = shuffle ? 0 : uniform_result(ws, op, mask);
  for (unsigned rest = mask & ~me; rest != 0;) {
    unsigned l = w.reverse ? 31 - static_cast<unsigned>(__builtin_clz(rest)) : static_cast<unsigned>(__builtin_ctz(rest));
    rest &= ~lane_bit(l);
    Fiber* x = w.fibers[f->warp * 32 + l].get();
    x->warp_result = shuffle ? shuffle_result(ws, mask, l) : uniform;
    x->state = FiberState::Runnable;
    w.push(x);
  }
  return shuffle ? shuffle_result(ws, mask, f->lane) : uniform;
}

unsigned warp_active_mask() {
  Worker& w = *t_worker;
  const WarpState& ws = w.warps[t_fiber->warp];
  return ws.exists & ~ws.exited;
}

char* dynamic_shared_base() { return t_worker->smem; }

size_t dynamic_shared_bytes() { return t_worker->smem_bytes; }

void dynamic_shared_fault(const void* addr, size_t size, size_t align) {
  Worker& w = *t_worker;
  ptrdiff_t offset = static_cast<const char*>(addr) - w.smem;
  bool inside = offset >= 0 && static_cast<size_t>(offset) + size <= w.smem_bytes;
  if (inside) {
    fail("misaligned dynamic shared memory access: %zu bytes at byte offset %td need %zu-byte alignment", size,
         offset, align);
  }
  fail("dynamic shared memory index out of bounds: %zu-byte access at byte offset %td, but the launch has %zu "
       "bytes of dynamic shared memory",
       size, offset, w.smem_bytes);
}

}  // namespace fbsim

namespace {

std::string launch_config_error(const fbsim::KernelEntry& k, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                unsigned by, unsigned bz, unsigned shared_bytes) {
  std::string grid = "(" + std::to_string(gx) + "," + std::to_string(gy) + "," + std::to_string(gz) + ")";
  std::string block = "(" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz) + ")";
  std::string op = std::string(k.name) + ": invalid launch: ";
  if (gx < 1 || gy < 1 || gz < 1 || gx > 0x7fffffffu || gy > 65535 || gz > 65535) {
    return op + "grid expected extents in [1, 2^31-1] x [1, 65535] x [1, 65535] but was " + grid;
  }
  if (bx < 1 || by < 1 || bz < 1 || bx > 1024 || by > 1024 || bz > 64) {
    return op + "block expected extents in [1, 1024] x [1, 1024] x [1, 64] but was " + block;
  }
  if (static_cast<uint64_t>(bx) * by * bz > 1024) {
    return op + "block expected at most 1024 threads but was " + block + " = " +
           std::to_string(static_cast<uint64_t>(bx) * by * bz);
  }
  if (shared_bytes > 227u * 1024u) {
    return op + "sharedBytes expected at most 232448 (227 KiB, sm_90) but was " + std::to_string(shared_bytes);
  }
  return "";
}

}  // namespace

FBSIM_EXPORT int fbsim_launch(const char* kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                              unsigned bz, unsigned shared_bytes, void** args, char* err, size_t err_len) {
  using namespace fbsim;
  if (kernel == nullptr) {
    write_error(err, err_len, "fbsim_launch: kernel expected a name but was null");
    return 3;
  }
  const KernelEntry* k = find_kernel(kernel);
  if (k == nullptr) {
    write_error(err, err_len, std::string("fbsim_launch: kernel expected one of the ") +
                                  std::to_string(kernel_count()) + " registered kernels but was '" + kernel + "'");
    return 3;
  }
  std::string config = launch_config_error(*k, gx, gy, gz, bx, by, bz, shared_bytes);
  if (!config.empty()) {
    write_error(err, err_len, config);
    return 1;
  }
  if (args == nullptr && k->signature[0] != '\0') {
    write_error(err, err_len, std::string(k->name) + ": args expected " + std::to_string(strlen(k->signature)) +
                                  " argument pointers but was null");
    return 1;
  }

  std::lock_guard<std::mutex> guard(launch_mutex());
  const uint64_t blocks = static_cast<uint64_t>(gx) * gy * gz;
  const unsigned nthreads = bx * by * bz;
  Pool& p = pool();
  int workers = static_cast<int>(blocks < static_cast<uint64_t>(p.size()) ? blocks : p.size());
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  uint64_t error_block = UINT64_MAX;
  std::string error;

  p.run(workers, [&](int) {
    Worker& w = this_worker();
    t_grid_dim = dim3(gx, gy, gz);
    t_block_dim = dim3(bx, by, bz);
    std::string local_error;
    uint64_t local_block = 0;
    try {
      if (!w.prepare(nthreads, shared_bytes)) {
        local_error = w.error;
      } else {
        w.kernel = k;
        w.args = args;
        w.nthreads = nthreads;
        size_t nwarps = (nthreads + 31) / 32;
        if (w.warps.size() < nwarps) w.warps.resize(nwarps);
        for (size_t i = 0; i < nwarps; i++) {
          unsigned lanes = nthreads - static_cast<unsigned>(i) * 32;
          w.warps[i].exists = lanes >= 32 ? 0xffffffffu : (1u << lanes) - 1;
        }
        for (unsigned t = 0; t < nthreads; t++) {
          Fiber* f = w.fibers[t].get();
          f->linear = t;
          f->lane = t % 32;
          f->warp = t / 32;
          f->thread_idx = uint3{t % bx, (t / bx) % by, t / (bx * by)};
        }
        while (!stop.load(std::memory_order_relaxed)) {
          uint64_t b = next.fetch_add(1);
          if (b >= blocks) break;
          if (!w.run_block(b)) {
            local_error = w.error;
            local_block = b;
            break;
          }
        }
      }
    } catch (const std::exception& e) {
      local_error = std::string("simulator failure: ") + e.what();
    }
    if (!local_error.empty()) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (local_block < error_block) {
        error_block = local_block;
        error = local_error;
      }
      stop = true;
    }
  });
  if (!error.empty()) {
    write_error(err, err_len, std::string(k->name) + ": " + error);
    return 2;
  }
  return 0;
}

FBSIM_EXPORT int fbsim_kernel_count(void) { return static_cast<int>(fbsim::kernel_count()); }

FBSIM_EXPORT const char* fbsim_kernel_name(int i) {
  if (i < 0 || static_cast<size_t>(i) >= fbsim::kernel_count()) return nullptr;
  return fbsim::kernel_at(static_cast<size_t>(i)).name;
}

FBSIM_EXPORT const char* fbsim_kernel_signature(const char* kernel) {
  const fbsim::KernelEntry* k = kernel == nullptr ? nullptr : fbsim::find_kernel(kernel);
  return k == nullptr ? nullptr : k->signature;
}
