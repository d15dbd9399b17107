// Kept traces as a regression suite: `tape test` and `myapp test`
// (specs/rerun.md §9).
//
// Each trace is rerun in a child process that re-executes this very program
// (/proc/self/exe) as `... rerun --trace T --json --quiet --exit-code`, so
// a program that crashes, hangs (the per-trace timeout) or exhausts memory
// is an error of that trace and the suite goes on. The child's JSON report
// (specs/rerun.md §5) on its stdout says what changed; its exit code says
// whether the trace passed (0), failed (1: outputs or ending changed; 80:
// an unrecorded input stopped it) or could not be tested (anything else).
//
// With `update`, the child also writes what it saw (`--out`) to a temporary
// file beside the trace (`.NAME.tape-test-XXXXXX`, made by mkstemp: nobody
// else can plant a link there); a trace that failed with a complete rerun
// is replaced by it with rename(2), so the old trace stays whole until the
// new one is. Temporary files are removed otherwise.
//
// SIGINT, SIGTERM, SIGHUP (and SIGPIPE) interrupt the suite: the reruns
// under way, in process groups of their own, are sent SIGTERM (a second
// signal: SIGKILL), their temporary files removed once they have ended, no
// more are started, and the suite reports what it checked so far.

#ifndef TAPE_ENGINE_INTERNAL_TRACE_SUITE_H_
#define TAPE_ENGINE_INTERNAL_TRACE_SUITE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "format/status.h"
#include "format/trace_info.h"

namespace tape::engine {

struct SuiteOptions {
  // The start of the command line that reruns the trace at `trace`, whose
  // header is `header` (argv[0] first, e.g. {"tape", "rerun", "flaky.tape"});
  // the suite appends --trace, --json, --quiet, --exit-code and --out. An
  // error when the trace cannot be tested by this program (its program is
  // not found, is another program's): an error of that trace.
  std::function<Result<std::vector<std::string>>(const std::string& trace,
                                                 const format::TraceHeader& header)>
      command;
  std::string executable = "/proc/self/exe";
  uint32_t jobs = 0;         // reruns at a time; 0: the CPUs this process may use
  uint32_t timeout_s = 600;  // per trace; 0: none
  bool update = false;       // replace the traces that failed by their reruns
  bool json = false;         // JSON lines on stdout instead of text
  std::string junit;         // write a JUnit XML report there
  std::string label = "tape test";  // starts error messages
};

// The traces named by `paths`: files as given, directories walked (their
// files and subdirectories, in name order; names starting with '.' are
// skipped). A path that does not exist is kept: it is an error of its own.
std::vector<std::string> CollectTraces(const std::vector<std::string>& paths);

// Reruns every trace of `traces` and prints the results to stdout: a line
// per trace, details of each failure and a final "N passed, N failed" line
// (or JSON lines). Returns the exit status: 0 when every trace passed (or
// was updated), 1 otherwise, 2 when `traces` is empty or the JUnit report
// cannot be written, 128 + N when signal N interrupted it.
int RunSuite(const std::vector<std::string>& traces, const SuiteOptions& options);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_TRACE_SUITE_H_
