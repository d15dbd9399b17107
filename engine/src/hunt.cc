#include "engine/internal/hunt.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "engine/internal/effect_text.h"
#include "engine/internal/signals.h"
#include "format/bytes.h"
#include "format/clock.h"
#include "format/output_file.h"
#include "format/trace_reader.h"

namespace tape::engine {

namespace {

constexpr uint64_t kMsNs = 1000000;
// The exit code of a recording whose trace could not be written (a full
// disk): tape's, and tape::Main's, for any trace error.
constexpr int kTraceErrorExit = 81;
// Where a hunt's runs record: a private directory in the keep directory,
// KEEP/.tape-hunt-PID-XXXXXX, made by mkdtemp (mode 0700, never an existing
// name or a link), and locked by the hunt while it runs.
constexpr char kWorkPrefix[] = ".tape-hunt-";

// --- conditions ----------------------------------------------------------------

// A compiled --until output~REGEX.
class Regex {
 public:
  // "" when `pattern` compiles, else regerror's message.
  std::string Compile(const std::string& pattern) {
    int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    if (rc != 0) {
      char buf[256];
      regerror(rc, &re_, buf, sizeof buf);
      return buf;
    }
    compiled_ = true;
    return "";
  }
  ~Regex() {
    if (compiled_) regfree(&re_);
  }
  // Whether some line of `text` (which may hold NUL bytes) matches.
  bool Matches(std::string_view text) const {
    regmatch_t range[1];
    range[0].rm_so = 0;
    range[0].rm_eo = regoff_t(text.size());
    return regexec(&re_, text.data(), 1, range, REG_STARTEND) == 0;
  }

 private:
  regex_t re_;
  bool compiled_ = false;
};

bool ParseCode(std::string_view text, int* code) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *code);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && *code >= 0 &&
         *code <= 255;
}

// --- signals -------------------------------------------------------------------

// The write end of the self-pipe that wakes the hunt's poll(), and the first
// stop signal received. A handler cannot be given a context, hence globals;
// one hunt per process at a time.
int g_wake_fd = -1;
volatile sig_atomic_t g_stop_signal = 0;
volatile sig_atomic_t g_stop_count = 0;  // a second stop signal kills the runs at once

void OnSignal(int sig) {
  int saved = errno;
  if (sig != SIGCHLD) {
    if (g_stop_signal == 0) g_stop_signal = sig;
    g_stop_count = g_stop_count + 1;
  }
  char byte = 0;
  ssize_t ignored = ::write(g_wake_fd, &byte, 1);
  (void)ignored;
  errno = saved;
}

class SignalScope {
 public:
  explicit SignalScope(int wake_fd) {
    g_wake_fd = wake_fd;
    g_stop_signal = 0;
    g_stop_count = 0;
    for (size_t i = 0; i < kCount; ++i) {
      sigaction(kSignals[i], nullptr, &old_[i]);
      // A stop signal inherited as ignored (nohup, `trap '' INT`) stays so.
      if (kSignals[i] != SIGCHLD && old_[i].sa_handler == SIG_IGN) continue;
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = OnSignal;
      sa.sa_flags = kSignals[i] == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : SA_RESTART;
      sigemptyset(&sa.sa_mask);
      sigaction(kSignals[i], &sa, nullptr);
    }
  }
  ~SignalScope() {
    for (size_t i = 0; i < kCount; ++i) sigaction(kSignals[i], &old_[i], nullptr);
    g_wake_fd = -1;
  }

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
  static constexpr size_t kCount = sizeof kSignals / sizeof kSignals[0];
  struct sigaction old_[kCount];
};

// --- runs ----------------------------------------------------------------------

