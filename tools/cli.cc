#include "tools/cli.h"

#include "engine/internal/effect_text.h"
#include "engine/internal/running_commands.h"
#include "engine/internal/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "format/clock.h"
#include "format/layout.h"
#include "format/output_file.h"
#include "format/partial_outputs.h"
#include "tools/original_import.h"
#include "format/trace_mappings.h"
#include "format/trace_output.h"

namespace tape::cli {

void Error(const std::string& verb, const std::string& message) {
  std::cerr << "tape " << verb << ": " << ShownLines(message) << "\n";
}

int Fail(const std::string& verb, int code, const std::string& message) {
  Error(verb, message);
  return code;
}

void PrintProgramError(const std::string& verb, const std::string& error) {
  if (error.empty()) return;
  if (error.find('\n') != std::string::npos) {
    std::cerr << ShownLines(error) << (error.ends_with("\n") ? "" : "\n");
  } else {
    Error(verb, "the program stopped: " + error);
  }
}

namespace {

char g_guarded_verb[32];

void OnSigbus(int sig, siginfo_t* info, void*) {
  format::MappedTrace m;
  // si_code > 0: raised by the kernel for a memory access, not sent by kill.
  if (info->si_code > 0 && format::TraceMappingAt(info->si_addr, &m)) {
    char buf[1600];
    size_t n = format::FormatTraceChanged(g_guarded_verb, m, buf, sizeof buf);
    ssize_t ignored = ::write(2, buf, n);
    (void)ignored;
    format::RemovePartialOutputs();
    ::_exit(kExitTrace);
  }
  // Not a trace: the default action, as if no handler were installed.
  format::RemovePartialOutputs();
  engine::EndBySignal(sig);
}

// Stops the commands the tool started (in process groups of their own, the
// terminal's signals do not reach them), removes the files it is writing,
// then ends the process the way the signal would have.
void OnEndingSignal(int sig) {
  engine::StopRunningCommands(SIGTERM);
  format::RemovePartialOutputs();
  engine::EndBySignal(sig);
}

}  // namespace

void GuardPartialOutputs() {
  // A file-size limit (ulimit -f) is a write error the tool reports and
  // cleans up after, as the recorder does, not a kill that leaves the file.
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    struct sigaction current;
    // A signal the process inherited as ignored (nohup) stays ignored.
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnEndingSignal;
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&sa.sa_mask, s);
    sigaction(sig, &sa, nullptr);
  }
}

void GuardTraceReads(const std::string& verb) {
  std::snprintf(g_guarded_verb, sizeof g_guarded_verb, "%s", verb.c_str());
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, nullptr);
}

OpenedTrace OpenTrace(const std::string& verb, const std::string& path) {
  GuardTraceReads(verb);
  auto reader = format::TraceReader::Open(path);
  if (reader.has_value()) return OpenedTrace(std::move(reader).value());
  if (reader.error().code() != StatusCode::kCorrupt || !LooksLikeOriginalTrace(path)) {
    Error(verb, reader.error().message());
    return {};
  }
  // Not a tape trace: a trace of the original tape, read as its import.
  auto imported = ImportOriginalFile(path, ImportOptions());
  if (!imported.has_value()) {
    Error(verb, imported.error().message());
    return {};
  }
  auto bytes = std::make_unique<std::vector<uint8_t>>(std::move(imported->trace));
  auto converted =
      format::TraceReader::OpenBytes(format::Bytes(bytes->data(), bytes->size()), path);
  if (!converted.has_value()) {
    Error(verb, converted.error().message());
    return {};
  }
  struct stat st;
  uint64_t disk_size = ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
  return OpenedTrace(std::move(converted).value(), std::move(bytes), disk_size);
}

std::string DescribeProgram(const format::TraceHeader& h) {
  if (h.program_name.empty() && !h.origin.empty()) return "unknown program";
  return std::string(format::ProgramKindName(h.program_kind)) + " program '" + h.program_name + "'";
}

std::string RedactionText(const format::TraceHeader& h) {
  std::string text = h.redaction;
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
    text.replace(at, 1, "; ");
  }
  return text;
}

bool LooksLikeTrace(const std::string& path) {
  // Non-blocking, regular files only: a FIFO named here must not hang us.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  char magic[8];
  bool trace = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
               ::pread(fd, magic, 8, 0) == 8 && std::memcmp(magic, format::kFileMagic, 8) == 0;
  ::close(fd);
  return trace;
}

Status CheckOutputPath(const std::string& path, bool force, const format::TraceHeader* next) {
  TAPE_ASSIGN_OR_RETURN(format::OutputTarget target, format::CheckOutputTarget(path, force));
  bool non_empty = target.kind == format::OutputTarget::Kind::kRegular && target.st.st_size > 0;
  if (!force && non_empty && !LooksLikeTrace(target.path)) {
    return Status::InvalidArgument("refusing to overwrite " + path +
                                   ": it exists and is not a tape trace (use --force to replace it)");
  }
  if (!force && non_empty && next != nullptr) {
    int fd = ::open(target.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return Status::Ok();  // the writer reports why it cannot write there
    Status same = format::CheckSameProgram(fd, path, *next);
    ::close(fd);
    return same;
  }
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool StderrIsTerminal() { return ::isatty(2) == 1; }

std::string FormatTime(uint64_t unix_ns) {
  time_t secs = time_t(unix_ns / 1000000000u);
  tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &t);
  return buf;
}

std::string Count(uint64_t n, const char* singular, const char* plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

std::string Duration(uint64_t ns) {
  char buf[32];
  if (ns < 1000000000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", double(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", double(ns) / 1e9);
  }
  return buf;
}

std::string Shown(std::string_view text) { return engine::EscapeText(text, false); }
std::string ShownLines(std::string_view text) { return engine::EscapeText(text, true); }

std::string ShownIndented(std::string_view text, size_t indent) {
  std::string out;
  for (size_t at = 0;;) {
    size_t end = text.find('\n', at);
    out += Shown(text.substr(at, end == std::string_view::npos ? end : end - at));
    if (end == std::string_view::npos || end + 1 == text.size()) break;
    out += "\n" + std::string(indent, ' ');
    at = end + 1;
  }
  return out;
}

std::string OutcomeDescription(const format::TraceReader& reader) {
  if (reader.footer_missing() && reader.outcome().kind == format::OutcomeKind::kInterrupted &&
      reader.outcome().message.empty()) {
    return "is still being recorded, or its recording was interrupted";
  }
  return reader.outcome().Describe();
}

std::string OutcomeText(const format::TraceReader& reader) {
  return ShownIndented(OutcomeDescription(reader), 4);
}

std::string GapsText(const format::TraceReader& reader) {
  std::string out;
  for (const format::SeqRange& g : reader.gaps()) {
    if (!out.empty()) out += ", ";
    out += g.count == 1 ? fmt::format("event {}", g.first)
                        : fmt::format("events {}..{}", g.first, g.end() - 1);
  }
  return out;
}

std::string EventsText(const format::TraceReader& reader) {
  uint64_t n = reader.event_count(), missing = reader.missing_events();
  if (missing == 0) return Count(n, "event", "events");
  return fmt::format("{} of {} ({} missing)", n - missing, Count(n, "event", "events"), missing);
}

std::string SiteHex(uint64_t site) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)site);
  return buf;
}

}  // namespace tape::cli
