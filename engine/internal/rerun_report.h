// A rerun's report for scripts and CI: the JSON object that `tape rerun
// --json` and `myapp rerun --json` print on stdout (specs/rerun.md §5), which
// `tape test` reads from each rerun it runs, and the exit status.

#ifndef TAPE_ENGINE_INTERNAL_RERUN_REPORT_H_
#define TAPE_ENGINE_INTERNAL_RERUN_REPORT_H_

#include <string>

#include "tape/session.h"

namespace tape::engine {

// The exit codes every rerun front end shares (the tape CLI's and tape::Main's).
inline constexpr int kRerunSame = 0;     // --exit-code: outputs and ending as recorded
inline constexpr int kRerunChanged = 1;  // --exit-code: they changed
inline constexpr int kRerunUsage = 2;
inline constexpr int kRerunStopped = 80;    // an unrecorded input stopped it
inline constexpr int kRerunTraceError = 81;  // the trace could not be read (or --out written)

// The report of `report` (what Rerun returned for the trace `trace`) as one
// line of JSON, ASCII only (text from the trace is escaped).
std::string RerunJson(const RunReport& report, const std::string& trace);
// The same object for a rerun that could not start: `exit_code` and what went
// wrong.
std::string RerunErrorJson(const std::string& trace, int exit_code, const std::string& error);

// The exit status of a rerun: with `exit_code_says_changed`, 0 when its
// outputs and ending are the recorded ones and 1 when they changed;
// otherwise the program's own exit code. 80 when it stopped early, 81 on a
// trace error, 2 for bad options, in both modes.
int RerunExitCode(const RunReport& report, bool exit_code_says_changed);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_RERUN_REPORT_H_
