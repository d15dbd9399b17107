#include "tools/interposed_run.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "engine/effects/libc.h"
#include "engine/effects/registry.h"
#include "format/chunk_decoder.h"

extern char** environ;

namespace tape::cli {

namespace {

volatile sig_atomic_t g_child = 0;

void PassOn(int sig) {
  if (g_child > 0) ::kill(pid_t(g_child), sig);
}

// While the program runs: the terminal's SIGINT and SIGQUIT go to the whole
// foreground group, so the program gets them itself; SIGTERM and SIGHUP
// sent to tape are passed on.
class WaitSignals {
 public:
  explicit WaitSignals(pid_t child) {
    g_child = child;
    struct sigaction ignore {}, pass {};
    ignore.sa_handler = SIG_IGN;
    pass.sa_handler = PassOn;
    sigemptyset(&pass.sa_mask);
    ::sigaction(SIGINT, &ignore, &old_[0]);
    ::sigaction(SIGQUIT, &ignore, &old_[1]);
    ::sigaction(SIGTERM, &pass, &old_[2]);
    ::sigaction(SIGHUP, &pass, &old_[3]);
  }
  ~WaitSignals() {
    int signals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
    for (int i = 0; i < 4; ++i) ::sigaction(signals[i], &old_[i], nullptr);
    g_child = 0;
  }

 private:
  struct sigaction old_[4];
};

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, size_t(n));
    at += n;
  }
}

// The descriptor the program finds tape's instructions at: the same in every
// run, so that the environment is (preload::kControlFd, or below the limit
// on open files).
int ControlFd() {
  rlimit lim{};
  int fd = preload::kControlFd;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur <= rlim_t(fd)) {
    fd = int(lim.rlim_cur) - 1;
  }
  return fd;
}

// The world a recording of an executable started in (its libc.start event,
// seq 0): what replay starts the program with.
Result<engine::StartWorld> ReadRecordedStart(const format::TraceReader& reader) {
  auto bad = [&reader](const std::string& why) {
    return Status::Corrupt(reader.path() + ": " + why + "; it is not a recording tape can replay");
  };
  if (reader.event_count() == 0 || reader.chunks().empty()) return bad("the trace holds no events");
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  Status s = reader.ReadChunk(reader.ChunkFor(0), format::kDecodeAll, &decoder, &chunk);
  if (!s.ok()) return s;
  if (chunk.size() == 0 || chunk.first_seq() != 0 ||
      chunk.kind(0) != uint8_t(EffectKind::kLibcStart)) {
    return bad("its first event is not libc.start");
  }
  std::string payload;
  s = reader.ReadWholePayload(chunk.result(0), &payload);
  if (!s.ok()) return s;
  engine::StartWorld start;
  if (!engine::DecodeStartWorld(format::AsBytes(payload), &start)) {
    Status layout =
        engine::CheckEvent(uint8_t(EffectKind::kLibcStart), {}, format::AsBytes(payload));
    return bad("its libc.start event is malformed (" +
               (layout.ok() ? std::string("a descriptor is not a number") : layout.message()) + ")");
  }
  if (start.argv.empty()) return bad("its libc.start event has no arguments");
  return start;
}

}  // namespace

Result<InterposedRun> ReplayRunOf(const format::TraceReader& reader, const std::string& trace_path,
                                  const std::string& label) {
  Result<engine::StartWorld> start = ReadRecordedStart(reader);
  if (!start.has_value()) return start.error();
  const format::TraceHeader& h = reader.header();
  InterposedRun run;
  run.path = h.program_name;
  run.argv = start->argv;
  run.env = start->env;
  run.cwd = start->cwd;
  preload::Control& c = run.control;
  c.mode = preload::Control::Mode::kReplay;
  c.trace = std::filesystem::absolute(trace_path).string();
  c.label = label;
  c.executable = h.program_name;
  c.code_hash = h.code_hash;
  c.fds = start->fds;
  return run;
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

std::string SourceLine(const std::string& module, uint64_t offset) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  char address[32];
  std::snprintf(address, sizeof address, "0x%llx", (unsigned long long)offset);
  std::string file = module;
  std::vector<char*> argv = {const_cast<char*>("addr2line"), const_cast<char*>("-f"),
                             const_cast<char*>("-C"),        const_cast<char*>("-e"),
                             file.data(),                    address,
                             nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, "addr2line", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || out.size() > 65536) break;
      out.append(buf, size_t(n));
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(pipe_fds[0]);
  // Two lines: the function, then file:line; "??" for what is unknown.
  size_t newline = out.find('\n');
  if (newline == std::string::npos) return "";
  std::string function = out.substr(0, newline);
  std::string where = out.substr(newline + 1);
  where = where.substr(0, where.find_first_of("\n ("));
  if (where.starts_with("??")) return "";
  return (function == "??" ? std::string("") : function + " at ") + where;
}

