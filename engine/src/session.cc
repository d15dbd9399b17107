// Record() and Replay(): run a Program against a Recorder or a Replayer and
// turn every way it can end into a RunReport.

#include "tape/session.h"

#include <cxxabi.h>

#include <fmt/core.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <typeinfo>

#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "engine/internal/replay_end.h"
#include "engine/internal/secret_finder.h"
#include "engine/internal/signals.h"
#include "engine/src/debug_stop.h"
#include "engine/src/exit_guard.h"
#include "engine/src/recorder.h"
#include "engine/src/replayer.h"
#include "engine/src/rerunner.h"
#include "format/clock.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"

#ifndef TAPE_VERSION
#define TAPE_VERSION "0.0.0"
#endif

namespace tape {

namespace {

using format::Outcome;
using format::OutcomeKind;

format::ProgramKind ToFormat(ProgramKind kind) {
  switch (kind) {
    case ProgramKind::kBuiltin: return format::ProgramKind::kBuiltin;
    case ProgramKind::kScript: return format::ProgramKind::kScript;
    case ProgramKind::kEmbedded: return format::ProgramKind::kEmbedded;
  }
  return format::ProgramKind::kEmbedded;
}


// The HEAD of a trace that `program` records now (specs/trace-format.md §6).
format::TraceHeader HeaderOf(const Program& program) {
  format::TraceHeader header;
  header.created_unix_ns = WallClockNs();
  header.recorder = "tape " TAPE_VERSION;
  header.program_kind = ToFormat(program.kind);
  header.program_name = program.name;
  header.code_hash = program.code_hash;
  header.script_source = program.script_source;
  return header;
}

std::string Demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  return out;
}


// Exit code the process reports for an outcome that is not a plain exit.
constexpr int kFailedExitCode = 1;

struct ProgramRun {
  Outcome outcome;
  int exit_code = 0;
  std::optional<DriftInfo> drift;
  std::optional<Status> trace_error;
  bool write_failed = false;
  std::string ended_as_recorded;  // a note when replay reproduced a signal ending
};

// Runs the program, mapping every way out of it to an outcome.
ProgramRun RunProgram(const Program& program, Runtime& rt) {
  ProgramRun run;
  engine::CurrentRun current(&rt);  // for tape::CurrentSeq() in a debugger
  try {
    run.exit_code = program.main(rt);
    run.outcome = Outcome::Exited(run.exit_code);
  } catch (const DriftError& e) {
    run.drift = e.info();
  } catch (const engine::TraceWriteFailed&) {
    run.write_failed = true;
  } catch (const engine::TraceReadFailed& e) {
    run.trace_error = e.status;
  } catch (const engine::ReachedRecordedSignal& e) {
    // The recording ended here by a signal the program's effect raised
    // (SIGPIPE at an io.write): the same ending, reproduced.
    run.outcome = {OutcomeKind::kSignal, e.signal, engine::SignalName(e.signal)};
    run.exit_code = 128 + e.signal;
    run.ended_as_recorded = e.note;
  } catch (const ProgramError& e) {
    run.outcome = {OutcomeKind::kError, 0, e.what()};
    run.exit_code = kFailedExitCode;
  } catch (const std::exception& e) {
    run.outcome = {OutcomeKind::kException, 0, Demangle(typeid(e).name()) + ": " + e.what()};
    run.exit_code = kFailedExitCode;
  } catch (...) {
    run.outcome = {OutcomeKind::kException, 0, "an exception that is not a std::exception"};
    run.exit_code = kFailedExitCode;
  }
  return run;
}

std::string ProgramText(format::ProgramKind kind, const std::string& name) {
  return std::string(format::ProgramKindName(kind)) + " program '" + name + "'";
}

// Whether `program` may replay a trace whose header is `h` (specs/trace-format.md
// §13.3). A program is its code: a script renamed or moved, or an embedded
// program renamed, replays as long as its code hash is the recorded one, and
// the names are only shown. A built-in is chosen by its name, and a program
// without a code hash (one that opted out) is known by its name alone.
std::optional<DriftInfo> CheckIdentity(const format::TraceHeader& h, const Program& program,
                                       bool ignore_code_hash) {
  std::string recorded = ProgramText(h.program_kind, h.program_name);
  std::string now = ProgramText(ToFormat(program.kind), program.name);
  bool hashed = !h.code_hash.empty() || !program.code_hash.empty();
  bool named_by_name = program.kind == ProgramKind::kBuiltin || !hashed;
  if (h.program_kind != ToFormat(program.kind) ||
      (named_by_name && h.program_name != program.name)) {
    return DriftInfo{DriftKind::kProgramMismatch, 0, recorded, now,
                     "the trace records another program"};
  }
  if (ignore_code_hash || h.code_hash == program.code_hash) return std::nullopt;
  // The build that recorded: the tape it linked, and when.
  std::string built = h.recorder.empty() ? "" : ", recorded by " + h.recorder;
  if (h.created_unix_ns != 0) {
    std::time_t t = std::time_t(h.created_unix_ns / 1000000000);
    std::tm tm{};
    char when[32];
    if (::gmtime_r(&t, &tm) != nullptr &&
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm) != 0) {
      built += (built.empty() ? ", recorded " : " on ") + std::string(when);
    }
  }
  return DriftInfo{DriftKind::kCodeHashMismatch, 0,
                   "code hash " + format::ToHex(h.code_hash) + " (" + recorded + built + ")",
                   "code hash " + format::ToHex(program.code_hash) + " (" + now + ")",
                   "the program's code changed since the recording"};
}