struct Run {
  uint64_t number = 0;
  pid_t pid = -1;
  int out_fd = -1;  // read end of the pipe holding its stdout and stderr
  std::string output;
  std::string trace;  // where it records (a hidden temporary name)
  uint64_t seed = 0;
  uint64_t deadline_ns = 0;  // 0: no timeout
  uint64_t term_ns = 0;      // when SIGTERM was sent (0: not yet)
  bool timed_out = false;
  bool discard = false;  // stopped by the hunt: neither counted nor kept
};

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// Reads what the run's pipe holds now, keeping the first kMaxRunOutput bytes.
void ReadOutput(Run* run) {
  char buf[1 << 16];
  while (run->out_fd >= 0) {
    ssize_t n = ::read(run->out_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more for now
    if (n == 0) {
      CloseFd(&run->out_fd);
      return;
    }
    size_t room = kMaxRunOutput - std::min(kMaxRunOutput, run->output.size());
    run->output.append(buf, std::min(room, size_t(n)));
  }
}

void Stop(Run* run, uint64_t now) {
  if (run->term_ns == 0) {
    ::kill(-run->pid, SIGTERM);
    run->term_ns = now;
  } else if (now - run->term_ns >= kStopGraceMs * kMsNs) {
    ::kill(-run->pid, SIGKILL);
  }
}

// A string of the run's argv that stays valid until exec.
struct Argv {
  std::vector<std::string> strings;
  std::vector<char*> pointers;
  explicit Argv(std::vector<std::string> args) : strings(std::move(args)) {
    for (std::string& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
};

// Starts `run`. Only async-signal-safe calls between fork and exec.
Status Launch(const HuntOptions& o, int devnull, Run* run) {
  Argv argv(o.command(run->number, run->trace, run->seed));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::FromErrno("cannot start run " + std::to_string(run->number) + ": pipe", errno);
  }
  const char* exe = o.executable.c_str();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Status::FromErrno("cannot start run " + std::to_string(run->number) + ": fork", err);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the hunt is already gone
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGTERM, &dfl, nullptr);  // the hunt stops runs with it
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(devnull, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::execv(exe, argv.pointers.data());
    const char message[] = "tape hunt: cannot execute the program for a run\n";
    ssize_t ignored = ::write(2, message, sizeof message - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // as the child does: whichever runs first
  ::close(pipe_fds[1]);
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  run->pid = pid;
  run->out_fd = pipe_fds[0];
  return Status::Ok();
}

// XXH3 of the trace's site ids in seq order: the run's path.
Result<uint64_t> PathOf(const format::TraceReader& reader) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 XXH3_freeState);
  XXH3_64bits_reset(state.get());
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < reader.chunks().size(); ++c) {
    Status s = reader.ReadChunk(c, format::kDecodeSites, &decoder, &chunk);
    if (!s.ok()) return s;
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint8_t id[8];
      format::StoreU64(id, chunk.site(i));
      XXH3_64bits_update(state.get(), id, 8);
    }
  }
  return uint64_t(XXH3_64bits_digest(state.get()));
}

// NAME made safe as part of a file name ("flaky.tape" -> "flaky").
std::string SafeName(std::string name) {
  if (name.ends_with(".tape")) name.resize(name.size() - 5);
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (name.empty() || name[0] == '.') name = "run" + name;
  return name.substr(0, 128);
}

// Renames `from` to DIR/NAME-runN.bin, or -2, -3, ... when that exists:
// never over an existing file.
Result<std::string> KeepAs(const std::string& from, const std::string& dir, const std::string& name,
                           uint64_t run) {
  std::string base = (std::filesystem::path(dir) / (name + "-run" + std::to_string(run))).string();
  for (int attempt = 1; attempt <= 1000; ++attempt) {
    std::string to = base;
    if (attempt > 1) to += '-' + std::to_string(attempt);
    to += ".bin";
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return to;
    }
    if (errno == EEXIST) continue;
    if (errno != EINVAL && errno != ENOSYS) return Status::FromErrno("cannot keep " + to, errno);
    // A file system without RENAME_NOREPLACE: link refuses an existing name too.
    if (::link(from.c_str(), to.c_str()) == 0) {
      format::RemoveRegularFile(from);
      return to;
    }
    if (errno != EEXIST) return Status::FromErrno("cannot keep " + to, errno);
  }
  return Status::IoError("cannot keep the trace of run " + std::to_string(run) + ": " + base +
                         ".bin and 999 more names like it exist");
}

// Removes the files in directory `dir` (not following links) and then the
// directory `name` of `parent`: a hunt's work directory. Returns false when
// something stays (a directory inside it that the hunt did not make).
bool RemoveWorkDir(int parent, const char* name, int dir) {
  if (DIR* d = ::fdopendir(::dup(dir))) {
    ::rewinddir(d);  // the duplicate shares the offset
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        ::unlinkat(dir, e->d_name, 0);
      }
    }
    ::closedir(d);
  }
  return ::unlinkat(parent, name, AT_REMOVEDIR) == 0;
}

