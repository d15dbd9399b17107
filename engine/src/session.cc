// Record() and Replay(): run a Program against a Recorder or a Replayer and
// turn every way it can end into a RunReport.

#include "tape/session.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <typeinfo>

#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "engine/internal/signals.h"
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


std::string Demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  return out;
}

// The step bound of a script replay when the trace does not record a count.
constexpr uint64_t kUnknownStepBudget = uint64_t(1) << 28;

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
  format::TraceHeader header;
  header.created_unix_ns = WallClockNs();
  header.recorder = "tape " TAPE_VERSION;
  header.program_kind = ToFormat(program.kind);
  header.program_name = program.name;
  header.code_hash = program.code_hash;
  header.script_source = program.script_source;
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
  // §6: the header names the redaction rules, never the values.
  for (const std::string& glob : options.redact_env) {
    Status ok = engine::CheckRule(glob);
    if (ok.ok() && !engine::AddRedactionLine(&header.redaction, "record --redact-env " + glob)) {
      ok = Status::InvalidArgument(
          "takes the header's redaction rules past 4096 bytes; use fewer, broader globs");
    }
    if (!ok.ok()) {
      report.status = RunReport::Status::kTraceError;
      report.error = "redact_env: the glob '" + glob + "' " + ok.message();
      return report;
    }
  }
  format::WriterOptions wo;
  wo.flush_ms = options.flush_ms;
  wo.chunk_max_events = options.chunk_events;
  wo.zstd_level = options.zstd_level;
  wo.force = options.force;
  auto writer = format::TraceWriter::Create(options.trace_path, header, wo);
  if (!writer.has_value()) {
    // A path that may not be written (a directory, a device, a file that is
    // not a trace, without `force`) is the caller's mistake, as in the CLI.
    report.status = writer.error().code() == StatusCode::kInvalidArgument
                        ? RunReport::Status::kBadOptions
                        : RunReport::Status::kTraceError;
    report.error = writer.error().message();
    return report;
  }
  engine::Recorder recorder(writer->get(), options.args, options.stdout_fd);
  recorder.SetChaos(chaos.get());
  recorder.RedactEnv(options.redact_env);
  ProgramRun run;
  {
    std::unique_ptr<engine::SignalGuard> guard;
    if (options.handle_signals) {
      guard = std::make_unique<engine::SignalGuard>(writer->get(), &recorder, options.label);
    }
    engine::ExitGuard exit_guard(writer->get(), options.label);
    run = RunProgram(program, recorder);
  }
  report.events = recorder.seq();
  if (run.write_failed) {
    Status why = (*writer)->status();
    (void)(*writer)->Finish({OutcomeKind::kInterrupted, 0, "the trace could not be written"});
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
  if (!options.redact_env.empty())
    run.outcome.message = recorder.RedactCopiesIn(run.outcome.message);
  Status s = (*writer)->Finish(run.outcome, recorder.reported_steps());
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
  if (h.program_kind != ToFormat(program.kind) || h.program_name != program.name) {
    return drift({DriftKind::kProgramMismatch, 0,
                  std::string(format::ProgramKindName(h.program_kind)) + " program '" +
                      h.program_name + "'",
                  std::string(format::ProgramKindName(ToFormat(program.kind))) + " program '" +
                      program.name + "'",
                  "the trace records another program"});
  }
  if (!options.ignore_code_hash && h.code_hash != program.code_hash) {
    return drift({DriftKind::kCodeHashMismatch, 0, "code hash " + format::ToHex(h.code_hash),
                  "code hash " + format::ToHex(program.code_hash),
                  "the program's code changed since the recording"});
  }

  engine::Replayer replayer(&reader, options.stdout_fd, options.read_ahead);
  // An interpreter's work is deterministic: replaying the same code on the
  // same trace runs exactly the recorded number of steps, so the recorded
  // count bounds the replay (a hostile trace cannot make it loop forever).
  // Without a recorded count (an interrupted or older trace), a generous
  // fixed bound (specs/trace-format.md §9).
  if (!options.ignore_code_hash && program.kind == ProgramKind::kScript) {
    replayer.set_step_budget(reader.program_steps().value_or(kUnknownStepBudget));
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
  if (replayer.seq() < reader.event_count()) {
    return drift({DriftKind::kTraceNotExhausted, replayer.seq(),
                  std::to_string(reader.event_count()) + " effect calls",
                  "the program ended after " + std::to_string(replayer.seq()) + " (" +
                      report.outcome + ")",
                  "the program ended at seq " + std::to_string(replayer.seq()) + " of " +
                      std::to_string(reader.event_count())});
  }
  if (recorded.kind != OutcomeKind::kInterrupted && !(recorded == run.outcome)) {
    return drift({DriftKind::kOutcomeMismatch, replayer.seq(), recorded.Describe(),
                  run.outcome.Describe(), "the program ended differently than when recorded"});
  }
  if (!run.ended_as_recorded.empty()) {
    report.note = report.note.empty() ? run.ended_as_recorded
                                      : report.note + "; " + run.ended_as_recorded;
  }
  if (recorded.kind == OutcomeKind::kInterrupted) {
    std::string note = "the recording was interrupted after " +
                       std::to_string(reader.event_count()) +
                       " effect calls; the replay ran to the program's end";
    report.note = report.note.empty() ? note : report.note + "; " + note;
  }
  return report;
}

RunReport Rerun(const Program& program, const RerunOptions& options) {
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
  summary.recorded_program = std::string(format::ProgramKindName(h.program_kind)) +
                             " program '" + h.program_name + "'";
  ProgramRun run;
  try {
    engine::Rerunner rerunner(&reader, options, &summary);
    {
      std::unique_ptr<engine::SignalGuard> guard;
      if (options.handle_signals) {
        guard = std::make_unique<engine::SignalGuard>(&rerunner, reader.outcome().Describe(),
                                                      options.label);
      }
      run = RunProgram(program, rerunner);
    }
    report.events = rerunner.seq();
    if (!run.trace_error && !run.drift) rerunner.Finish();
  } catch (const engine::TraceReadFailed& e) {
    run.trace_error = e.status;
  }
  report.rerun = std::move(summary);
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
  std::string line = std::to_string(served) + (served == 1 ? " input" : " inputs") +
                     " served from the trace (" + std::to_string(s.by_site) + " by site, " +
                     std::to_string(s.by_key) + " by key, " + std::to_string(s.by_kind) +
                     " by kind";
  if (s.adjusted) line += "; " + std::to_string(s.adjusted) + " with other args";
  line += ")";
  if (s.live) line += ", " + std::to_string(s.live) + " performed live";
  if (s.inputs_unused) line += ", " + std::to_string(s.inputs_unused) + " recorded not asked for";
  lines.push_back(line);
  lines.push_back("outputs: " + std::to_string(s.outputs_same) + " same, " +
                  std::to_string(s.outputs_changed) + " changed, " +
                  std::to_string(s.outputs_added) + " added, " +
                  std::to_string(s.outputs_removed) + " removed");
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
