// tape recover FILE --out FIXED: writes a finalized trace holding every event
// that can be read from a damaged or interrupted one (the recovery rule of
// specs/trace-format.md §12, then every chunk up to the first unreadable one).

#include <cstdio>
#include <filesystem>

#include "format/trace_writer.h"
#include "tools/cli.h"

namespace tape::cli {

int RunRecover(const RecoverArgs& args) {
  std::error_code ec;
  if (std::filesystem::equivalent(args.file, args.out, ec)) {
    return Fail("recover", kExitUsage, "--out must name a new file, not the damaged trace itself");
  }
  Status out_ok = CheckOutputPath(args.out, args.force);
  if (!out_ok.ok()) return Fail("recover", kExitUsage, out_ok.message());
  OpenedTrace reader = OpenTrace("recover", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;

  format::WriterOptions wo;
  wo.force = args.force;
  auto writer = format::TraceWriter::Create(args.out, r.header(), wo);
  if (!writer.has_value()) return Fail("recover", kExitTrace, writer.error().message());
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  std::string args_bytes, result_bytes, stopped;
  Progress progress("recover", r.event_count());
  for (size_t c = 0; c < r.chunks().size() && stopped.empty(); ++c) {
    Status s = r.ReadChunk(c, format::kDecodeAll, &decoder, &chunk);
    for (uint32_t i = 0; s.ok() && i < chunk.size(); ++i) {
      format::EventView e = chunk.event(i);
      s = r.ReadPayload(e.args, UINT64_MAX, &args_bytes);
      if (s.ok()) s = r.ReadPayload(e.result, UINT64_MAX, &result_bytes);
      if (!s.ok()) break;
      (*writer)->DefineSite(e.site, r.SiteLocation(e.site));
      (*writer)->Append(e.site, e.kind, format::AsBytes(args_bytes), format::AsBytes(result_bytes));
    }
    if (!s.ok()) stopped = s.message();
    progress.Update(chunk.first_seq() + chunk.size());
  }
  progress.Finish();
  uint64_t kept = (*writer)->events();
  format::Outcome outcome = r.outcome();
  if (!stopped.empty() || !r.finalized()) {
    outcome = {format::OutcomeKind::kInterrupted, r.outcome().code,
               "recovered " + std::to_string(kept) + " events from " + args.file};
  }
  Status s = (*writer)->Finish(outcome);
  if (!s.ok()) return Fail("recover", kExitTrace, s.message());
  std::printf("recovered %llu events into %s; the program %s\n", (unsigned long long)kept,
              args.out.c_str(), outcome.Describe().c_str());
  if (!r.finalized()) std::printf("  source: %s\n", r.recovery_note().c_str());
  if (!stopped.empty()) std::printf("  stopped at the first unreadable chunk: %s\n", stopped.c_str());
  return kExitOk;
}

}  // namespace tape::cli
