#include "tape/drift.h"

#include <fmt/core.h>

namespace tape {

const char* DriftKindName(DriftKind kind) {
  switch (kind) {
    case DriftKind::kEndOfTrace: return "EndOfTrace";
    case DriftKind::kSiteMismatch: return "SiteMismatch";
    case DriftKind::kKindMismatch: return "KindMismatch";
    case DriftKind::kArgsMismatch: return "ArgsMismatch";
    case DriftKind::kCodeHashMismatch: return "CodeHashMismatch";
    case DriftKind::kUnsupportedSchema: return "UnsupportedSchema";
    case DriftKind::kTraceNotExhausted: return "TraceNotExhausted";
    case DriftKind::kOutcomeMismatch: return "OutcomeMismatch";
    case DriftKind::kProgramMismatch: return "ProgramMismatch";
    case DriftKind::kUnrecordedInput: return "UnrecordedInput";
    case DriftKind::kRanPastRecording: return "RanPastRecording";
    case DriftKind::kThreadsStuck: return "ThreadsStuck";
    case DriftKind::kVersionUnsupported: return "VersionUnsupported";
  }
  return "Drift";
}

std::string DriftInfo::Describe() const {
  std::string out = std::string(DriftKindName(kind));
  bool per_call = kind == DriftKind::kEndOfTrace || kind == DriftKind::kSiteMismatch ||
                  kind == DriftKind::kKindMismatch || kind == DriftKind::kArgsMismatch ||
                  kind == DriftKind::kTraceNotExhausted || kind == DriftKind::kUnrecordedInput ||
                  kind == DriftKind::kVersionUnsupported;
  if (per_call || kind == DriftKind::kThreadsStuck) out += fmt::format(" at seq {}", seq);
  if (lane >= 0) out += fmt::format(" in lane {}", lane);
  if (!hint.empty()) out += ": " + hint;
  out += "\n  recorded: " + expected;
  out += "\n  replay:   " + got;
  if (!recent.empty()) {
    out += "\n  recorded before it:";
    size_t at = 0;
    while (at < recent.size()) {
      size_t nl = recent.find('\n', at);
      if (nl == std::string::npos) nl = recent.size();
      out += "\n    " + recent.substr(at, nl - at);
      at = nl + 1;
    }
  }
  return out;
}

}  // namespace tape
