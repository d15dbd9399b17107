#include "tools/rerun_executable.h"

#include <unistd.h>

#include <iostream>

#include "engine/effects/registry.h"
#include "engine/internal/rerun_report.h"
#include "engine/internal/signals.h"
#include "format/chunk_decoder.h"
#include "tape/session.h"
#include "tools/executable.h"
#include "tools/interposed_run.h"

namespace tape::cli {

namespace {

// Why such a recording is checked at replay strength, for the reports.
constexpr const char* kReplayStrengthNote =
    "a recording of an executable is rerun at replay strength: the program must make the "
    "recorded calls, from the same places in its code, in the same order, with the same "
    "arguments, and write exactly the recorded output; the first difference stops the rerun "
    "(inputs are not served by key as for scripts, --live and --out do not apply, and the files "
    "it reads, a script given to an interpreter included, are served as recorded)";

// Counts the recorded inputs and outputs before `end` (seq): those a replay
// that got to `end` served and compared.
Status CountEvents(const format::TraceReader& reader, uint64_t end, RerunSummary* s) {
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < reader.chunks().size(); ++c) {
    TAPE_RETURN_IF_ERROR(reader.ReadChunk(c, format::kDecodeKinds, &decoder, &chunk));
    for (uint32_t i = 0; i < chunk.size() && chunk.first_seq() + i < end; ++i) {
      const engine::EffectSpec* spec = engine::FindEffect(chunk.kind(i));
      engine::Direction d = spec == nullptr ? engine::Direction::kInput : spec->direction;
      if (d == engine::Direction::kOutput) ++s->outputs_same;
      if (d == engine::Direction::kInput) ++s->by_site;
    }
  }
  return Status::Ok();
}

format::Outcome OutcomeOf(const InterposedOutcome& ran) {
  if (ran.exited) return format::Outcome::Exited(ran.code);
  const char* name = engine::SignalName(ran.signal);
  return {format::OutcomeKind::kSignal, ran.signal, name};
}

// What the interposer's report says, as a rerun's report.
RunReport ReportOf(const format::TraceReader& reader, const InterposedOutcome& ran,
                   RerunSummary summary) {
  RunReport r;
  const preload::Report& said = ran.report;
  uint64_t total = reader.event_count();
  uint64_t compared = total;
  switch (said.status) {
    case preload::Report::Status::kOk:
    case preload::Report::Status::kNone: {
      if (said.status == preload::Report::Status::kNone && ran.exited) {
        r.status = RunReport::Status::kTraceError;
        r.error = "the program ran without tape's interposer: the loader did not load it";
        return r;
      }
      format::Outcome now = OutcomeOf(ran);
      r.exit_code = ran.ExitCode();
      r.outcome = now.Describe();
      // The interposer checks the ending of a program that exits; one killed
      // by a signal is compared here.
      summary.outcome_same = said.status == preload::Report::Status::kOk ||
                             reader.outcome().kind == format::OutcomeKind::kInterrupted ||
                             reader.outcome() == now;
      break;
    }
    case preload::Report::Status::kDrift: {
      r.status = RunReport::Status::kDrift;
      DriftInfo d(DriftKind(said.drift_kind), said.drift_seq, said.drift_expected, said.drift_got,
                  said.drift_hint);
      std::string line =
          said.caller_module.empty() ? "" : SourceLine(said.caller_module, said.caller_offset);
      if (!line.empty()) d.hint += " (the program's call: " + line + ")";
      r.drift = std::move(d);
      compared = std::min(said.drift_seq, total);
      summary.not_reached = total - compared;
      summary.outcome_same = false;
      break;
    }
    case preload::Report::Status::kRefused:
      r.status = RunReport::Status::kBadOptions;
      r.error = "the program made a call tape cannot rerun: " + said.message;
      return r;
    case preload::Report::Status::kTraceError:
      r.status = RunReport::Status::kTraceError;
      r.error = said.message.empty() ? "the interposer could not read the trace" : said.message;
      return r;
  }
  if (Status s = CountEvents(reader, compared, &summary); !s.ok()) {
    r.status = RunReport::Status::kTraceError;
    r.error = s.message();
    return r;
  }
  r.events = compared;
  r.rerun = std::move(summary);
  r.note = kReplayStrengthNote;
  return r;
}

}  // namespace

int RerunExecutable(const RerunArgs& args, const format::TraceReader& reader) {
  const format::TraceHeader& h = reader.header();
  auto fail = [&args](int code, const std::string& message) {
    if (args.json) std::cout << engine::RerunErrorJson(args.trace, code, message) << std::endl;
    return Fail("rerun", code, message);
  };
  if (args.live || !args.out.empty()) {
    return fail(kExitUsage,
                args.trace + " is a recording of the executable " + h.program_name + ", which " +
                    "is rerun at replay strength: " + (args.live ? "--live" : "--out") +
                    " does not apply to it (to record it as it runs now: tape record -- " +
                    h.program_name + ")");
  }
  std::string path = h.program_name;
  if (!args.program.empty()) {
    Result<Executable> found = FindExecutable(args.program);
    if (!found.has_value()) return fail(kExitUsage, found.error().message());
    path = found->path;
  }
  Result<std::string> hash = HashExecutable(path);
  if (!hash.has_value()) {
    return fail(kExitUsage, "the program " + path + " cannot be run here (" +
                                hash.error().message() + "); name another with --program");
  }
  Result<InterposedRun> prepared = ReplayRunOf(reader, args.trace, "tape rerun");
  if (!prepared.has_value()) return fail(kExitTrace, prepared.error().message());
  InterposedRun run = std::move(prepared).value();
  run.path = path;  // the interposer still names the recorded one's sites
  int devnull = RerunOutputs(args, &run.stdout_fd, &run.stderr_fd);
  Result<InterposedOutcome> ran = RunInterposed(std::move(run));
  if (devnull >= 0) ::close(devnull);
  if (!ran.has_value()) return fail(kExitTrace, ran.error().message());

  RerunSummary summary;
  summary.recorded_outcome = reader.outcome().Describe();
  summary.recorded_code_hash = format::ToHex(h.code_hash);
  summary.code_hash = format::ToHex(*hash);
  summary.recorded_program = DescribeProgram(h);
  RunReport report = ReportOf(reader, *ran, std::move(summary));
  // The interposer printed a drift itself, unless its stderr was discarded.
  return FinishRerun(args, report, !args.quiet);
}

}  // namespace tape::cli
