// The live implementations of the built-in effects: what `tape record` does
// for each one (the effect table, effect_table.cc, points here). Each takes
// the effect's encoded args and appends its encoded result
// (specs/trace-format.md §13).

#ifndef TAPE_ENGINE_LIVE_EFFECTS_H_
#define TAPE_ENGINE_LIVE_EFFECTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "format/bytes.h"
#include "format/trace_writer.h"
#include "tape/runtime.h"

namespace tape {

// What live effects need from the runtime that performs them.
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
};

}  // namespace tape

namespace tape::engine {

using format::Bytes;

std::string_view LiveClockNow(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveRandomBits(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveIoWrite(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveFsRead(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveFsWrite(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveEnvGet(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveArgsGet(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveTimeSleep(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveIoError(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveFsExists(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveFsList(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveFsAppend(LiveEnv& env, Bytes args, std::string* result);
// live_http.cc
std::string_view LiveHttpRequest(LiveEnv& env, Bytes args, std::string* result);
// The scheme of `url` as libcurl parses it ("http"); returns "" or, for a
// URL libcurl cannot parse, libcurl's reason.
std::string ParseUrlScheme(const std::string& url, std::string* scheme);
// live_proc.cc
std::string_view LiveProcRun(LiveEnv& env, Bytes args, std::string* result);

// Replay shows the recorded output again.
void ReenactIoWrite(LiveEnv& env, Bytes args);
void ReenactIoError(LiveEnv& env, Bytes args);

// Writes all of `bytes` to `fd`, retrying on EINTR; 0 or the errno.
int WriteAll(int fd, Bytes bytes);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_LIVE_EFFECTS_H_
