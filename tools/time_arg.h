// Times on the command line (`--from`, `--to`) and times shown to a person.
//
// A time is given as one of:
//   2026-11-25T14:02:00Z      ISO 8601: date, time, optional fraction and zone
//   2026-11-25 14:02:00.250   (a space may replace the T; no zone means UTC,
//   2026-11-25T15:02+01:00     which is what tape prints)
//   14:02  14:02:30.5         a time of day (UTC) on the day the recording
//                             started, or the next day if the recording
//                             started later in the day
//   +90s  +1h30m  +250ms  +90 an offset from the start of the recording
//   -5m                       an offset back from the end of the recording
// Offsets take the units ns, us, ms, s, m and h; a bare number is seconds.

#ifndef TAPE_TOOLS_TIME_ARG_H_
#define TAPE_TOOLS_TIME_ARG_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace tape::cli {

struct TimeArg {
  enum class Kind { kAbsolute, kTimeOfDay, kFromStart, kFromEnd };
  Kind kind = Kind::kAbsolute;
  int64_t ns = 0;  // since the epoch, since midnight, or an offset
  std::string text;  // as given, for messages
};

// Parses `text`; on failure returns false and sets `error` to what was
// expected.
bool ParseTimeArg(std::string_view text, TimeArg* out, std::string* error);

// The instant `arg` names, for a recording whose events run from `start_ns`
// to `end_ns` (ns since the epoch).
int64_t ResolveTime(const TimeArg& arg, int64_t start_ns, int64_t end_ns);

// "2026-11-25 14:02:03.123456 UTC".
std::string FormatInstant(int64_t unix_ns);
// "14:02:03.123456", UTC.
std::string FormatTimeOfDay(int64_t unix_ns);
// "2026-11-25T14:02:03.123456789Z".
std::string FormatIso(int64_t unix_ns);
// A duration at a precision that fits it: "850 ns", "12.3 us", "1.25 ms", "2.503 s".
std::string FormatDuration(uint64_t ns);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_TIME_ARG_H_
