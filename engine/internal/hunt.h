// Hunting a rare failure: record a program again and again, several runs at
// a time, until a run fails, and keep that run's trace.
//
// Each run is a child process that re-executes this very program
// (/proc/self/exe) with a command line that records one run (`tape record
// flaky --out ...`, `myapp record --out ...`), so a run that crashes, hangs
// or exhausts memory cannot take the hunt down. A run has its own process
// group, standard input from /dev/null, and its stdout and stderr captured
// (the first kMaxRunOutput bytes) for --until output~REGEX and the summary.
// SIGTERM, SIGPIPE and SIGXFSZ take their default actions in it even when
// the process hunting ignores them (as a run started from a shell would).
// It dies with the hunt (PR_SET_PDEATHSIG), is stopped with SIGTERM after
// the per-run timeout (its trace is then finished as interrupted: a hang is
// kept like any failure) and with SIGKILL kStopGraceMs later.
//
// Runs record in a directory of the hunt's own inside the keep directory
// (KEEP/.tape-hunt-PID-XXXXXX, made by mkdtemp, locked while the hunt runs,
// removed at its end), into files the hunt creates there: nobody else can
// plant a link where a run writes. The keep directory is created when
// missing, and removed again when nothing was kept in it. A passing run's
// trace is deleted, a failing run's is renamed to KEEP/NAME-runN.bin (never
// over an existing file or link). A hunt first removes the directories that
// killed hunts left in KEEP: those of processes that no longer exist, owned
// by this user and locked by nobody. A run that tape could not record (its
// recording exited 81, tape's code for a trace error, or its trace is
// missing, unreadable or interrupted before the timeout) is an error of the
// hunt (kError), not counted as a run. A hunt keeps the first failure, or up to
// keep_failures failures that took different paths (hashes of their site
// sequences). SIGINT, SIGTERM and SIGHUP stop it cleanly: runs in progress
// are stopped (SIGTERM; SIGKILL after kStopGraceMs, or at a second signal)
// and their traces deleted; kept traces stay.
//
// The hunt installs handlers for those signals and SIGCHLD while it runs
// (only one hunt per process at a time) and restores the old ones after.
// It draws nothing on the terminal: the command that hunts shows progress
// (HuntOptions::on_progress, HuntProgressText) and the summary
// (DescribeHunt).
//
// In src/: hunt_condition.cc (--until), hunt_process.cc (a run as a child
// process), hunt_files.cc (the keep and work directories), hunt_supervisor.cc
// (the runs in flight), hunt_summary.cc (statistics and the summary).

#ifndef TAPE_ENGINE_INTERNAL_HUNT_H_
#define TAPE_ENGINE_INTERNAL_HUNT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/status.h"

namespace re2 {
class RE2;
}

namespace tape::engine {

inline constexpr size_t kMaxRunOutput = 1u << 20;  // per run, for matching and showing
inline constexpr uint64_t kStopGraceMs = 5000;     // SIGTERM, then this, then SIGKILL

// What makes a run a failure (--until).
struct HuntCondition {
  enum class Kind { kExitNot, kExitIs, kOutputMatches };
  Kind kind = Kind::kExitNot;
  int code = 0;                  // kExitNot, kExitIs: the exit code (128+N for signal N)
  std::string pattern;           // kOutputMatches: a regular expression (RE2 syntax)
  std::string text = "exit!=0";  // as written
  // kOutputMatches: `pattern` compiled by ParseHuntCondition (shared by the
  // copies of the condition; RE2 is safe to use from several threads).
  std::shared_ptr<const re2::RE2> regex;

