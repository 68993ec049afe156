// Fiber context switching. The x86-64 path saves only what the SysV ABI makes callee-saved
// (rbx, rbp, r12-r15, the MXCSR and x87 control words) and swaps stack pointers.
#include "fbsim_context.h"

#include <stdint.h>

#if defined(__x86_64__) && !defined(FBSIM_USE_UCONTEXT)

extern "C" void fbsim_switch_stack(void** save_sp, void* new_sp);
extern "C" void fbsim_fiber_trampoline();

asm(R"(
    .text
    .globl fbsim_switch_stack
    .hidden fbsim_switch_stack
    .type fbsim_switch_stack, @function
    .p2align 4
fbsim_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size fbsim_switch_stack, .-fbsim_switch_stack

    .globl fbsim_fiber_trampoline
    .hidden fbsim_fiber_trampoline
    .type fbsim_fiber_trampoline, @function
    .p2align 4
fbsim_fiber_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size fbsim_fiber_trampoline, .-fbsim_fiber_trampoline
)");

namespace fbsim {

void context_init(Context* ctx, void* stack, size_t size, void (*entry)(void*), void* arg) {
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~static_cast<uintptr_t>(15);
  uint64_t* sp = reinterpret_cast<uint64_t*>(top);
  // The frame fbsim_switch_stack pops: control words, r15, r14, r13 (entry), r12 (arg), rbx, rbp,
  // then the return address (the trampoline), placed so that the trampoline starts with
  // rsp % 16 == 0 and its call gives `entry` the ABI's alignment.
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  sp[-1] = 0;
  sp[-2] = 0;
  sp[-3] = reinterpret_cast<uint64_t>(&fbsim_fiber_trampoline);
  sp[-4] = 0;                                     // rbp
  sp[-5] = 0;                                     // rbx
  sp[-6] = reinterpret_cast<uint64_t>(arg);       // r12
  sp[-7] = reinterpret_cast<uint64_t>(entry);     // r13
  sp[-8] = 0;                                     // r14
  sp[-9] = 0;                                     // r15
  sp[-10] = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpucw) << 32);
  ctx->sp = &sp[-10];
}

void context_switch(Context* from, Context* to) { fbsim_switch_stack(&from->sp, to->sp); }

}  // namespace fbsim

#else  // portable fallback: swapcontext makes a sigprocmask syscall per switch, correct but slower

namespace fbsim {

namespace {
// makecontext passes int arguments only: the Context's address travels as two halves.
void ucontext_entry(unsigned int hi, unsigned int lo) {
  Context* ctx = reinterpret_cast<Context*>((static_cast<uintptr_t>(hi) << 32) | lo);
  ctx->entry(ctx->arg);
}
}  // namespace

void context_init(Context* ctx, void* stack, size_t size, void (*entry)(void*), void* arg) {
  getcontext(&ctx->uc);
  ctx->uc.uc_stack.ss_sp = stack;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = nullptr;
  ctx->entry = entry;
  ctx->arg = arg;
  uintptr_t self = reinterpret_cast<uintptr_t>(ctx);
  makecontext(&ctx->uc, reinterpret_cast<void (*)()>(&ucontext_entry), 2,
              static_cast<unsigned int>(self >> 32), static_cast<unsigned int>(self & 0xffffffffu));
}

void context_switch(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }

}  // namespace fbsim

#endif