// The pid in a name KEEP/.tape-hunt-PID-..., or 0.
pid_t HuntPidOf(const char* name) {
  size_t prefix = sizeof kWorkPrefix - 1;
  if (std::strncmp(name, kWorkPrefix, prefix) != 0) return 0;
  const char* digits = name + prefix;
  const char* end = std::strchr(digits, '-');
  int pid = 0;
  if (end == nullptr || end == digits) return 0;
  auto [stop, ec] = std::from_chars(digits, end, pid);
  return ec == std::errc() && stop == end && pid > 0 ? pid_t(pid) : 0;
}

// Removes what killed hunts left in the keep directory `dir`: the work
// directories (and the per-run files of older versions of tape) of hunts
// whose process is gone, owned by this user, that nobody holds locked.
// Links and entries of live processes or other users are left alone.
void RemoveDeadHunts(const std::string& dir) {
  int keep = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (keep < 0) return;
  DIR* d = ::fdopendir(::dup(keep));
  if (d == nullptr) {
    ::close(keep);
    return;
  }
  while (dirent* e = ::readdir(d)) {
    pid_t pid = HuntPidOf(e->d_name);
    if (pid == 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to ask)
    struct stat st;
    if (::fstatat(keep, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != ::geteuid()) {
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      ::unlinkat(keep, e->d_name, 0);
    } else if (S_ISDIR(st.st_mode)) {
      int work = ::openat(keep, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (work < 0) continue;
      // Still the directory looked at (not one swapped in since), and free.
      struct stat opened;
      if (::fstat(work, &opened) == 0 && opened.st_dev == st.st_dev && opened.st_ino == st.st_ino &&
          ::flock(work, LOCK_EX | LOCK_NB) == 0) {
        RemoveWorkDir(keep, e->d_name, work);
      }
      ::close(work);
    }
  }
  ::closedir(d);
  ::close(keep);
}

// The last `max_lines` lines of a run's output, escaped, for the summary.
std::vector<std::string> OutputTail(const std::string& output, bool cut, size_t max_lines) {
  std::vector<std::string> lines;
  std::string_view rest = output;
  while (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  while (!rest.empty() && lines.size() < max_lines) {
    size_t nl = rest.rfind('\n');
    std::string_view line = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
    lines.push_back(EscapeText(line, false, false, 200));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(0, nl);
  }
  if (!rest.empty() || cut) lines.push_back("...");
  std::reverse(lines.begin(), lines.end());
  if (cut)
    lines.push_back("... (output after the first " + std::to_string(kMaxRunOutput >> 20) +
                    " MiB not kept)");
  return lines;
}

std::string Percent(double fraction) {
  char buf[32];
  double pct = 100 * fraction;
  if (pct == 0 || pct >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f%%", pct);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g%%", pct);
  }
  return buf;
}

// "26", "3.5", "0.42": runs per second with two significant digits or more,
// so that a short hunt of slow runs does not read "0 runs/s".
std::string RunsPerSecond(uint64_t runs, double seconds) {
  double rate = seconds > 0 ? double(runs) / seconds : 0.0;
  char buf[32];
  if (rate >= 10 || rate == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", rate);
  } else if (rate >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f", rate);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g", rate);
  }
  return buf;
}

class Progress {
 public:
  Progress(const HuntOptions& o) : label_(o.label), enabled_(o.progress && ::isatty(2) == 1) {}
  ~Progress() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }
  void Draw(const HuntReport& r, uint64_t start_ns, uint64_t now) {
    if (!enabled_ || now - last_ns_ < 100 * kMsNs) return;
    last_ns_ = now;
    double seconds = double(now - start_ns) / 1e9;
    std::fprintf(stderr, "\r%s: %llu runs, %llu failed, %s runs/s\033[K", label_.c_str(),
                 (unsigned long long)r.runs, (unsigned long long)r.failures,
                 RunsPerSecond(r.runs, seconds).c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t last_ns_ = 0;
};

// One hunt: the runs in flight and what they found.
class Hunter {
 public:
  explicit Hunter(const HuntOptions& o) : o_(o), name_(SafeName(o.name)) {}

  HuntReport Go() {
    uint64_t start = MonotonicNs();
    report_.jobs = o_.jobs ? o_.jobs : UsableCpus();
    if (!Prepare()) return Finish(start);
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
      Error(Status::FromErrno("cannot start the hunt: pipe", errno).message());
      return Finish(start);
    }
    devnull_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    {
      SignalScope signals(wake[1]);
      Progress progress(o_);
      Loop(wake[0], start, &progress);
    }
    ::close(wake[0]);
    ::close(wake[1]);
    CloseFd(&devnull_);
    return Finish(start);
  }

 private:
  bool Prepare() {
    if (o_.until.kind == HuntCondition::Kind::kOutputMatches) {
      std::string why = regex_.Compile(o_.until.pattern);
      if (!why.empty()) return Error("--until " + o_.until.text + ": " + why);
    }
    std::error_code ec;
    created_dir_ = std::filesystem::create_directories(o_.keep_dir, ec);
    if (ec) return Error("cannot create the directory " + o_.keep_dir + ": " + ec.message());
    if (::access(o_.keep_dir.c_str(), W_OK | X_OK) != 0) {
      return Error(Status::FromErrno("cannot write traces to " + o_.keep_dir, errno).message());
    }
    RemoveDeadHunts(o_.keep_dir);
    // The runs record in a directory of the hunt's own: nobody else can
    // plant a link at a run's path, however predictable its name.
    std::string work = (std::filesystem::path(o_.keep_dir) /
                        (kWorkPrefix + std::to_string(::getpid()) + "-XXXXXX"))
                           .string();
    if (::mkdtemp(work.data()) == nullptr) {
      return Error(
          Status::FromErrno("cannot create a directory for the runs in " + o_.keep_dir, errno)
              .message());
    }
    work_dir_ = work;
    work_fd_ = ::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (work_fd_ < 0 || ::flock(work_fd_, LOCK_EX | LOCK_NB) != 0) {
      return Error(Status::FromErrno("cannot use the directory " + work, errno).message());
    }
    return true;
  }

  // A new, empty file for run `run` to record into, in the work directory.
  Status CreateRunFile(Run* run) {
    std::string name = std::to_string(run->number);
    int fd = ::openat(work_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0644);
    if (fd < 0) {
      return Status::FromErrno(
          "cannot create the trace of run " + std::to_string(run->number) + " in " + work_dir_,
          errno);
    }
    ::close(fd);
    run->trace = work_dir_ + "/" + name;
    return Status::Ok();
  }

  bool Error(const std::string& message) {
    if (report_.error.empty()) report_.error = message;
    stopping_ = true;
    return false;
  }

  HuntReport Finish(uint64_t start) {
    report_.elapsed_ns = MonotonicNs() - start;
    if (work_fd_ >= 0) {
      std::string parent = std::filesystem::path(work_dir_).parent_path().string();
      std::string name = std::filesystem::path(work_dir_).filename().string();
      int keep = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (keep >= 0) {
        RemoveWorkDir(keep, name.c_str(), work_fd_);
        ::close(keep);
      }
      CloseFd(&work_fd_);
    } else if (!work_dir_.empty()) {
      ::rmdir(work_dir_.c_str());
    }
    // A directory made for traces that nothing was kept in goes again.
    if (created_dir_ && report_.kept.empty()) ::rmdir(o_.keep_dir.c_str());
    if (!report_.error.empty()) {
      report_.status = HuntReport::Status::kError;
    } else if (report_.signal != 0) {
      report_.status = HuntReport::Status::kInterrupted;
    } else {
      report_.status =
          report_.kept.empty() ? HuntReport::Status::kNotFound : HuntReport::Status::kFound;
    }
    return std::move(report_);
  }

  void StopAll(uint64_t now) {
    stopping_ = true;
    for (Run& r : running_) {
      r.discard = true;
      Stop(&r, now);
    }
  }

  void Loop(int wake_fd, uint64_t start, Progress* progress) {
    uint64_t next = 1;
    std::vector<pollfd> fds;
    while (true) {
      while (!stopping_ && running_.size() < report_.jobs && next <= o_.runs) {
        Run run;
        run.number = next++;
        run.seed = o_.chaos ? RunSeed(o_.seed, run.number) : 0;
        if (o_.timeout_s) run.deadline_ns = MonotonicNs() + uint64_t(o_.timeout_s) * 1000 * kMsNs;
        Status s = CreateRunFile(&run);
        if (s.ok()) s = Launch(o_, devnull_, &run);
        if (!s.ok()) {
          Error(s.message());
          StopAll(MonotonicNs());
          break;
        }
        running_.push_back(std::move(run));
      }
      if (running_.empty()) break;

      fds.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      for (const Run& r : running_) {
        if (r.out_fd >= 0) fds.push_back({r.out_fd, POLLIN, 0});
      }
      ::poll(fds.data(), nfds_t(fds.size()), WaitMs());
      char drain[64];
      while (::read(wake_fd, drain, sizeof drain) > 0) {
      }
      uint64_t now = MonotonicNs();
      if (g_stop_signal != 0 && report_.signal == 0) {
        report_.signal = g_stop_signal;
        StopAll(now);
      }
      if (g_stop_count >= 2) {
        for (Run& r : running_) ::kill(-r.pid, SIGKILL);  // no more waiting
      }
      for (size_t i = 0; i < running_.size();) {
        Run& r = running_[i];
        ReadOutput(&r);
        int status = 0;
        pid_t done = ::waitpid(r.pid, &status, WNOHANG);
        if (done < 0 && errno == ECHILD) {
          // Reaped by someone else: its exit status is lost (counts as 255).
          done = r.pid;
          status = 255 << 8;
        }
        if (done == r.pid) {
          ReadOutput(&r);      // what it wrote before it ended
          CloseFd(&r.out_fd);  // its own children may hold the pipe open
          Finished(&r, status, now);
          running_.erase(running_.begin() + ptrdiff_t(i));
          continue;
        }
        if (r.term_ns != 0) {
          Stop(&r, now);  // escalates to SIGKILL after the grace time
        } else if (r.deadline_ns != 0 && now >= r.deadline_ns) {
          r.timed_out = true;
          Stop(&r, now);
        }
        ++i;
      }
      progress->Draw(report_, start, now);
    }
  }

  // How long poll() may sleep: until the next deadline, at most 250 ms (a
  // safety net; SIGCHLD and output wake it sooner).
  int WaitMs() const {
    uint64_t now = MonotonicNs(), until = now + 250 * kMsNs;
    for (const Run& r : running_) {
      if (r.term_ns != 0) {
        until = std::min(until, r.term_ns + kStopGraceMs * kMsNs);
      } else if (r.deadline_ns != 0) {
        until = std::min(until, r.deadline_ns);
      }
    }
    return until <= now ? 0 : int((until - now + kMsNs - 1) / kMsNs);
  }

  // A run ended: count it, and keep or delete its trace.
  void Finished(Run* r, int status, uint64_t now) {
    if (r->discard) {
      format::RemoveRegularFile(r->trace);
      ++report_.stopped;
      return;
    }
    int code = WIFEXITED(status)     ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : 255;
    struct stat st;
    if (::stat(r->trace.c_str(), &st) != 0 || st.st_size == 0) {
      NotRecorded(*r, r->output,
                  "run " + std::to_string(r->number) + " left no trace (it exited with code " +
                      std::to_string(code) + ")",
                  now);
      return;
    }
    if (code == kTraceErrorExit && !r->timed_out) {
      // tape's exit code for a trace it could not write, unless the trace
      // is whole and says the program itself exited with it.
      auto reader = format::TraceReader::Open(r->trace);
      if (!reader.has_value() || !(*reader)->finalized() ||
          !((*reader)->outcome() == format::Outcome::Exited(kTraceErrorExit))) {
        NotRecorded(*r, r->output,
                    "tape could not record run " + std::to_string(r->number) +
                        " (it exited with code " + std::to_string(code) +
                        ", tape's code for a trace it cannot write)",
                    now);
        return;
      }
    }
    bool failed = false;
    switch (o_.until.kind) {
      case HuntCondition::Kind::kExitNot:
        failed = code != o_.until.code;
        break;
      case HuntCondition::Kind::kExitIs:
        failed = code == o_.until.code;
        break;
      case HuntCondition::Kind::kOutputMatches:
        failed = regex_.Matches(r->output);
        break;
    }
    if (!failed) {
      ++report_.runs;
      if (r->timed_out) ++report_.timeouts;
      format::RemoveRegularFile(r->trace);
      return;
    }
    HuntFailure f;
    f.run = r->number;
    f.exit_code = code;
    f.timed_out = r->timed_out;
    f.chaos_seed = r->seed;
    f.output = std::move(r->output);
    {
      auto reader = format::TraceReader::Open(r->trace);
      Result<uint64_t> path = reader.has_value() ? PathOf(**reader) : reader.error();
      if (!path.has_value()) {
        NotRecorded(*r, f.output,
                    "the trace of run " + std::to_string(r->number) +
                        " cannot be read: " + path.error().message(),
                    now);
        return;
      }
      f.path = *path;
      f.outcome = (*reader)->outcome().Describe();
      if ((*reader)->outcome().kind == format::OutcomeKind::kInterrupted && !r->timed_out) {
        // Its recording stopped short (a trace write error, a signal from
        // outside): the hunt cannot tell whether the program failed.
        NotRecorded(*r, f.output,
                    "the recording of run " + std::to_string(r->number) + " " + f.outcome, now);
        return;
      }
    }
    // Counted only now: a run tape could not record is not a run of the
    // program, and the failure rate must not count it.
    ++report_.runs;
    if (r->timed_out) ++report_.timeouts;
    ++report_.failures;
    for (const HuntFailure& k : report_.kept) {
      if (k.path == f.path) {
        ++report_.same_path;
        format::RemoveRegularFile(r->trace);
        return;
      }
    }
    Result<std::string> kept = KeepAs(r->trace, o_.keep_dir, name_, r->number);
    if (!kept.has_value()) {
      format::RemoveRegularFile(r->trace);
      Error(kept.error().message());
      StopAll(now);
      return;
    }
    f.trace = *kept;
    report_.kept.push_back(std::move(f));
    if (report_.kept.size() >= o_.keep_failures) StopAll(now);
  }

  // Run `r` cannot tell whether the program failed (`what`: why): an error
  // of the hunt, which stops, showing the end of the run's `output` (where
  // tape said what went wrong: a full disk, ...). The run is not counted.
  void NotRecorded(const Run& r, const std::string& output, const std::string& what, uint64_t now) {
    format::RemoveRegularFile(r.trace);
    std::string tail;
    for (const std::string& line : OutputTail(output, false, 6)) tail += "\n  " + line;
    Error(what + "; its output:" + (tail.empty() ? " (none)" : tail));
    StopAll(now);
  }

  const HuntOptions& o_;
  const std::string name_;
  Regex regex_;
  HuntReport report_;
  std::vector<Run> running_;
  bool stopping_ = false;
  bool created_dir_ = false;  // the keep directory did not exist before
  int devnull_ = -1;
  std::string work_dir_;  // where the runs record (kWorkPrefix)
  int work_fd_ = -1;      // work_dir_, open and locked while the hunt runs
};

}  // namespace

