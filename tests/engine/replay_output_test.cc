// What replay shows of io.write and io.error: the recorded bytes written
// again, one write(2) per call at the moment of the call, so that they keep
// their place among the program's other output; and what the program gets
// when such a write fails: the recorded result, whatever happens to the
// write on replay.

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
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

}  // namespace
}  // namespace tape::testing
