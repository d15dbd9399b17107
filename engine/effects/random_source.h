// The source random.bits draws from: the kernel's (getrandom). Shared by the
// effect's module and the recorder's fast path (Recorder::OwnRandomBits).

#ifndef TAPE_ENGINE_EFFECTS_RANDOM_SOURCE_H_
#define TAPE_ENGINE_EFFECTS_RANDOM_SOURCE_H_

#include <cstddef>

namespace tape::engine {

// Fills `n` bytes at `out`. Never fails: getrandom cannot once the kernel's
// pool is ready, and an interrupted call is retried.
void DrawRandom(char* out, size_t n);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_RANDOM_SOURCE_H_
