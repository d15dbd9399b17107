#include "preload/session.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "engine/effects/libc.h"
#include "engine/internal/redaction.h"
#include "engine/internal/secret_finder.h"
#include "format/clock.h"
#include "preload/filter.h"
#include "preload/guard.h"
#include "preload/raw_syscall.h"
#include "preload/real_libc.h"
#include "preload/served.h"
#include "preload/trap.h"

#ifndef TAPE_VERSION
#define TAPE_VERSION "0.0.0"
#endif

extern char** environ;

namespace tape::preload {

namespace {

// Exit codes, as the CLI's (tools/cli.h).
constexpr int kExitDrift = 80;
constexpr int kExitTrace = 81;

// The site of libc.start, which no call of the program's makes.
constexpr std::string_view kStartLocation = "(process start)";

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    long n = Raw(SYS_write, fd, long(text.data()), long(text.size()));
    if (n == -EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(size_t(n));
  }
}

// Before a session exists (its instructions cannot be read).
[[noreturn]] void Abandon(const std::string& message) {
  WriteAll(2, "tape: " + message + "\n");
  Raw(SYS_exit_group, kExitTrace);
  __builtin_unreachable();
}

bool ReadControl(int fd, std::string* out) {
  char buf[4096];
  for (long at = 0;;) {
    long n = Raw(SYS_pread64, fd, long(buf), long(sizeof buf), at);
    if (n == -EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, size_t(n));
    at += n;
  }
}

std::string FirstDifference(const std::vector<std::string>& recorded,
                            const std::vector<std::string>& now, const char* what) {
  for (size_t i = 0; i < std::max(recorded.size(), now.size()); ++i) {
    if (i >= recorded.size()) return std::string(what) + " has '" + now[i] + "' too";
    if (i >= now.size()) return std::string(what) + " lacks '" + recorded[i] + "'";
    if (recorded[i] != now[i]) {
      return std::string(what) + " " + std::to_string(i) + " is '" + now[i] + "', recorded '" +
             recorded[i] + "'";
    }
  }
  return "";
}

}  // namespace

Session::Session(Control control, int control_fd, std::vector<std::string> argv)
    : control_(std::move(control)), control_fd_(control_fd), argv_(std::move(argv)) {}

void Session::Start(int argc, char** argv, char** envp) {
  InTape in_tape;
  const char* value = nullptr;
  size_t prefix = std::strlen(kControlVariable);
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, kControlVariable, prefix) == 0 && (*e)[prefix] == '=') value = *e + prefix + 1;
  }
  if (value == nullptr) return;  // loaded by hand, not by tape: nothing to do
  int control_fd = -1;
  auto [end, ec] = std::from_chars(value, value + std::strlen(value), control_fd);
  std::string bytes;
  Control control;
  if (ec != std::errc() || *end != '\0' || !ReadControl(control_fd, &bytes) ||
      !DecodeControl(bytes, &control)) {
    Abandon(std::string(kControlVariable) +
            " does not name tape's instructions; record programs with `tape record -- PROGRAM`");
  }
  // The program sees the environment it was given to tape with.
  unsetenv(kControlVariable);
  if (control.user_preload) {
    setenv("LD_PRELOAD", control.user_preload->c_str(), 1);
  } else {
    unsetenv("LD_PRELOAD");
  }
  auto* session = new Session(std::move(control), control_fd,
                              std::vector<std::string>(argv, argv + (argc > 0 ? argc : 0)));
  session->Begin();
  current_ = session;
}