// A new trace at `path`, or nullptr with `report` saying why. A path that
// may not be written (a directory, a device, a file that is not a trace,
// without `force`) is the caller's mistake, as in the CLI.
std::unique_ptr<format::TraceWriter> CreateWriter(const std::string& path,
                                                  const format::TraceHeader& header,
                                                  const format::WriterOptions& options,
                                                  RunReport* report) {
  auto writer = format::TraceWriter::Create(path, header, options);
  if (writer.has_value()) return std::move(writer).value();
  report->status = writer.error().code() == StatusCode::kInvalidArgument
                       ? RunReport::Status::kBadOptions
                       : RunReport::Status::kTraceError;
  report->error = writer.error().message();
  return nullptr;
}

std::string ProgramErrorOf(const Outcome& outcome) {
  bool failed = outcome.kind == OutcomeKind::kError || outcome.kind == OutcomeKind::kException;
  return failed ? outcome.message : std::string();
}

}  // namespace

RunReport Record(const Program& program, const RecordOptions& options) {
  // SIGINT, SIGTERM and SIGHUP wait until the guard below can finish the
  // trace with them, and again while the trace is finished after it
  // (engine/internal/signals.h). A file-size limit is a write error until the
  // footer is written.
  std::optional<engine::BlockTerminatingSignals> hold;
  std::optional<engine::IgnoreFileSizeSignal> size_limit_is_an_error;
  if (options.handle_signals) {
    hold.emplace();
    size_limit_is_an_error.emplace();
  }
  RunReport report;
  format::TraceHeader header = HeaderOf(program);
  if (options.frozen_time_ns > 0) header.created_unix_ns = uint64_t(options.frozen_time_ns);
  std::unique_ptr<engine::Chaos> chaos;
  if (!options.chaos.empty()) {
    Result<engine::ChaosSpec> spec = engine::ParseChaosSpec(options.chaos);
    if (!spec.has_value()) {
      report.status = RunReport::Status::kBadOptions;
      report.error = "chaos spec '" + options.chaos + "': " + spec.error().message();
      return report;
    }
    header.chaos = spec->text;
    header.chaos_seed = options.chaos_seed;
    chaos = std::make_unique<engine::Chaos>(*spec, options.chaos_seed);
  }
  engine::SecretFinder patterns;
  for (const std::string& pattern : options.redact_match) {
    Status s = patterns.AddPattern(pattern);
    if (!s.ok()) {
      report.status = RunReport::Status::kBadOptions;
      report.error = "redact_match: the pattern '" + pattern + "': " + s.message();
      return report;
    }
  }
  // §6: the header names the redaction rules, never the values (nor the
  // patterns, which may spell out a secret).
  Status rules = engine::AddRecordingRules(options.redact_env, options.redact_header,
                                           patterns.pattern_count(), &header.redaction);
  if (!rules.ok()) {
    report.status = RunReport::Status::kTraceError;
    report.error = rules.message();
    return report;
  }
  format::WriterOptions wo;
  wo.flush_ms = options.flush_ms;
  wo.chunk_max_events = options.chunk_events;
  wo.zstd_level = options.zstd_level;
  wo.force = options.force;
  wo.frozen_time_ns = options.frozen_time_ns;
  std::unique_ptr<format::TraceWriter> writer =
      CreateWriter(options.trace_path, header, wo, &report);
  if (!writer) return report;
  engine::Recorder recorder(writer.get(), options.args, options.stdout_fd);
  recorder.SetChaos(chaos.get());
  recorder.Redact(options.redact_env, options.redact_header, std::move(patterns));
  // Nothing a script runs sets an environment variable: its env.get calls
  // may read each variable once. A C++ program's read it every time.
  if (program.kind == ProgramKind::kScript) recorder.FixEnvironment();
  ProgramRun run;
  {
    std::unique_ptr<engine::SignalGuard> guard;
    if (options.handle_signals) {
      guard = std::make_unique<engine::SignalGuard>(writer.get(), &recorder, options.label);
    }
    engine::ExitGuard exit_guard(writer.get(), options.label);
    run = RunProgram(program, recorder);
  }
  report.events = recorder.seq();
  if (run.write_failed) {
    Status why = writer->status();
    (void)writer->Finish({OutcomeKind::kInterrupted, 0, "the trace could not be written"});
    report.status = RunReport::Status::kTraceError;
    report.error = why.message();
    // A write the system refused (disk full, EFBIG): what was written before
    // stands. Other failures (the file changed under the recording, a broken
    // invariant) say themselves what is left.
    if (why.code() == StatusCode::kIoError) {
      report.error += "; the trace keeps the events written before the error and reads as "
                      "interrupted";
    }
    return report;
  }
  // The caller (and the terminal) get the message as it is; the trace, which
  // is shared, gets it without the secrets (§13.6).
  report.exit_code = run.exit_code;
  report.outcome = run.outcome.Describe();
  report.program_error = ProgramErrorOf(run.outcome);
  std::string redacted;
  if (recorder.redacting() && recorder.RedactText(run.outcome.message, &redacted)) {
    run.outcome.message = std::move(redacted);
  }
  Status s = writer->Finish(run.outcome, recorder.reported_steps());
  if (!s.ok()) {
    report.status = RunReport::Status::kTraceError;
    report.error = s.message();
  }
  return report;
}

