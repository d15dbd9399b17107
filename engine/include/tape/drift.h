// Drift: the ways a replay can diverge from its recording. Replay stops at
// the first one, with everything a person needs to find it.

#ifndef TAPE_DRIFT_H_
#define TAPE_DRIFT_H_

#include <cstdint>
#include <string>
#include <utility>

namespace tape {

enum class DriftKind {
  kEndOfTrace,        // the program made more effect calls than recorded
  kSiteMismatch,      // the call came from another place in the program
  kKindMismatch,      // same place, another effect
  kArgsMismatch,      // same place and effect, other arguments
  kCodeHashMismatch,  // the program's code changed since the recording
  kUnsupportedSchema, // the trace was written by another format version
  kTraceNotExhausted, // the program ended before its recorded calls ran out
  kOutcomeMismatch,   // the program ended differently (exit code, exception)
  kProgramMismatch,   // the trace records another program
  kUnrecordedInput,   // rerun: an input with no recorded event to serve it
  kRanPastRecording,  // the program computed past where the recording ended
  kThreadsStuck,      // every thread waits, and none can make the recorded next call
  kVersionUnsupported, // the trace took a version of a change the program no longer supports
};

// "EndOfTrace", "SiteMismatch", ...
const char* DriftKindName(DriftKind kind);

struct DriftInfo {
  DriftInfo() = default;
  DriftInfo(DriftKind kind_, uint64_t seq_, std::string expected_, std::string got_,
            std::string hint_ = "")
      : kind(kind_),
        seq(seq_),
        expected(std::move(expected_)),
        got(std::move(got_)),
        hint(std::move(hint_)) {}

  DriftKind kind = DriftKind::kEndOfTrace;
  uint64_t seq = 0;          // the call (or event count) where it happened
  std::string expected;      // what the recording holds, e.g. "random.bits(8) at dice.cc:14:30"
  std::string got;           // what the program did now
  std::string hint;          // what it means and what to do
  int64_t lane = -1;         // the thread (lane) of the call, in a run with threads; else -1
  // The last few recorded events before it, one per line ("seq 41  clock.now()
  // -> ... at f.cc:3:7"): the path that led there. May be empty.
  std::string recent;
  // The multi-line report printed by the CLI.
  std::string Describe() const;
};

// Thrown from an effect call when replay drifts. Deliberately not derived
// from std::exception, so that `catch (const std::exception&)` in a program
// does not swallow it.
class DriftError {
 public:
  explicit DriftError(DriftInfo info) : info_(std::move(info)) {}
  const DriftInfo& info() const { return info_; }

 private:
  DriftInfo info_;
};

}  // namespace tape

#endif  // TAPE_DRIFT_H_