void Session::Begin() {
  fd_base_ = engine::InterposerFdBase();
  fds_.Set(control_fd_, FdInfo{FdInfo::Kind::kTape, 0, nullptr});
  callers_ = std::make_unique<Callers>(control_.executable);
  engine::SetLibcCalls({tape_raw_syscall, RealClockGettime, RealGettimeofday, RealTime});

  SetTapeFdBase(fd_base_);
  int err = InstallTrapHandler();
  std::vector<CodeRange> exempt = {
      {reinterpret_cast<uintptr_t>(tape_raw_syscall_begin),
       reinterpret_cast<uintptr_t>(tape_raw_syscall_end)},
      callers_->loader_code()};
  if (err == 0) err = InstallFilter(exempt);
  if (err != 0) {
    Abandon(std::string("cannot install the seccomp filter that lets tape see the program's "
                        "system calls: ") +
            std::strerror(err) + " (a container or sandbox may forbid seccomp)");
  }
  for (int std_fd : {1, 2}) {
    long copy = Raw(SYS_fcntl, std_fd, F_DUPFD_CLOEXEC, fd_base_);
    (std_fd == 1 ? stdout_copy_ : stderr_copy_) = int(copy < 0 ? -1 : copy);
    if (copy >= 0) fds_.Set(copy, FdInfo{FdInfo::Kind::kTape, 0, nullptr});
  }
  if (control_.mode == Control::Mode::kRecord) {
    OpenRecording();
  } else {
    OpenReplay();
  }
  effects_ = std::make_unique<LibcEffects>(runtime_);
  Site start{SiteIdOf(kStartLocation), kStartLocation};
  try {
    if (recording()) {
      StartWorld world = effects_->Start(start);
      TakeFds(world.fds);
    } else {
      // The descriptors first: libc.start lists them.
      for (int fd : engine::OpenFdsBelow(fd_base_)) {
        if (std::find(control_.fds.begin(), control_.fds.end(), fd) == control_.fds.end()) {
          Raw(SYS_close, fd);
        }
      }
      for (int fd : control_.fds) {
        if (Raw(SYS_fcntl, fd, F_GETFD) < 0) InstallPlaceholder(fd, false, "stdio", fd_base_);
      }
      StartWorld world = effects_->Start(start);
      CheckWorld(world);
      TakeFds(world.fds);
    }
  } catch (...) {
    current_ = this;
    Fail();
  }
}

void Session::OpenRecording() {
  format::TraceHeader header;
  header.created_unix_ns = WallClockNs();
  header.recorder = "tape " TAPE_VERSION;
  header.program_kind = format::ProgramKind::kExecutable;
  header.program_name = control_.executable;
  header.code_hash = control_.code_hash;
  if (!control_.chaos.empty()) {
    Result<engine::ChaosSpec> spec = engine::ParseChaosSpec(control_.chaos);
    if (!spec.has_value()) Fatal(2, "--chaos '" + control_.chaos + "': " + spec.error().message());
    header.chaos = spec->text;
    header.chaos_seed = control_.chaos_seed;
    chaos_ = std::make_unique<engine::Chaos>(*spec, control_.chaos_seed);
  }
  // As for a program written for tape (session.cc): the header names the
  // rules, the recorder replaces the values.
  engine::SecretFinder patterns;
  for (const std::string& pattern : control_.redact_match) {
    Status s = patterns.AddPattern(pattern);
    if (!s.ok()) Fatal(2, "--redact-match '" + pattern + "': " + s.message());
  }
  Status rules =
      engine::AddRecordingRules(control_.redact_env, {}, patterns.pattern_count(), &header.redaction);
  if (!rules.ok()) Fatal(2, rules.message());
  format::WriterOptions options;
  options.flush_ms = control_.flush_ms;
  options.force = control_.force;
  auto writer = format::TraceWriter::Create(control_.trace, header, options);
  if (!writer.has_value()) Fatal(kExitTrace, writer.error().message());
  writer_ = std::move(writer).value();
  recorder_ = std::make_unique<engine::Recorder>(writer_.get(), argv_, stdout_copy_, stderr_copy_);
  recorder_->SetChaos(chaos_.get());
  recorder_->Redact(control_.redact_env, {}, std::move(patterns));
  runtime_ = recorder_.get();
  if (recorder_->plain()) plain_recorder_ = recorder_.get();
  signal_guard_ = std::make_unique<engine::SignalGuard>(writer_.get(), recorder_.get(), control_.label);
}

void Session::OpenReplay() {
  auto opened = format::TraceReader::Open(control_.trace);
  if (!opened.has_value()) Fatal(kExitTrace, opened.error().message());
  reader_ = std::move(opened).value();
  const format::TraceHeader& h = reader_->header();
  if (h.program_kind != format::ProgramKind::kExecutable || h.program_name != control_.executable) {
    Fatal(kExitTrace, control_.trace + " is not a recording of " + control_.executable);
  }
  replayer_ = std::make_unique<engine::Replayer>(reader_.get(), stdout_copy_, /*read_ahead=*/false,
                                                 /*first_seq=*/0,
                                                 stderr_copy_);
  runtime_ = replayer_.get();
  signal_guard_ = std::make_unique<engine::SignalGuard>(
      replayer_.get(), "the program " + reader_->outcome().Describe(), control_.label);
}

void Session::CheckWorld(const StartWorld& world) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  std::string why = FirstDifference(world.argv, argv_, "argument");
  if (why.empty()) why = FirstDifference(world.env, env, "environment variable");
  if (!why.empty()) {
    Fatal(kExitDrift, "the program was not started as it was recorded: " + why +
                          "; replay it with `tape replay " + control_.trace + "`");
  }
}