RunReport Replay(const Program& program, const ReplayOptions& options) {
  RunReport report;
  auto opened = format::TraceReader::Open(options.trace_path);
  if (!opened.has_value()) {
    const Status& e = opened.error();
    if (e.code() == StatusCode::kUnsupported) {
      report.status = RunReport::Status::kDrift;
      report.drift = DriftInfo{DriftKind::kUnsupportedSchema, 0,
                               "a trace in another format version", "tape " TAPE_VERSION,
                               e.message()};
    } else {
      report.status = RunReport::Status::kTraceError;
      report.error = e.message();
    }
    return report;
  }
  const format::TraceReader& reader = **opened;
  const format::TraceHeader& h = reader.header();
  if (!reader.finalized()) report.note = reader.recovery_note();

  auto drift = [&](DriftInfo info) {
    report.status = RunReport::Status::kDrift;
    report.drift = std::move(info);
    return report;
  };
  if (std::optional<DriftInfo> mismatch = CheckIdentity(h, program, options.ignore_code_hash)) {
    return drift(std::move(*mismatch));
  }

  engine::Replayer replayer(&reader, options.stdout_fd, options.read_ahead);
  if (options.stop_at) replayer.StopAt(*options.stop_at, &engine::StopForDebugger);
  // An interpreter's work is deterministic: replaying the same code on the
  // same trace runs exactly the recorded number of steps, so the recorded
  // count bounds the replay (a hostile trace cannot make it loop forever).
  // Without a recorded count (an interrupted or older trace), a generous
  // fixed bound (specs/trace-format.md §9).
  if (!options.ignore_code_hash && program.kind == ProgramKind::kScript) {
    replayer.set_step_budget(reader.program_steps().value_or(engine::kUnknownStepBudget));
  }
  Outcome recorded = reader.outcome();
  ProgramRun run;
  {
    std::unique_ptr<engine::SignalGuard> guard;
    if (options.handle_signals) {
      guard = std::make_unique<engine::SignalGuard>(&replayer, recorded.Describe(), options.label);
    }
    engine::ExitGuard exit_guard(&replayer, &reader, options.label);
    run = RunProgram(program, replayer);
    // The read-ahead thread may still be decoding a chunk the program never
    // asked for; it must be done before the guard that turns a fault in the
    // mapped trace into "the trace changed" (exit 81) goes away.
    replayer.StopReadAhead();
  }
  report.events = replayer.seq();
  if (run.trace_error) {
    report.status = RunReport::Status::kTraceError;
    report.error = run.trace_error->message();
    return report;
  }
  // A program that caught the DriftError still drifted.
  if (replayer.drift()) return drift(*replayer.drift());
  if (run.drift) return drift(*run.drift);
  report.exit_code = run.exit_code;
  report.outcome = run.outcome.Describe();
  report.program_error = ProgramErrorOf(run.outcome);
  if (std::optional<DriftInfo> d = engine::CheckReplayEnd(reader, replayer.seq(), run.outcome)) {
    return drift(std::move(*d));
  }
  if (!run.ended_as_recorded.empty()) {
    report.note = report.note.empty() ? run.ended_as_recorded
                                      : report.note + "; " + run.ended_as_recorded;
  }
  if (recorded.kind == OutcomeKind::kInterrupted) {
    std::string note = fmt::format(
        "the recording was interrupted after {} effect calls; the replay ran to the program's end",
        reader.event_count());
    report.note = report.note.empty() ? note : report.note + "; " + note;
  }
  return report;
}

