// tape import OLD --out NEW [--program NAME] [--force] [--recover]: converts a
// trace recorded by the original tape (specs/original-trace.md) into a
// finalized tape trace whose HEAD says where it came from.
//
// The new trace is written to a temporary file beside NEW and renamed over it
// once complete, so NEW is never left half written.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "format/partial_outputs.h"
#include "format/trace_reader.h"
#include "tools/cli.h"
#include "tools/original_import.h"

namespace tape::cli {

namespace {

Status WriteWholeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string temp = path + ".tmp-XXXXXX";
  int slot = -1;  // removed if a signal ends the import
  int fd = format::CreateRememberedTemp(&temp, &slot);
  if (fd < 0) return Status::FromErrno("cannot create a temporary file beside " + path, errno);
  format::PartialOutput partial(slot);
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    return Status::FromErrno(what, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write " + temp, n < 0 ? errno : EIO);
    done += size_t(n);
  }
  if (::fsync(fd) != 0) return fail("cannot write " + temp, errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return Status::FromErrno("cannot write " + temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return Status::FromErrno("cannot rename " + temp + " to " + path, err);
  }
  return Status::Ok();
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
  Status written = WriteWholeFile(args.out, imported->trace);
  if (!written.ok()) return Fail("import", kExitTrace, written.message());

  // Read back what was written: the summary comes from the trace itself.
  OpenedTrace reader = OpenTrace("import", args.out);
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