void Session::TakeFds(const std::vector<int>& fds) {
  for (int fd : fds) {
    FdInfo info{FdInfo::Kind::kRecorded, 0, nullptr};
    if (fd == 1 || fd == 2) info.stream = uint8_t(fd);
    fds_.Set(fd, std::move(info));
  }
}

void Session::Message(const std::string& text) {
  WriteAll(stderr_copy_ >= 0 ? stderr_copy_ : 2, control_.label + ": " + text + "\n");
}

void Session::WriteReport(Report::Status status) {
  report_.status = status;
  if (runtime_ != nullptr) report_.events = runtime_->seq();
  std::string bytes = EncodeReport(report_);
  Raw(SYS_ftruncate, control_fd_, 0);
  Raw(SYS_pwrite64, control_fd_, long(bytes.data()), long(bytes.size()), 0);
}

void Session::End(Report::Status status, int exit_code) {
  WriteReport(status);
  Raw(SYS_exit_group, exit_code);
  __builtin_unreachable();
}

void Session::Fatal(int exit_code, const std::string& message) {
  Message(message);
  report_.message = message;
  if (writer_ && !finished_) {
    finished_ = true;
    (void)writer_->Finish({format::OutcomeKind::kInterrupted, 0, message});
  }
  End(Report::Status::kTraceError, exit_code);
}

void Session::Exit(int code) {
  InTape in_tape;
  signal_guard_.reset();
  if (recording()) {
    finished_ = true;
    Status s = writer_->Finish(format::Outcome::Exited(code));
    if (!s.ok()) {
      Message(s.message());
      End(Report::Status::kTraceError, kExitTrace);
    }
    End(Report::Status::kOk, code);
  }
  uint64_t done = replayer_->seq();
  uint64_t total = reader_->event_count();
  std::string ended = "the program exited with code " + std::to_string(code);
  if (done < total) {
    Drifted({DriftKind::kTraceNotExhausted, done, std::to_string(total) + " effect calls",
             ended + " after " + std::to_string(done),
             "the program ended at seq " + std::to_string(done) + " of " + std::to_string(total)});
  }
  const format::Outcome& recorded = reader_->outcome();
  if (recorded.kind != format::OutcomeKind::kInterrupted && !(recorded == format::Outcome::Exited(code))) {
    Drifted({DriftKind::kOutcomeMismatch, done, "the program " + recorded.Describe(), ended,
             "the program ended differently than when it was recorded"});
  }
  End(Report::Status::kOk, code);
}

void Session::Refuse(const Site& site, const std::string& what, const std::string& hint) {
  InTape in_tape;
  std::string text = "the program " + what + " at " + std::string(site.location);
  Message("stopped: " + text + "\n  " + hint);
  report_.message = text + "; " + hint;
  callers_->LastCaller(&report_.caller_module, &report_.caller_offset);
  if (writer_ && !finished_) {
    finished_ = true;
    signal_guard_.reset();
    // The trace, which is shared, gets the message without the secrets.
    std::string stored = "stopped by tape: " + text, redacted;
    if (recorder_->redacting() && recorder_->RedactText(stored, &redacted)) stored = redacted;
    (void)writer_->Finish({format::OutcomeKind::kError, 0, stored});
  }
  End(Report::Status::kRefused, kMisuseExitCode);
}

void Session::Drifted(const DriftInfo& info) {
  Message("drift: " + info.Describe());
  report_.drift_kind = int(info.kind);
  report_.drift_seq = info.seq;
  report_.drift_expected = info.expected;
  report_.drift_got = info.got;
  report_.drift_hint = info.hint;
  callers_->LastCaller(&report_.caller_module, &report_.caller_offset);
  End(Report::Status::kDrift, kExitDrift);
}

void Session::Fail() {
  InTape in_tape;
  try {
    throw;
  } catch (const DriftError& e) {
    Drifted(e.info());
  } catch (const engine::TraceReadFailed& e) {
    Message(e.status.message());
    report_.message = e.status.message();
    End(Report::Status::kTraceError, kExitTrace);
  } catch (const engine::TraceWriteFailed&) {
    Fatal(kExitTrace, "the trace could not be written: " + writer_->status().message() +
                          "; the program is stopped, and the trace keeps the events written before "
                          "the error");
  } catch (const engine::ReachedRecordedSignal& e) {
    // The recording ended here, killed by the signal its write raised:
    // end the same way.
    WriteReport(Report::Status::kOk);
    signal(e.signal, SIG_DFL);
    raise(e.signal);
    End(Report::Status::kOk, 128 + e.signal);
  } catch (const std::exception& e) {
    Fatal(kExitTrace, e.what());
  } catch (...) {
    Fatal(kExitTrace, "an unknown error stopped the interposer");
  }
}

}  // namespace tape::preload
