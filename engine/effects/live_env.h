// What an effect's live implementation gets from the runtime performing it.

#ifndef TAPE_ENGINE_EFFECTS_LIVE_ENV_H_
#define TAPE_ENGINE_EFFECTS_LIVE_ENV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "format/bytes.h"
#include "format/trace_writer.h"

namespace tape {

struct LiveEnv {
  int stdout_fd = 1;
  int stderr_fd = 2;
  const std::vector<std::string>* args = nullptr;  // what args.get() returns
  // The trace being written (nullptr when none): writing effects refuse it
  // with EBUSY rather than destroy the recording.
  const format::TraceWriter* trace = nullptr;
  // Room for a small result, so the hot effects (clock.now) copy nothing.
  char small[16];

  // Record-time redaction (RecordOptions::redact_env, specs/trace-format.md
  // §13.6): env.get of a variable whose name matches one of these globs
  // gives the program its value but asks the recorder to store a marker in
  // its place. nullptr: nothing is redacted.
  const std::vector<std::string>* redact_env = nullptr;
  // Set by a live effect whose args or result the trace must store redacted
  // (EVENT_MARKS bits, §7.3): the recorder replaces each byte field of the
  // marked parts by its marker, looks for the values in later events, and
  // clears this. The program gets the payloads as they are.
  uint8_t redact_marks = 0;

  // Set when nothing the program runs can change the process's environment
  // (a script: the language has no call that sets a variable, and neither
  // the interpreter nor tape calls setenv or putenv), so that env.get may
  // read each variable from the environment once and answer the later calls
  // for it from `env_read`. A C++ program may call setenv between two
  // env.get calls: for it this stays false and every call reads the
  // environment.
  bool fixed_environment = false;
  struct EnvRead {
    std::string name;
    std::string result;  // env.get's encoded result: set byte, then the value
    uint8_t marks = 0;   // the redact_marks the call set
  };
  static constexpr size_t kMaxEnvRead = 16;
  std::vector<EnvRead> env_read;  // at most kMaxEnvRead; then replaced in turn
  size_t env_read_next = 0;       // the entry replaced next
};

}  // namespace tape

namespace tape::engine {

// Writes all of `bytes` to `fd`, retrying on EINTR; 0 or the errno.
int WriteAll(int fd, format::Bytes bytes);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_LIVE_ENV_H_