RunReport Rerun(const Program& program, const RerunOptions& options) {
  // With --out, as when recording: SIGINT, SIGTERM and SIGHUP wait until the
  // guard below can finish the new trace with them, and a file-size limit is
  // a write error until its footer is written (Record).
  std::optional<engine::BlockTerminatingSignals> hold;
  std::optional<engine::IgnoreFileSizeSignal> size_limit_is_an_error;
  if (options.handle_signals && !options.out_path.empty()) {
    hold.emplace();
    size_limit_is_an_error.emplace();
  }
  RunReport report;
  auto opened = format::TraceReader::Open(options.trace_path);
  if (!opened.has_value()) {
    report.status = RunReport::Status::kTraceError;
    report.error = opened.error().message();
    return report;
  }
  const format::TraceReader& reader = **opened;
  const format::TraceHeader& h = reader.header();
  if (!reader.finalized()) report.note = reader.recovery_note();
  RerunSummary summary;
  summary.recorded_outcome = reader.outcome().Describe();
  summary.recorded_code_hash = format::ToHex(h.code_hash);
  summary.code_hash = format::ToHex(program.code_hash);
  summary.recorded_program = ProgramText(h.program_kind, h.program_name);

  // What the rerun saw, as a trace of the program as it is now (§6 of
  // specs/rerun.md): served markers of a redacted trace stay markers.
  std::unique_ptr<format::TraceWriter> out;
  if (!options.out_path.empty()) {
    format::TraceHeader header = HeaderOf(program);
    header.redaction = h.redaction;
    format::WriterOptions wo;
    wo.force = options.force;
    out = CreateWriter(options.out_path, header, wo, &report);
    if (!out) return report;
  }

  ProgramRun run;
  std::optional<uint64_t> steps;
  try {
    engine::Rerunner rerunner(&reader, options, &summary, out.get());
    {
      std::unique_ptr<engine::SignalGuard> guard;
      if (options.handle_signals && out) {
        guard = std::make_unique<engine::SignalGuard>(out.get(), &rerunner, options.label);
      } else if (options.handle_signals) {
        guard = std::make_unique<engine::SignalGuard>(&rerunner, reader.outcome().Describe(),
                                                      options.label);
      }
      // A program that calls exit() leaves --out finished, as a recording.
      std::optional<engine::ExitGuard> exit_guard;
      if (out) exit_guard.emplace(out.get(), options.label);
      run = RunProgram(program, rerunner);
      if (rerunner.drift()) run.drift = rerunner.drift();  // also when the program caught it
      report.events = rerunner.seq();
      if (!run.trace_error && !run.drift && !run.write_failed) {
        rerunner.Finish();
      } else if (!run.trace_error) {
        rerunner.Stop();
      }
      rerunner.StopReadAhead();
    }
    steps = rerunner.reported_steps();
  } catch (const engine::TraceReadFailed& e) {
    run.trace_error = e.status;
  }
  summary.outcome_same = !run.drift && !run.trace_error &&
                         (reader.outcome().kind == OutcomeKind::kInterrupted ||
                          reader.outcome() == run.outcome);
  report.rerun = std::move(summary);
  if (out) {
    Status why = out->status();
    Status s = out->Finish(run.drift || run.trace_error || run.write_failed
                               ? Outcome{OutcomeKind::kInterrupted, 0, "the rerun stopped early"}
                               : run.outcome,
                           run.drift ? std::nullopt : steps);
    if (run.write_failed || !s.ok()) {
      const Status& failed = run.write_failed ? why : s;
      report.status = RunReport::Status::kTraceError;
      report.error = failed.message();
      if (failed.code() == StatusCode::kIoError) {
        report.error += "; " + options.out_path +
                        " keeps the events written before the error and reads as interrupted";
      }
      return report;
    }
  }
  if (run.trace_error) {
    report.status = RunReport::Status::kTraceError;
    report.error = run.trace_error->message();
    return report;
  }
  if (run.drift) {
    report.status = RunReport::Status::kDrift;
    report.drift = *run.drift;
    return report;
  }
  report.exit_code = run.exit_code;
  report.outcome = run.outcome.Describe();
  report.program_error = ProgramErrorOf(run.outcome);
  return report;
}

