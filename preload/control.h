// What `tape record -- PROG` and `tape replay` tell the interposition
// library they load into the program, and what the library tells them back.
//
// The CLI writes a Control into a memory file and passes its descriptor
// number in the environment variable kControlVariable; the library reads it
// in its constructor, removes the variable from the program's environment,
// keeps the descriptor among its own, and before the process ends writes a
// Report over it, which the CLI reads once the program has exited. Both are
// Codec-encoded lists of "key=value" strings, so values may hold any byte.

#ifndef TAPE_PRELOAD_CONTROL_H_
#define TAPE_PRELOAD_CONTROL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tape::preload {

inline constexpr const char* kControlVariable = "TAPE_INTERPOSER_CONTROL";
// The descriptor the CLI places the control file at in the program, the
// same in every run so that the environment (and with it the initial stack)
// is the same when recording and replaying.
inline constexpr int kControlFd = 1023;

struct Control {
  enum class Mode : uint8_t { kRecord, kReplay };
  Mode mode = Mode::kRecord;
  std::string trace;       // the trace to write or replay
  std::string label;       // starts messages: "tape record"
  std::string executable;  // the program's absolute path (the trace's program name)
  std::string code_hash;   // raw bytes: the executable's hash (§13.3)
  // The LD_PRELOAD the program sees: what the user had (the CLI adds the
  // library in front of it); nullopt when unset.
  std::optional<std::string> user_preload;
  // Record.
  uint32_t flush_ms = 100;
  bool force = false;
  std::string chaos;
  uint64_t chaos_seed = 0;
  // Redaction (RecordOptions): globs of the variables whose values the
  // trace stores as markers, and patterns (RE2) whose matches it does.
  std::vector<std::string> redact_env;
  std::vector<std::string> redact_match;
  // Replay: the descriptors open when the recording started (libc.start).
  std::vector<int> fds;
};

struct Report {
  enum class Status : uint8_t { kNone, kOk, kDrift, kRefused, kTraceError };
  Status status = Status::kNone;
  uint64_t events = 0;
  // The program's code that made the call replay drifted at: the module's
  // path and the offset in it, for the CLI to resolve to a file and line.
  std::string caller_module;
  uint64_t caller_offset = 0;
  // kDrift: the drift, field by field (DriftInfo's; the kind as its number),
  // for the CLI to report as its own (`tape rerun --json`).
  int drift_kind = 0;
  uint64_t drift_seq = 0;
  std::string drift_expected, drift_got, drift_hint;
  // kRefused, kTraceError: what the library said.
  std::string message;
};

std::string EncodeControl(const Control& control);
// False when `bytes` is not a control this build understands.
bool DecodeControl(std::string_view bytes, Control* control);
std::string EncodeReport(const Report& report);
bool DecodeReport(std::string_view bytes, Report* report);

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_CONTROL_H_
