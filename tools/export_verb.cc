// tape export FILE --format chrome|perfetto|csv|jsonl --out OUT [selection] [--limit N]
//
// Streams the selected events (tools/event_select.h, the flags of inspect)
// into a format other tools read (tools/export_sink.h). The file is written
// beside OUT and renamed over it when complete (format/output_file.h), so a
// failed export leaves no half-written file. An existing OUT is replaced when
// it is an earlier export (LooksLikeExport), anything else only with --force.
// A character device or FIFO given with --force gets the whole export in
// place, never replaced.

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "format/output_file.h"
#include "tools/cli.h"
#include "tools/event_select.h"
#include "tools/export_sink.h"

namespace tape::cli {

namespace {

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

int RunExport(const ExportArgs& args) {
  bool to_stdout = args.out == "-";
  if (!to_stdout) {
    if (SameFile(args.out, args.file)) {
      return Fail("export", kExitUsage, "--out " + args.out + " is the trace being exported");
    }
    Result<format::OutputTarget> target = format::CheckOutputTarget(args.out, args.force);
    if (!target.has_value()) return Fail("export", kExitUsage, target.error().message());
    // An earlier export is replaced, as a trace of the same program is by a
    // new recording; anything else only with --force.
    if (target->kind == format::OutputTarget::Kind::kRegular && !args.force &&
        !LooksLikeExport(target->path)) {
      return Fail("export", kExitUsage,
                  "refusing to replace " + args.out + ": it exists and is not an earlier export" +
                      (LooksLikeTrace(args.out) ? " (it is a tape trace)" : "") +
                      " (use --force to replace it, or choose another file)");
    }
  }
  OpenedTrace reader = OpenTrace("export", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;
  EventSelection sel;
  std::string error;
  if (!ResolveSelection(r, args.select, &sel, &error)) return Fail("export", kExitUsage, error);
  if (args.select.since && *args.select.since >= r.event_count() && r.event_count() > 0) {
    return Fail("export", kExitUsage,
                fmt::format("--since {}: the trace has {}", *args.select.since,
                            Count(r.event_count(), "event", "events")));
  }

  std::unique_ptr<format::OutputFile> file_out;
  std::FILE* file = stdout;
  if (!to_stdout) {
    auto created = format::OutputFile::Create(args.out, args.force);
    if (!created.has_value()) {
      return Fail("export", created.error().code() == StatusCode::kInvalidArgument ? kExitUsage
                                                                                  : kExitTrace,
                  created.error().message());
    }
    file_out = std::move(created).value();
    int fd = ::dup(file_out->fd());
    file = fd < 0 ? nullptr : ::fdopen(fd, "wb");
    if (file == nullptr) {
      if (fd >= 0) ::close(fd);
      return Fail("export", kExitTrace, Status::FromErrno("cannot write " + args.out, errno).message());
    }
  }
  ExportOutput out(file, args.out);
  std::unique_ptr<ExportSink> sink = MakeExportSink(args.format, &out);
  if (!sink) return Fail("export", kExitUsage, "--format " + args.format + ": expected " + kExportFormats);
  if (sink->needs_times() && !r.has_times()) {
    (void)out.Close();
    return Fail("export", kExitUsage,
                r.path() + " has no event times (it was recorded before tape stored them, or "
                           "imported): a timeline needs them; export it with --format jsonl or csv");
  }

  ExportContext context;
  context.reader = &r;
  context.program = DescribeProgram(r.header());
  context.origin_ns = RecordingStart(r);
  context.max_payload = args.max_payload;
  sink->Begin(context);
  uint64_t limit = args.limit.value_or(UINT64_MAX), written = 0, untimed = 0;
  Progress progress("exporting", std::min(r.event_count(), sel.end_seq) - std::min(r.event_count(), sel.first_seq));
  EventWalker walker(r, sel);
  Status s = walker.Forward([&](const format::DecodedChunk& chunk, uint32_t i) {
    format::EventView e = chunk.event(i);
    if (sink->needs_times() && e.time_ns == 0) {
      ++untimed;
      return true;
    }
    sink->Event(e);
    if ((written & 0xffff) == 0) progress.Update(e.seq - sel.first_seq);
    return ++written < limit && out.ok();
  });
  progress.Finish();
  sink->End();
  Status closed = out.Close();
  if (!s.ok() || !closed.ok()) return Fail("export", kExitTrace, (!s.ok() ? s : closed).message());
  if (file_out) {
    Status moved = file_out->Commit();
    if (!moved.ok()) return Fail("export", kExitTrace, moved.message());
  }
  std::string note = "exported " + Count(written, "event", "events") + " to " +
                     (to_stdout ? "standard output" : args.out) + " (" + args.format + ")";
  if (untimed > 0) {
    note += "; left out " + Count(untimed, "event", "events") +
            " of unknown time, which a timeline cannot place";
  }
  Error("export", note);
  return kExitOk;
}

}  // namespace tape::cli
