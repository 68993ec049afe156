// The simulator's kernel table, generated from the ABI header's FB_KERNEL_LIST (and the self-test
// kernels'): each entry unpacks cuLaunchKernel-style `void** args` into the kernel's typed
// parameters, deduced from its function pointer, and carries the signature KernelArgs must match.
#include <string.h>

#include <type_traits>
#include <utility>

#include "fbsim_internal.h"
#include "fusedbert/kernels.h"
#include "selftest/selftest_kernels.h"

namespace fbsim {
namespace {

template <class T>
struct always_false : std::false_type {};

// The KernelArgs letter of one parameter type; anything KernelArgs cannot pack fails the build.
template <class T>
constexpr char signature_letter() {
  using U = typename std::remove_cv<T>::type;
  if constexpr (std::is_pointer<U>::value) {
    return 'p';
  } else if constexpr (std::is_same<U, int>::value || std::is_same<U, unsigned int>::value) {
    return 'i';
  } else if constexpr (std::is_same<U, float>::value) {
    return 'f';
  } else if constexpr (std::is_integral<U>::value && sizeof(U) == 8) {
    return 'l';
  } else {
    static_assert(always_false<T>::value,
                  "kernel parameters must be pointers, int/unsigned, float or 64-bit integers (what KernelArgs packs)");
    return '?';
  }
}

template <class... P>
const char* signature_of(void (*)(P...)) {
  static const char letters[] = {signature_letter<P>()..., '\0'};
  return letters;
}

template <class... P>
constexpr size_t arity(void (*)(P...)) {
  return sizeof...(P);
}

template <class... P, size_t... I>
void call_unpacked(void (*fn)(P...), void** args, std::index_sequence<I...>) {
  fn(*static_cast<typename std::remove_cv<P>::type*>(args[I])...);
}

template <auto Fn>
void invoke(void** args) {
  call_unpacked(Fn, args, std::make_index_sequence<arity(Fn)>{});
}

#define FBSIM_ENTRY(name) KernelEntry{#name, &invoke<&name>, signature_of(&name)},
const KernelEntry kEntries[] = {FB_KERNEL_LIST(FBSIM_ENTRY) FBSIM_SELFTEST_KERNEL_LIST(FBSIM_ENTRY)};
#undef FBSIM_ENTRY

}  // namespace

size_t kernel_count() { return sizeof kEntries / sizeof kEntries[0]; }

const KernelEntry& kernel_at(size_t i) { return kEntries[i]; }

const KernelEntry* find_kernel(const char* name) {
  for (const KernelEntry& e : kEntries) {
    if (strcmp(e.name, name) == 0) return &e;
  }
  return nullptr;
}

}  // namespace fbsim
