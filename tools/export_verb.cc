// tape export FILE --format chrome|perfetto|csv|jsonl --out OUT [selection] [--limit N]
//
// Streams the selected events (tools/event_select.h, the flags of inspect)
// into a format other tools read (tools/export_sink.h). The file is written
// beside OUT and renamed over it when complete, so a failed export leaves no
// half-written file. An existing OUT is replaced when it is an earlier
// export (LooksLikeExport), anything else only with --force.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "format/partial_outputs.h"
#include "tools/cli.h"
#include "tools/event_select.h"
#include "tools/export_sink.h"

namespace tape::cli {

namespace {

// "dir/.name.tape-export-XXXXXX", the pattern of the temporary file
// (CreateRememberedTemp): beside the output, so the rename is atomic, and a name
// another user cannot guess, so no link planted there can redirect the export.
std::string TempBeside(const std::string& path) {
  std::filesystem::path p(path);
  std::string name = "." + p.filename().string() + ".tape-export-XXXXXX";
  return (p.parent_path() / name).string();
}

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
    struct stat st;
    if (::stat(args.out.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return Fail("export", kExitUsage, "--out " + args.out + " is a directory");
      // An earlier export is replaced, as a trace of the same program is
      // by a new recording; anything else only with --force.
      if (!args.force && !LooksLikeExport(args.out)) {
        return Fail("export", kExitUsage,
                    "refusing to replace " + args.out + ": it exists and is not an earlier export" +
                        (LooksLikeTrace(args.out) ? " (it is a tape trace)" : "") +
                        " (use --force to replace it, or choose another file)");
      }
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
                "--since " + std::to_string(*args.select.since) + ": the trace has " +
                    Count(r.event_count(), "event", "events"));
  }

  std::string temp = to_stdout ? "" : TempBeside(args.out);
  int slot = -1;
  std::FILE* file = stdout;
  if (!to_stdout) {
    // Remembered as it is made: a signal after that removes it.
    int fd = format::CreateRememberedTemp(&temp, &slot);
    file = fd < 0 ? nullptr : ::fdopen(fd, "wb");
    if (fd >= 0 && file == nullptr) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = err;
    }
  }
  format::PartialOutput partial(slot);
  if (file == nullptr) {
    return Fail("export", kExitTrace, Status::FromErrno("cannot write " + args.out, errno).message());
  }
  ExportOutput out(file, args.out);
  std::unique_ptr<ExportSink> sink = MakeExportSink(args.format, &out);
  if (!sink) return Fail("export", kExitUsage, "--format " + args.format + ": expected " + kExportFormats);
  auto discard = [&] {
    if (!to_stdout) std::remove(temp.c_str());
  };
  if (sink->needs_times() && !r.has_times()) {
    (void)out.Close();
    discard();
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
  if (!s.ok() || !closed.ok()) {
    discard();
    return Fail("export", kExitTrace, (!s.ok() ? s : closed).message());
  }
  if (!to_stdout && std::rename(temp.c_str(), args.out.c_str()) != 0) {
    int err = errno;
    discard();
    return Fail("export", kExitTrace, Status::FromErrno("cannot create " + args.out, err).message());
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
