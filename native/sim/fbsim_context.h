// Minimal cooperative execution contexts for the simulator's fibers: a stack-pointer swap in
// x86-64 assembly (no syscall, ~ a function call), with a ucontext fallback elsewhere (or with
// -DFBSIM_USE_UCONTEXT, e.g. for tools that understand ucontext but not hand-made stacks).
#pragma once

#include <stddef.h>

#if !defined(__x86_64__) || defined(FBSIM_USE_UCONTEXT)
#include <ucontext.h>
#endif

namespace fbsim {

struct Context {
#if defined(__x86_64__) && !defined(FBSIM_USE_UCONTEXT)
  void* sp = nullptr;
#else
  ucontext_t uc;
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
#endif
};

// Prepares `ctx` so that the first switch to it calls entry(arg) on [stack, stack + size).
// `entry` must never return (it switches away instead).
void context_init(Context* ctx, void* stack, size_t size, void (*entry)(void*), void* arg);

// Saves the running context into `from` and resumes `to`.
void context_switch(Context* from, Context* to);

}  // namespace fbsim