uint32_t UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    return uint32_t(CPU_COUNT(&set));
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? uint32_t(n) : 1;
}


Result<HuntCondition> ParseHuntCondition(std::string_view text) {
  HuntCondition c;
  c.text = std::string(text);
  const std::string expected =
      "expected exit!=K, exit==K (K from 0 to 255; 128+N for signal N) or output~REGEX";
  if (text.starts_with("output~")) {
    c.kind = HuntCondition::Kind::kOutputMatches;
    c.pattern = std::string(text.substr(7));
    if (c.pattern.empty()) return Status::InvalidArgument("'" + c.text + "': the regex is empty");
    Regex check;
    std::string why = check.Compile(c.pattern);
    if (!why.empty()) {
      return Status::InvalidArgument("'" + c.text + "': not a regular expression: " + why);
    }
    return c;
  }
  if (text.starts_with("exit!=") || text.starts_with("exit==")) {
    c.kind = text[4] == '!' ? HuntCondition::Kind::kExitNot : HuntCondition::Kind::kExitIs;
    if (!ParseCode(text.substr(6), &c.code)) {
      return Status::InvalidArgument("'" + c.text + "': " + expected);
    }
    return c;
  }
  return Status::InvalidArgument("'" + c.text + "': " + expected);
}

HuntReport Hunt(const HuntOptions& options) { return Hunter(options).Go(); }