Result<std::string> PreloadLibrary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::FromErrno("cannot find tape's own path (/proc/self/exe)", ec.value());
  std::filesystem::path dir = self.parent_path();
  for (const char* relative : {"../preload/libtape-preload.so", "../lib/tape/libtape-preload.so"}) {
    std::filesystem::path candidate = (dir / relative).lexically_normal();
    if (std::filesystem::exists(candidate, ec)) {
      std::string path = candidate.string();
      // LD_PRELOAD separates libraries with spaces and colons.
      if (path.find_first_of(" :") != std::string::npos) {
        return Status::InvalidArgument("tape's interposition library is at " + path +
                                       ", a path with a space or colon, which LD_PRELOAD cannot "
                                       "name; install tape elsewhere");
      }
      return path;
    }
  }
  return Status::NotFound("tape's interposition library (libtape-preload.so) is not next to " +
                          self.string() + " (in ../preload/ or ../lib/tape/); reinstall tape");
}

Result<InterposedOutcome> RunInterposed(InterposedRun run) {
  Result<std::string> library = PreloadLibrary();
  if (!library.has_value()) return library.error();
  // The library goes in front of the LD_PRELOAD the program would have had;
  // it gives the program that one back (control.user_preload).
  std::vector<std::string> env;
  bool placed = false;
  for (const std::string& var : run.env) {
    if (var.starts_with(std::string(preload::kControlVariable) + "=")) continue;
    if (var.starts_with("LD_PRELOAD=")) {
      run.control.user_preload = var.substr(11);
      env.push_back("LD_PRELOAD=" + *library + " " + var.substr(11));
      placed = true;
      continue;
    }
    env.push_back(var);
  }
  if (!placed) env.push_back("LD_PRELOAD=" + *library);
  int control_fd = ControlFd();
  env.push_back(std::string(preload::kControlVariable) + "=" + std::to_string(control_fd));

  int memory = ::memfd_create("tape-control", MFD_CLOEXEC);
  if (memory < 0) return Status::FromErrno("cannot make the interposer's control file", errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{memory};
  if (!WriteAll(memory, preload::EncodeControl(run.control))) {
    return Status::FromErrno("cannot write the interposer's control file", errno);
  }

  std::vector<char*> argv, envp;
  for (std::string& a : run.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t child = ::fork();
  if (child < 0) return Status::FromErrno("cannot start " + run.path, errno);
  if (child == 0) {
    // Addresses as in every other run of the program (as rr does).
    ::personality(ADDR_NO_RANDOMIZE);
    if (run.cwd && ::chdir(run.cwd->c_str()) != 0) {
      // Replay serves the recorded directory's files from the trace.
    }
    if (::dup2(memory, control_fd) < 0) ::_exit(127);
    if (run.stdout_fd >= 0 && ::dup2(run.stdout_fd, 1) < 0) ::_exit(127);
    if (run.stderr_fd >= 0 && ::dup2(run.stderr_fd, 2) < 0) ::_exit(127);
    ::execve(run.path.c_str(), argv.data(), envp.data());
    std::string message = "tape: cannot run " + run.path + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = ::write(2, message.data(), message.size());
    (void)ignored;
    ::_exit(127);
  }
  InterposedOutcome outcome;
  {
    WaitSignals signals(child);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
      if (errno != EINTR) return Status::FromErrno("cannot wait for " + run.path, errno);
    }
    outcome.exited = WIFEXITED(status);
    outcome.code = outcome.exited ? WEXITSTATUS(status) : 0;
    outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  std::string report = ReadAll(memory);
  if (!preload::DecodeReport(report, &outcome.report)) outcome.report = preload::Report{};
  return outcome;
}

}  // namespace tape::cli