std::vector<std::string> DescribeRerun(const RunReport& r) {
  std::vector<std::string> lines;
  if (!r.rerun) return lines;
  const RerunSummary& s = *r.rerun;
  uint64_t served = s.by_site + s.by_key + s.by_kind;
  std::string line =
      fmt::format("{} {} served from the trace ({} by site, {} by key, {} by kind", served,
                  served == 1 ? "input" : "inputs", s.by_site, s.by_key, s.by_kind);
  if (s.adjusted) line += fmt::format("; {} with other args", s.adjusted);
  line += ")";
  if (s.live) line += fmt::format(", {} performed live", s.live);
  if (s.inputs_unused) line += fmt::format(", {} recorded not asked for", s.inputs_unused);
  lines.push_back(line);
  lines.push_back(fmt::format("outputs: {} same, {} changed, {} added, {} removed",
                              s.outputs_same, s.outputs_changed, s.outputs_added,
                              s.outputs_removed));
  if (s.threads) {
    lines.back() += fmt::format(" in {} threads", s.threads + 1);
  }
  if (s.not_reached) {
    lines.back() += fmt::format(
        "; the rerun stopped before {} recorded events, which were not compared", s.not_reached);
  }
  if (!s.first_output_change.empty()) lines.push_back("first: " + s.first_output_change);
  for (const std::string& note : s.notes) lines.push_back("note: " + note);
  if (r.status == RunReport::Status::kOk) {
    lines.push_back("recorded: the program " + s.recorded_outcome + "; now: the program " +
                    r.outcome);
  }
  if (s.recorded_code_hash != s.code_hash) {
    lines.push_back("the code changed since the recording (code hash " + s.recorded_code_hash +
                    " then, " + s.code_hash + " now)");
  }
  return lines;
}

}  // namespace tape
