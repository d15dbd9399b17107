// tape import OLD --out NEW [--program NAME] [--force] [--recover]: converts a
// trace recorded by the original tape (specs/original-trace.md) into a
// finalized tape trace whose HEAD says where it came from.
//
// The new trace is written to a temporary file beside NEW and renamed over it
// once complete (format/output_file.h), so NEW is never left half written; a
// character device or FIFO given with --force gets it whole, in place.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "format/output_file.h"
#include "format/trace_reader.h"
#include "tools/cli.h"
#include "tools/original_import.h"

namespace tape::cli {

namespace {

Status WriteWholeFile(const std::string& path, bool force, const std::vector<uint8_t>& bytes) {
  TAPE_ASSIGN_OR_RETURN(std::unique_ptr<format::OutputFile> out,
                        format::OutputFile::Create(path, force));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(out->fd(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::FromErrno("cannot write " + out->temp_name(), n < 0 ? errno : EIO);
    done += size_t(n);
  }
  if (!out->to_stream() && ::fsync(out->fd()) != 0) {
    return Status::FromErrno("cannot write " + out->temp_name(), errno);
  }
  return out->Commit();
}

}  // namespace

int RunImport(const ImportArgs& args) {
  std::error_code ec;
  if (std::filesystem::equivalent(args.file, args.out, ec)) {
    return Fail("import", kExitUsage, "--out must name a new file, not the trace being imported");
  }
  Status out_ok = CheckOutputPath(args.out, args.force);
  if (!out_ok.ok()) return Fail("import", kExitUsage, out_ok.message());
  if (!LooksLikeOriginalTrace(args.file)) {
    // Not the original's: let the trace reader say what the file is.
    auto reader = format::TraceReader::Open(args.file);
    if (reader.has_value()) {
      return Fail("import", kExitUsage,
                  args.file + " is already a tape trace; there is nothing to import");
    }
    std::string message = reader.error().message();
    if (reader.error().code() == StatusCode::kCorrupt) {
      message +=
          "; nor a trace of the original tape (those start with its schema version 2, "
          "bytes 02 00 00 00)";
    }
    return Fail("import", kExitTrace, message);
  }

  auto imported = ImportOriginalFile(args.file, ImportOptions{args.program, args.recover});
  if (!imported.has_value()) return Fail("import", kExitTrace, imported.error().message());
  auto converted = format::TraceReader::OpenBytes(
      format::Bytes(imported->trace.data(), imported->trace.size()), args.out);
  if (converted.has_value()) {
    out_ok = CheckOutputPath(args.out, args.force, &(*converted)->header());
    if (!out_ok.ok()) return Fail("import", kExitUsage, out_ok.message());
  }
  Status written = WriteWholeFile(args.out, args.force, imported->trace);
  if (!written.ok()) return Fail("import", kExitTrace, written.message());

  // Read back what was written: the summary comes from the trace itself
  // (from memory when it went to a device or FIFO, which cannot be read back).
  struct stat st;
  bool regular = ::stat(args.out.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  OpenedTrace reader;
  if (regular) {
    reader = OpenTrace("import", args.out);
  } else if (auto opened = format::TraceReader::OpenBytes(
                 format::Bytes(imported->trace.data(), imported->trace.size()), args.out);
             opened.has_value()) {
    reader = OpenedTrace(std::move(opened).value());
  } else {
    Error("import", opened.error().message());
  }
  if (!reader) return kExitTrace;
  std::string program = imported->program.empty() ? "an unknown program (name it with --program)"
                                                  : DescribeProgram(reader->header()) + " (" +
                                                        imported->program_source + ")";
  std::printf("imported %s of %s into %s; the program %s\n",
              Count(imported->events, "event", "events").c_str(), program.c_str(), args.out.c_str(),
              reader->outcome().Describe().c_str());
  for (const std::string& note : imported->notes) std::printf("  note: %s\n", note.c_str());
  return kExitOk;
}

}  // namespace tape::cli
