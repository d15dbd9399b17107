// The action of a mutex.lock event (Runtime::LockMutex): the LiveCall's
// context names the tape::Mutex's std::mutex and says whether the action
// acquired it. A runtime that schedules threads itself (the Rerunner) may
// acquire the mutex in its own way and set `locked`.

#ifndef TAPE_ENGINE_MUTEX_ACTION_H_
#define TAPE_ENGINE_MUTEX_ACTION_H_

#include <mutex>

namespace tape::engine {

struct MutexAction {
  std::mutex* m;
  bool locked = false;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_MUTEX_ACTION_H_