  // Whether a run that exited with `exit_code` (128+N for signal N) and
  // wrote `output` (stdout and stderr; it may hold NUL bytes) meets the
  // condition. kOutputMatches without `regex` (a condition not made by
  // ParseHuntCondition) is never met: Hunt() compiles it first.
  bool Met(int exit_code, std::string_view output) const;
};

// Parses "exit!=K", "exit==K" (K from 0 to 255) or "output~REGEX". REGEX is
// RE2's syntax in its POSIX mode, matched like grep -E against each line of
// a run's output: ^ and $ match at the start and end of every line, and
// nothing in a match crosses a newline ('.' and [^...] included). Perl's
// \d, \s, \w and \b are accepted too; backreferences are not (RE2 has none).
Result<HuntCondition> ParseHuntCondition(std::string_view text);

// The CPUs this process may run on (its affinity mask), at least 1.
uint32_t UsableCpus();

struct HuntReport;

// The command line of run number `run` (from 1), which records into
// `trace`; `chaos_seed` is the run's seed when chaos mode is on. argv[0]
// first.
using HuntCommand = std::function<std::vector<std::string>(uint64_t run, const std::string& trace,
                                                           uint64_t chaos_seed)>;

// The HuntCommand of runs recorded by `recorder`, the command line that
// records one run up to its flags ({"tape", "record", "dice"}, {"./myapp",
// "record"}): RECORDER --out TRACE [--chaos CHAOS --seed SEED] [-- ARGS],
// chaos mode's flags only when `chaos` is not empty.
HuntCommand RecordingCommand(std::vector<std::string> recorder, std::string chaos,
                             std::vector<std::string> args);

struct HuntOptions {
  HuntCommand command;  // executed as `executable`
  std::string executable = "/proc/self/exe";
  // Kept traces are named KEEP_DIR/NAME-runN.bin (NAME made safe for a file name).
  std::string name;
  std::string keep_dir = ".";
  uint64_t runs = 1000;  // at most this many runs
  uint32_t jobs = 0;     // runs at a time; 0: the CPUs this process may use
  HuntCondition until;
  uint32_t keep_failures = 1;  // stop after this many failures with distinct paths
  uint32_t timeout_s = 600;    // per run; 0: none
  bool chaos = false;          // pass a per-run seed derived from `seed`
  uint64_t seed = 0;
  // Called on the hunt's thread whenever runs end or output arrives (and
  // at least every 250 ms) with the counts so far and the time since the
  // hunt started; for a progress line (HuntProgressText). Empty: none.
  std::function<void(const HuntReport& so_far, uint64_t elapsed_ns)> on_progress;
};

struct HuntFailure {
  uint64_t run = 0;
  std::string trace;    // the kept trace
  std::string outcome;  // from the trace: "exited with code 1", "timed out ..."
  int exit_code = 0;    // the run's exit code (128+N for signal N)
  bool timed_out = false;
  uint64_t chaos_seed = 0;
  uint64_t path = 0;   // XXH3 of the run's site sequence
  std::string output;  // its stdout and stderr, interleaved (at most kMaxRunOutput)
};

struct HuntReport {
  enum class Status {
    kFound,        // at least one failure kept
    kNotFound,     // every run passed
    kInterrupted,  // stopped by a signal (see signal); `kept` holds what was found
    kError,        // the hunt could not go on (see error)
  };
  Status status = Status::kNotFound;
  uint64_t runs = 0;       // runs that ran to their end (stopped ones are not counted)
  uint64_t failures = 0;   // of those, how many met the condition
  uint64_t timeouts = 0;   // runs stopped by the per-run timeout
  uint64_t same_path = 0;  // failures not kept: their path was kept already
  uint64_t stopped = 0;    // runs stopped unfinished when the hunt ended (not counted)
  std::vector<HuntFailure> kept;
  uint32_t jobs = 0;
  uint64_t elapsed_ns = 0;
  int signal = 0;     // kInterrupted
  std::string error;  // kError
};

HuntReport Hunt(const HuntOptions& options);

// The process exit code for a report: 0 found, 1 not found, 128+N
// interrupted by signal N, 81 error (as for a trace that cannot be written).
int HuntExitCode(const HuntReport& report);

// The summary: each kept failure with the end of its output, then runs,
// failures and the failure rate with its 95% Wilson interval, then the kept
// traces and how to replay them (`replay_command` of a trace path, e.g.
// "tape replay F"). Lines without newlines; text from runs is escaped.
std::vector<std::string> DescribeHunt(
    const HuntReport& report, const HuntOptions& options,
    const std::function<std::string(const std::string&)>& replay_command);

// "12 runs, 1 failed, 26 runs/s": a hunt's progress so far, for a line
// that is redrawn.
std::string HuntProgressText(const HuntReport& so_far, uint64_t elapsed_ns);

// The 95% Wilson score interval of a failure rate of `failures` in `runs`.
void WilsonInterval(uint64_t failures, uint64_t runs, double* low, double* high);

// The seed of run `run` of a chaotic hunt with base seed `seed`.
uint64_t RunSeed(uint64_t seed, uint64_t run);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_HUNT_H_
