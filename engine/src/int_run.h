// Opening an integer run (Runtime::IntRun: the hot loop of a replay, one
// site calling clock.now over and over) on the recorded events at a cursor:
// the one way the replayer and the rerunner open one.

#ifndef TAPE_ENGINE_SRC_INT_RUN_H_
#define TAPE_ENGINE_SRC_INT_RUN_H_

#include <cstdint>

#include "engine/effects/registry.h"
#include "format/chunk_cursor.h"
#include "tape/runtime.h"

namespace tape::engine {

// Opens `*run` (a runtime's int_run_; a template parameter, since the type
// is the runtime's own) on the integer run at `cursor` (ChunkCursor::
// IntRunLeft), for calls at `site` of `kind`, holding at most `limit` of
// its events. Returns how many it holds; 0, with nothing opened, when there
// is no run at the cursor or `kind`'s events are re-enacted (each must go
// through Perform). REQUIRES: the cursor's next event is a call at `site`
// of `kind`, and no run is open.
template <typename IntRun>
uint32_t OpenIntRun(format::ChunkCursor& cursor, const Site& site, EffectKind kind,
                    uint64_t limit, IntRun* run) {
  uint32_t left = cursor.IntRunLeft();
  if (limit < left) left = uint32_t(limit);
  if (left == 0) return 0;
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if (spec != nullptr && spec->reenact != nullptr) return 0;
  run->next = cursor.int_values();
  run->end = run->next + left;
  run->site = site.id;
  run->kind = kind;
  return left;
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SRC_INT_RUN_H_
