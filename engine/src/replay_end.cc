#include "engine/internal/replay_end.h"

#include <fmt/core.h>

#include <string>

namespace tape::engine {

std::optional<DriftInfo> CheckReplayEnd(const format::TraceReader& reader, uint64_t served,
                                        const format::Outcome& outcome) {
  if (served < reader.event_count()) {
    return DriftInfo{
        DriftKind::kTraceNotExhausted, served, fmt::format("{} effect calls", reader.event_count()),
        fmt::format("the program ended after {} ({})", served, outcome.Describe()),
        fmt::format("the program ended at seq {} of {}", served, reader.event_count())};
  }
  const format::Outcome& recorded = reader.outcome();
  if (recorded.kind != format::OutcomeKind::kInterrupted && !(recorded == outcome)) {
    return DriftInfo{DriftKind::kOutcomeMismatch, served, recorded.Describe(), outcome.Describe(),
                     "the program ended differently than when recorded"};
  }
  return std::nullopt;
}

}  // namespace tape::engine
