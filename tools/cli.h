// Shared by the `tape` verbs: exit codes, diagnostics, trace and output files.

#ifndef TAPE_TOOLS_CLI_H_
#define TAPE_TOOLS_CLI_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/internal/progress_line.h"
#include "format/status.h"
#include "format/trace_reader.h"

namespace tape {
struct RunReport;
}  // namespace tape

namespace tape::cli {

// Exit codes. `record`, `replay` and `run` otherwise exit with the program's
// own code; these are chosen to be unlikely program codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitDifferent = 1;  // diff: traces differ; verify: problems found
inline constexpr int kExitUsage = 2;      // bad flags or values
inline constexpr int kExitDrift = 80;     // replay diverged from the recording
inline constexpr int kExitTrace = 81;     // a trace could not be read or written
inline constexpr int kExitScript = 82;    // a script does not compile

// Prints "tape <verb>: <message>" to stderr, control bytes escaped (a
// message may quote a trace: see ShownLines).
void Error(const std::string& verb, const std::string& message);
// Same, and returns `code`.
int Fail(const std::string& verb, int code, const std::string& message);

// Shows what a recorded or replayed program stopped with: a script's runtime
// error as formatted by the interpreter (location, line, caret), or an
// exception as one line. Nothing when `error` is empty.
void PrintProgramError(const std::string& verb, const std::string& error);

// A trace opened by a verb. For a trace of the original tape it also owns the
// tape trace the file was converted to in memory, which the reader reads.
class OpenedTrace {
 public:
  OpenedTrace() = default;
  OpenedTrace(std::unique_ptr<format::TraceReader> reader,
              std::unique_ptr<std::vector<uint8_t>> converted = nullptr, uint64_t disk_size = 0)
      : converted_(std::move(converted)), reader_(std::move(reader)), disk_size_(disk_size) {}
  explicit operator bool() const { return reader_ != nullptr; }
  format::TraceReader* get() const { return reader_.get(); }
  format::TraceReader* operator->() const { return reader_.get(); }
  format::TraceReader& operator*() const { return *reader_; }
  // The size of the file on disk: for a converted trace of the original
  // tape, the original's file, not the conversion the reader reads.
  uint64_t file_size() const { return converted_ ? disk_size_ : reader_->file_size(); }

