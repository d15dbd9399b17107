#include "format/trace_info.h"

#include <fmt/core.h>

namespace tape::format {

const char* ProgramKindName(ProgramKind kind) {
  switch (kind) {
    case ProgramKind::kBuiltin: return "builtin";
    case ProgramKind::kScript: return "script";
    case ProgramKind::kEmbedded: return "embedded";
    case ProgramKind::kExecutable: return "executable";
  }
  return "unknown";
}

const char* OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kExited: return "exited";
    case OutcomeKind::kException: return "exception";
    case OutcomeKind::kSignal: return "signal";
    case OutcomeKind::kInterrupted: return "interrupted";
    case OutcomeKind::kError: return "error";
  }
  return "unknown";
}

std::string Outcome::Describe() const {
  switch (kind) {
    case OutcomeKind::kExited: return fmt::format("exited with code {}", code);
    case OutcomeKind::kException: return "threw " + message;
    case OutcomeKind::kSignal:
      return message.empty() ? fmt::format("was killed by signal {}", code)
                             : fmt::format("was killed by signal {} ({})", code, message);
    case OutcomeKind::kInterrupted:
      return message.empty() ? "was interrupted (the recording did not finish)"
                             : "was interrupted (" + message + ")";
    case OutcomeKind::kError: return "was stopped by an error: " + message;
  }
  return "unknown outcome";
}

std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace tape::format
