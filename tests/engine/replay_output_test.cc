// What replay shows of io.write and io.error: the recorded bytes written
// again, one write(2) per call at the moment of the call, so that they keep
// their place among the program's other output; what the program gets when
// such a write fails: the recorded result, whatever happens to the write on
// replay; and that replay's read-ahead thread neither shares the program's
// descriptor table (which makes each of the program's system calls on a
// descriptor dearer) nor holds the program's files open.

#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// Descriptor 2 (where io.error writes) sent to `fd` while the object lives.
class StderrTo {
 public:
  explicit StderrTo(int fd) : saved_(::dup(2)) { ::dup2(fd, 2); }
  ~StderrTo() {
    ::dup2(saved_, 2);
    ::close(saved_);
  }
  StderrTo(const StderrTo&) = delete;
  StderrTo& operator=(const StderrTo&) = delete;

 private:
  int saved_;
};

// Loops of io.write at one site (replayed as runs: Runtime::IoWrite serves
// them inline), broken now and then by an io.error, with writes the program
// makes itself on the same file between two calls of a run.
struct Interleaved {
  int own_fd = -1;  // the program's own descriptor for the output file
  static constexpr int kLines = 300;
  Program program() {
    return TestProgram("interleaved-output", [this](Runtime& rt) {
      for (int i = 0; i < kLines; ++i) {
        if (rt.IoWrite("tick\n") != 0) return 1;
        if (i % 100 == 99 && rt.IoError("err " + std::to_string(i) + "\n") != 0) return 1;
        if (i % 7 == 3 && ::write(own_fd, "own\n", 4) != 4) return 1;
      }
      return 0;
    });
  }
  static std::string Expected() {
    std::string out;
    for (int i = 0; i < kLines; ++i) {
      out += "tick\n";
      if (i % 100 == 99) out += "err " + std::to_string(i) + "\n";
      if (i % 7 == 3) out += "own\n";
    }
    return out;
  }
};

// Standard output, standard error and the program's own writes all go to
// one open file (one offset), as with `program > out 2>&1`: the file shows
// the order in which the writes were made.
template <class Run>
std::string OneFile(const TempDir& dir, const std::string& name, Interleaved* program, Run run) {
  std::string path = dir.File(name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  program->own_fd = fd;
  {
    StderrTo to(fd);
    run(fd);
  }
  ::close(fd);
  return ReadFile(path);
}

TEST(ReplayOutput, KeepsItsPlaceAmongErrorsAndTheProgramsOwnWrites) {
  TempDir dir;
  Interleaved program;
  RunReport recorded, replayed;
  std::string at_record = OneFile(dir, "record.out", &program, [&](int fd) {
    RecordOptions o;
    o.trace_path = dir.File("t");
    o.stdout_fd = fd;
    recorded = Record(program.program(), o);
  });
  ASSERT_EQ(recorded.status, RunReport::Status::kOk) << recorded.error;
  EXPECT_EQ(at_record, Interleaved::Expected());

  std::string at_replay = OneFile(dir, "replay.out", &program, [&](int fd) {
    ReplayOptions o;
    o.trace_path = dir.File("t");
    o.stdout_fd = fd;
    replayed = Replay(program.program(), o);
  });
  ASSERT_EQ(replayed.status, RunReport::Status::kOk) << replayed.error;
  EXPECT_EQ(replayed.events, uint64_t(Interleaved::kLines + Interleaved::kLines / 100));
  EXPECT_EQ(at_replay, Interleaved::Expected());
}

// A loop of writes whose results the program keeps.
struct Results {
  std::vector<int> got;
  Program program() {
    return TestProgram("write-results", [this](Runtime& rt) {
      got.clear();
      for (int i = 0; i < 50; ++i) got.push_back(rt.IoWrite("line\n"));
      return 0;
    });
  }
};

TEST(ReplayOutput, AWriteThatFailsOnReplayGivesTheRecordedResult) {
  TempDir dir;
  Results results;
  Captured rec = RecordCaptured(dir, results.program(), "t");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  ASSERT_EQ(results.got, std::vector<int>(50, 0));
  ASSERT_EQ(rec.out.size(), 50u * 5);

  // Standard output that cannot be written on replay: a descriptor open for
  // reading only (EBADF), a full device (ENOSPC). The program gets the
  // recorded 0 from every call, and the replay is whole.
  for (const char* device : {"/dev/null", "/dev/full"}) {
    int fd = ::open(device, std::string(device) == "/dev/null" ? O_RDONLY : O_WRONLY);
    ASSERT_GE(fd, 0) << device;
    ReplayOptions o;
    o.trace_path = dir.File("t");
    o.stdout_fd = fd;
    results.got.assign(3, -1);
    RunReport r = Replay(results.program(), o);
    ::close(fd);
    ASSERT_EQ(r.status, RunReport::Status::kOk) << device << ": " << r.error;
    EXPECT_EQ(r.events, 50u) << device;
    EXPECT_EQ(results.got, std::vector<int>(50, 0)) << device;
  }
}

TEST(ReplayOutput, AWriteThatFailedWhenRecordedFailsAgainWithItsErrno) {
  TempDir dir;
  Results results;
  int read_only = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(read_only, 0);
  RecordOptions ro;
  ro.trace_path = dir.File("t");
  ro.stdout_fd = read_only;
  RunReport rec = Record(results.program(), ro);
  ::close(read_only);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  ASSERT_EQ(results.got, std::vector<int>(50, EBADF));

  // Replayed to a file that takes the writes: the program still gets EBADF.
  results.got.clear();
  Captured rep = ReplayCaptured(dir, results.program(), "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << rep.report.error;
  EXPECT_EQ(results.got, std::vector<int>(50, EBADF));
}

// What the replay's read-ahead thread (named "tape-readahead") shows halfway
// through: whether it shares the caller's descriptor table (kcmp(2)) and
// whether it blocks `sig` (SigBlk in its /proc status). Other threads a
// sanitizer's runtime may start are not tape's and are not looked at.
struct ReadAheadThread {
  int found = 0;           // threads of that name
  int sharing = 0;         // of them, those sharing the table; -1: kcmp unavailable
  int not_blocking = 0;    // of them, those not blocking `sig`
};
ReadAheadThread LookAtReadAheadThread(int sig) {
  ReadAheadThread t;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return t;
  pid_t self = pid_t(::syscall(SYS_gettid));
  while (dirent* e = ::readdir(tasks)) {
    pid_t tid = pid_t(std::atoi(e->d_name));
    if (tid <= 0 || tid == self) continue;
    std::string dir = "/proc/self/task/" + std::to_string(tid);
    std::string name;
    std::getline(std::ifstream(dir + "/comm"), name);
    if (name != "tape-readahead") continue;
    ++t.found;
    long same = ::syscall(SYS_kcmp, self, tid, KCMP_FILES, 0, 0);
    if (same < 0 || t.sharing < 0) {
      t.sharing = -1;
    } else {
      t.sharing += same == 0;
    }
    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) != 0) continue;
      uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
      t.not_blocking += ((mask >> (sig - 1)) & 1) == 0;
    }
  }
  ::closedir(tasks);
  return t;
}