 private:
  std::unique_ptr<std::vector<uint8_t>> converted_;  // outlives reader_ (declared first)
  std::unique_ptr<format::TraceReader> reader_;
  uint64_t disk_size_ = 0;
};

// Opens a tape trace, or a trace of the original tape converted in memory
// (specs/original-trace.md), printing the error (and returning an empty
// OpenedTrace) when it cannot. Calls GuardTraceReads(verb) first.
OpenedTrace OpenTrace(const std::string& verb, const std::string& path);

// "builtin program 'dice'", or "unknown program" for an imported trace that
// does not name it.
std::string DescribeProgram(const format::TraceHeader& header);

// For the verbs that only read traces (inspect, stats, verify, diff,
// recover): a trace file that shrinks while it is mapped (re-recorded in
// place, truncated) makes the next read of a vanished page raise SIGBUS.
// This installs a SIGBUS handler that, for a fault inside a mapped trace
// (format/trace_mappings.h), prints "tape <verb>: FILE changed while it was
// being read: it shrank from A to N bytes ..." and exits with kExitTrace. A
// SIGBUS anywhere else keeps its default action. `verb` is copied.
void GuardTraceReads(const std::string& verb);

// For the verbs that write a file under a temporary name and rename it into
// place (export, import, recover, redact): SIGINT, SIGTERM, SIGHUP and
// SIGPIPE remove that file (format/partial_outputs.h), as does the SIGBUS of
// GuardTraceReads, before the process ends the way the signal ends it.
// Signals the process inherited as ignored stay ignored. SIGXFSZ is ignored:
// a file-size limit is a write error, which the verb reports (exit 81) after
// removing the file.
void GuardPartialOutputs();

// --- text from a trace -------------------------------------------------------
//
// Program names, recorder strings, site locations, outcome messages and
// payloads come from a file that may be hostile. Every verb prints them
// through these, so that a trace cannot move the cursor, retitle the
// terminal or hide text: C0 and C1 control characters, DEL, bidirectional
// formatting characters and bytes that are not UTF-8 are shown as \xNN,
// \n, \t, \r or \u{NNNN}. Other text, backslashes included, is unchanged.

// One line: every control character is escaped.
std::string Shown(std::string_view text);
// Several lines: as Shown, but newlines and tabs are kept.
std::string ShownLines(std::string_view text);

// What a trace says about how its program ended, to follow "the program":
// the outcome, or for a trace without a footer "is still being recorded, or
// its recording was interrupted". OutcomeText is escaped for a terminal (a
// message of several lines goes on, indented, on the lines after);
// OutcomeDescription is not (for JSON, which the tools print as ASCII:
// ensure_ascii escapes every control and non-ASCII character).
std::string OutcomeDescription(const format::TraceReader& reader);
std::string OutcomeText(const format::TraceReader& reader);
// Text of several lines (an outcome message holding a script's runtime
// error: the location, the source line, a caret) for a report whose lines
// start with labels: the first line as it is, each later line on a line of
// its own after `indent` spaces; every line escaped as Shown.
std::string ShownIndented(std::string_view text, size_t indent);
// "events 10..19", "event 7", ... for the trace's gaps; "" when none.
std::string GapsText(const format::TraceReader& reader);
// "41 events" or "31 of 41 events (10 missing)": what the trace holds.
std::string EventsText(const format::TraceReader& reader);

// True if the file starts with the trace magic.
bool LooksLikeTrace(const std::string& path);

// Checks an --out before any work (specs/trace-format.md §12.1): the device
// rule (format/output_file.h: a directory, block device or socket is
// refused, a character device or FIFO needs `force`); and without `force`,
// an existing file is replaced only when it is a trace of the same program
// as `next` (a header of the trace to be written; nullptr: any trace), so
// that re-recording replaces the last recording while another program's
// trace, or a file that is not a trace, is never lost by mistake. Refusals
// are InvalidArgument (a usage error).
Status CheckOutputPath(const std::string& path, bool force,
                       const format::TraceHeader* next = nullptr);

// True when stderr is a terminal (progress lines and summaries go there).
bool StderrIsTerminal();

// A progress line on stderr, only on a terminal (engine/internal/progress_line.h).
using engine::Progress;

// "2026-11-25 13:27:27 UTC".
std::string FormatTime(uint64_t unix_ns);
// "1 chunk", "3 chunks".
std::string Count(uint64_t n, const char* singular, const char* plural);
// "0.41 ms", "2.503 s".
std::string Duration(uint64_t ns);
// A site id as 16 hex digits.
std::string SiteHex(uint64_t site);

// --- verbs (one file each) ---------------------------------------------------

// Where record and run write, and what replay and rerun read, when no file
// is named: the same for the tape command and for tape::Main.
inline constexpr std::string_view kDefaultTrace = "trace.bin";
// "recorded to trace.bin (the default; --out FILE chooses another)": said
// whenever the default was used, so that a recording is never left
// somewhere unnamed. `what` is "recorded to" or "replaying".
std::string DefaultTraceNote(const std::string& what);

// True when `path` names something (a file, a directory, ...).
bool FileExists(const std::string& path);

struct RecordArgs {
  // A built-in program or script; empty for an executable, which is then
  // args[0] (`tape record -- date -u`).
  std::string program;
  std::string out;  // empty: kDefaultTrace
  bool force = false;
  uint32_t flush_ms = 100;
  std::vector<std::string> args;
  std::string chaos;            // chaos mode's spec (specs/chaos.md); empty: off
  std::optional<uint64_t> seed; // its seed; default: a random one
  std::vector<std::string> redact_env;     // globs of variables recorded redacted
  std::vector<std::string> redact_header;  // globs of HTTP headers recorded redacted
  std::vector<std::string> redact_match;   // RE2 patterns whose matches are recorded redacted
};
struct HuntArgs {
  // A built-in program or a .tape script; empty for an executable, which is
  // then args[0] (`tape hunt -- ./flaky`).
  std::string program;
  uint64_t runs = 1000;
  uint32_t jobs = 0;    // 0: one per CPU
  std::string until = "exit!=0";
  std::string keep = ".";
  uint32_t keep_failures = 1;
  uint32_t timeout_s = 600;
  std::string chaos;
  std::optional<uint64_t> seed;
  std::vector<std::string> args;
};
struct TestArgs {
  std::vector<std::string> paths;  // traces and directories of traces
  std::string program;  // empty: each trace's own (its built-in, or its script found by name)
  bool update = false;
  bool json = false;
  bool live = false;
  std::string junit;
  uint32_t jobs = 0;  // 0: one per CPU
  uint32_t timeout_s = 600;
};
struct ReplayArgs {
  std::string program;  // empty: the program named in the trace
  std::string trace;
  bool ignore_code_hash = false;
  bool debug = false;               // a script's drift opens the debugger there
  std::optional<uint64_t> stop_at;  // SIGTRAP just before this event is served
};
struct DebugArgs {
  std::string program;  // the script; empty: the one the trace holds
  std::string trace;
  std::string batch;    // run the commands of this file and exit
  bool json = false;    // each command's result as one JSON object per line
  bool ignore_code_hash = false;
  uint64_t snapshot_memory_mb = 64;
  uint32_t snapshot_interval_ms = 100;
};
struct RerunArgs {
  std::string program;  // empty: the program named in the trace
  std::string trace;
  bool live = false;
  bool json = false;       // the report as JSON on stdout (the program's output goes to stderr)
  bool quiet = false;      // the program's output goes nowhere
  bool exit_code = false;  // exit 0 when outputs and ending are as recorded, 1 when they changed
  std::string out;         // write what the rerun saw as a trace here
  bool force = false;      // --out over a file that is not a trace
};
// How `inspect` and `export` choose events (tools/event_select.h).
struct SelectArgs {
  std::vector<std::string> filter;  // effect names: built-in or user-defined
  std::string site;                 // hex
  std::optional<uint32_t> lane;     // only events of this thread's lane
  std::optional<uint64_t> since;    // first seq
  std::string from, to;             // times (tools/time_arg.h); "" for none
  std::optional<std::string> grep;     // text in the args or result
  std::optional<std::string> grep_re;  // a regular expression (RE2) on them
};
struct InspectArgs {
  std::string file;
  SelectArgs select;
  std::optional<uint64_t> limit;
  std::optional<uint64_t> last;     // the last N selected events
  std::optional<uint64_t> around;   // a seq, shown with --context events each side
  std::optional<uint64_t> context;  // default kDefaultContext
  bool json = false;
};
inline constexpr uint64_t kDefaultContext = 5;
struct ExportArgs {
  std::string file;
  std::string format = "chrome";  // tools/export_sink.h
  std::string out;                // "-": standard output
  bool force = false;
  SelectArgs select;
  std::optional<uint64_t> limit;
  uint64_t max_payload = 4096;  // bytes of each payload carried before it is cut
};
struct StatsArgs {
  std::string file;
  bool json = false;
  uint32_t top = 10;
};
struct DiffArgs {
  std::string a, b;
  std::vector<std::string> ignore;  // effect names whose results are not compared
  bool path_only = false;           // compare lanes, sites and kinds only
  bool all = false;                 // every divergent region, not just the first
  std::optional<uint64_t> limit;    // with `all`: at most this many regions
  bool json = false;
};
// How many regions `diff --all` shows without --limit.
inline constexpr uint64_t kDefaultDiffLimit = 20;
struct BenchArgs {
  uint64_t events = 1000000;
  std::string effect = "clock";
  bool json = false;
  std::string out;  // keep the trace here; default: a temporary file
  bool record_only = false;  // skip the replay (to measure recording alone)
  bool no_read_ahead = false;  // replay decodes each chunk on the program's thread
};
struct VerifyArgs {
  std::string file;
  bool json = false;
};
struct RecoverArgs {
  std::string file;
  std::string out;
  bool force = false;
};
struct RedactArgs {
  std::string file;
  std::string out;
  std::vector<std::string> kinds;    // effect names
  std::vector<std::string> names;    // globs
  std::vector<std::string> sites;    // hex ids or locations
  std::vector<std::string> matches;  // RE2 patterns
  bool force = false;
};
struct ImportArgs {
  std::string file;     // a trace of the original tape
  std::string out;
  std::string program;  // the program's name when the trace's sites do not tell it
  bool force = false;
  bool recover = false;  // keep the events before damage instead of refusing
};

// Checks the --chaos and --seed flags of record, run and hunt: the spec
// parses (specs/chaos.md), and --seed comes with --chaos. The message is a
// usage error's.
Status CheckChaosFlags(const std::string& chaos, const std::optional<uint64_t>& seed);

int RunList();
int RunRecord(const RecordArgs& args);
int RunRecordExecutable(const RecordArgs& args);  // `tape record -- EXECUTABLE [ARGS]`
int RunScript(const RecordArgs& args);  // `tape run`
int RunHunt(const HuntArgs& args);
int RunReplay(const ReplayArgs& args);
int RunRerun(const RerunArgs& args);
// The end of `tape rerun`: prints what the rerun found (`report`: the JSON
// object on stdout with --json, lines on stderr) and returns the exit
// status. `drift_said`: a drift was printed already (by the interposer).
int FinishRerun(const RerunArgs& args, const RunReport& report, bool drift_said);
// Where the rerun's program writes: nowhere with --quiet (both set to a
// descriptor of /dev/null, returned for the caller to close), its standard
// output on stderr with --json (beside the report on stdout); else both
// unchanged, and -1 returned.
int RerunOutputs(const RerunArgs& args, int* stdout_fd, int* stderr_fd);
int RunTest(const TestArgs& args);  // `tape test`
int RunInspect(const InspectArgs& args);
int RunExport(const ExportArgs& args);
int RunStats(const StatsArgs& args);
int RunDiff(const DiffArgs& args);
int RunBench(const BenchArgs& args);
int RunVerify(const VerifyArgs& args);
int RunRecover(const RecoverArgs& args);
int RunImport(const ImportArgs& args);  // `tape import`
int RunRedact(const RedactArgs& args);
int RunDebug(const DebugArgs& args);  // `tape debug`
int RunDap(const DebugArgs& args);    // `tape dap`: the Debug Adapter Protocol on stdin/stdout

// The debugger's prompt (or a command file) over an opened recording
// (tools/debug_target.h); `tape debug` and `tape replay --debug`. Returns
// the exit code: 0, or with a command file 1 when a command failed.
struct DebugTarget;
struct DebugSessionOptions {
  bool json = false;
  std::string batch;
  bool show_stop = true;  // report where the run is before the first command
};
int DebugSession(DebugTarget* target, const DebugSessionOptions& options);

// The line `tape redact` adds to a trace's HEAD `redaction` field (§6) when
// it replaced text in the script's source: the trace then holds a changed
// copy of the script, not the one that ran.
inline constexpr std::string_view kRedactedSourceLine = "redact: the script source";
// The HEAD `redaction` field as one line: its lines joined by "; ".
std::string RedactionText(const format::TraceHeader& header);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_CLI_H_
