// What a replay that reached the program's end still checks: that the
// program made every recorded call and ended as it did when recorded. Shared
// by Replay() (session.cc) and the debugger (engine/debug/).

#ifndef TAPE_ENGINE_REPLAY_END_H_
#define TAPE_ENGINE_REPLAY_END_H_

#include <cstdint>
#include <optional>

#include "format/trace_reader.h"
#include "tape/drift.h"

namespace tape::engine {

// The step bound of a script replay when the trace does not record a count
// (specs/trace-format.md §9).
inline constexpr uint64_t kUnknownStepBudget = uint64_t(1) << 28;

// The drift of a program that ended with `outcome` after `served` effect
// calls of `reader`'s recording, if any: kTraceNotExhausted, then
// kOutcomeMismatch (not for an interrupted recording, whose outcome is
// unknown).
std::optional<DriftInfo> CheckReplayEnd(const format::TraceReader& reader, uint64_t served,
                                        const format::Outcome& outcome);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_REPLAY_END_H_
