// Unlocked: releases a std::unique_lock for the length of a scope, for a
// call that may block (a live effect, acquiring the program's mutex) made
// while holding a runtime's own lock.

#ifndef TAPE_ENGINE_UNLOCKED_H_
#define TAPE_ENGINE_UNLOCKED_H_

#include <mutex>

namespace tape::engine {

// Releases `lock` (when it holds its mutex) and takes it again after.
class Unlocked {
 public:
  explicit Unlocked(std::unique_lock<std::mutex>& lock) : lock_(lock), held_(lock.owns_lock()) {
    if (held_) lock_.unlock();
  }
  ~Unlocked() {
    if (held_) lock_.lock();
  }

 private:
  std::unique_lock<std::mutex>& lock_;
  bool held_;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_UNLOCKED_H_