// A replay long enough (small chunks) that the read-ahead thread is still at
// work when the program, past the first chunks, looks at its threads and
// closes the write end of a pipe that was open when the replay started.
struct PipeCloser {
  bool replaying = false;
  int write_end = -1, read_end = -1;
  ReadAheadThread seen;    // LookAtReadAheadThread(SIGUSR1) halfway
  long read_after = -2;    // read(2) of the pipe after its write end was closed
  int errno_after = 0;
  Program program() {
    return TestProgram("pipe-closer", [this](Runtime& rt) {
      for (int i = 0; i < 2000; ++i) {
        rt.IoWrite("tick\n");
        if (i == 1000 && replaying) {
          seen = LookAtReadAheadThread(SIGUSR1);
          ::close(write_end);
          char c;
          read_after = ::read(read_end, &c, 1);
          errno_after = errno;
        }
      }
      return 0;
    });
  }
};

TEST(ReplayOutput, TheReadAheadThreadSharesNoDescriptorsAndHoldsNoFileOpen) {
  TempDir dir;
  PipeCloser closer;
  RecordOptions ro;
  ro.trace_path = dir.File("t");
  ro.chunk_events = 64;  // 32 chunks: the read-ahead thread lives through the replay
  ro.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport rec = Record(closer.program(), ro);
  ::close(ro.stdout_fd);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  closer.read_end = fds[0];
  closer.write_end = fds[1];
  closer.replaying = true;
  ReplayOptions o;
  o.trace_path = dir.File("t");
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport r = Replay(closer.program(), o);
  ::close(o.stdout_fd);
  ::close(fds[0]);
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  ASSERT_EQ(closer.seen.found, 1) << "no read-ahead thread halfway through the replay";
  // A signal sent to the process is never handled on the read-ahead
  // thread, whose table lacks the program's descriptors (a handler writing
  // to a pipe there would get EBADF): it blocks every asynchronous signal.
  EXPECT_EQ(closer.seen.not_blocking, 0);
  if (closer.seen.sharing == -1) GTEST_SKIP() << "kcmp(2) is not available here";
  // No thread shares the program's descriptor table, and the pipe's reader
  // sees the end as soon as the program closes its only write end.
  EXPECT_EQ(closer.seen.sharing, 0);
  EXPECT_EQ(closer.read_after, 0) << "read(2) failed with errno " << closer.errno_after
                                  << ": another copy of the write end is open";
}

}  // namespace
}  // namespace tape::testing