int HuntExitCode(const HuntReport& report) {
  switch (report.status) {
    case HuntReport::Status::kFound:
      return 0;
    case HuntReport::Status::kNotFound:
      return 1;
    case HuntReport::Status::kInterrupted:
      return 128 + report.signal;
    case HuntReport::Status::kError:
      return 81;
  }
  return 81;
}

void WilsonInterval(uint64_t failures, uint64_t runs, double* low, double* high) {
  if (runs == 0) {
    *low = 0;
    *high = 1;
    return;
  }
  const double z = 1.959963984540054;  // the 97.5th percentile of the normal distribution
  double n = double(runs), p = double(failures) / n, z2 = z * z;
  double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // Exact at the ends (rounding would leave 1e-18 for none of n).
  *low = failures == 0 ? 0.0 : std::max(0.0, center - half);
  *high = failures == runs ? 1.0 : std::min(1.0, center + half);
}

uint64_t RunSeed(uint64_t seed, uint64_t run) {
  uint64_t z = seed + run * 0x9e3779b97f4a7c15ull;  // SplitMix64's finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::vector<std::string> DescribeHunt(
    const HuntReport& r, const HuntOptions& o,
    const std::function<std::string(const std::string&)>& replay_command) {
  std::vector<std::string> lines;
  for (const HuntFailure& f : r.kept) {
    // The first line of the outcome (a script error's source line and caret
    // are in the output below).
    std::string outcome = f.outcome.substr(0, f.outcome.find('\n'));
    std::string line =
        "run " + std::to_string(f.run) + " failed: the program " + EscapeText(outcome, false);
    if (f.timed_out) line += " (it ran past --timeout " + std::to_string(o.timeout_s) + " s)";
    if (o.chaos) line += " (chaos seed " + std::to_string(f.chaos_seed) + ")";
    lines.push_back(line);
    for (const std::string& out : OutputTail(f.output, f.output.size() >= kMaxRunOutput, 6)) {
      lines.push_back("    " + out);
    }
  }
  double seconds = double(r.elapsed_ns) / 1e9;
  char rate[96];
  std::snprintf(rate, sizeof rate, "%.2f s (%s runs/s, %u at a time", seconds,
                RunsPerSecond(r.runs, seconds).c_str(), r.jobs);
  double low, high;
  WilsonInterval(r.failures, r.runs, &low, &high);
  std::string line = std::to_string(r.runs) + (r.runs == 1 ? " run in " : " runs in ") + rate +
                     (r.stopped ? "; " + std::to_string(r.stopped) + " more stopped unfinished)"
                                : std::string(")")) +
                     ": " + std::to_string(r.failures) + " failed";
  if (r.runs > 0) {
    line += ", " + Percent(double(r.failures) / double(r.runs)) + " (95% interval " + Percent(low) +
            " to " + Percent(high) + ")";
  }
  lines.push_back(line);
  if (r.same_path) {
    lines.push_back(std::to_string(r.same_path) +
                    (r.same_path == 1 ? " more failure" : " more failures") +
                    " took a path already kept (not kept)");
  }
  if (r.timeouts) {
    lines.push_back(std::to_string(r.timeouts) + (r.timeouts == 1 ? " run was" : " runs were") +
                    " stopped after --timeout " + std::to_string(o.timeout_s) + " s");
  }
  if (r.status == HuntReport::Status::kInterrupted) {
    const char* name = SignalName(r.signal);
    lines.push_back(std::string("stopped by ") + (name[0] ? name : "a signal") +
                    ": the runs in progress were stopped and their traces deleted");
  } else if (r.status == HuntReport::Status::kNotFound) {
    lines.push_back("no run met --until " + EscapeText(o.until.text, false) + "; no trace kept");
  }
  for (const HuntFailure& f : r.kept) {
    lines.push_back("kept " + EscapeText(f.trace, false) +
                    "; replay it: " + EscapeText(replay_command(f.trace), false));
  }
  return lines;
}

}  // namespace tape::engine
