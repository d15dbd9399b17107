#include "tape/drift.h"

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
  }
  return "Drift";
}

std::string DriftInfo::Describe() const {
  std::string out = std::string(DriftKindName(kind));
  bool per_call = kind == DriftKind::kEndOfTrace || kind == DriftKind::kSiteMismatch ||
                  kind == DriftKind::kKindMismatch || kind == DriftKind::kArgsMismatch ||
                  kind == DriftKind::kTraceNotExhausted || kind == DriftKind::kUnrecordedInput;
  if (per_call) out += " at seq " + std::to_string(seq);
  if (!hint.empty()) out += ": " + hint;
  out += "\n  recorded: " + expected;
  out += "\n  replay:   " + got;
  return out;
}

}  // namespace tape
