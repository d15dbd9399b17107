// How much native stack is left. The parser and the compiler recurse once
// per level of nesting, within the nesting limits (limits.h), on a stack
// sized for them (Script::Compile); this guard stops them with an error
// before the end of whatever stack they run on, so that no script can
// overflow it, even when that stack is smaller than intended.

#ifndef TAPE_LANG_STACK_GUARD_H_
#define TAPE_LANG_STACK_GUARD_H_

#include <pthread.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tape::lang {

class StackGuard {
 public:
  // Measures the calling thread's stack. Use the guard on that thread only.
  StackGuard() {
    pthread_attr_t attr;
    void* low = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &low, &size);
      pthread_attr_destroy(&attr);
    }
    // Stacks grow down (x86-64, AArch64): the end is the lowest address.
    // Without a measure, nothing is exhausted (the depth limits still hold).
    if (low != nullptr) {
      limit_ = reinterpret_cast<uintptr_t>(low) + std::min(kReserve, size / 4);
    }
  }

  // True when less than kReserve bytes (a quarter of a small stack) are
  // left below the caller.
  // The frame address, not a local's: a sanitizer may keep locals elsewhere.
  bool Exhausted() const {
    return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < limit_;
  }

 private:
  // Left for the error's own report and the frames of a sanitizer.
  static constexpr size_t kReserve = size_t(1) << 20;
  uintptr_t limit_ = 0;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_STACK_GUARD_H_
