// Native debugging hooks (tape/debug.h): `--stop-at SEQ` raises SIGTRAP for
// a tracing debugger exactly before event SEQ is served, also inside a run of
// clock readings that replay serves without matching each call; and
// tape::CurrentSeq() is the next call's seq while a run is in progress.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "engine/src/debug_stop.h"
#include "tape/debug.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// Ten clock readings (an integer run on replay), then five writes.
int Clocks(Runtime& rt) {
  int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += rt.ClockNow() % 2;
  for (int i = 0; i < 5; ++i) rt.IoWrite(std::to_string(i));
  return static_cast<int>(sum % 2);
}

TEST(CurrentSeq, IsTheNextCallsSeqDuringARun) {
  EXPECT_EQ(CurrentSeq(), UINT64_MAX);
  EXPECT_EQ(tape_current_seq(), UINT64_MAX);
  TempDir dir;
  std::vector<uint64_t> seen;
  Program p = TestProgram("seqs", [&](Runtime& rt) {
    seen.push_back(CurrentSeq());
    rt.ClockNow();
    rt.ClockNow();
    seen.push_back(CurrentSeq());
    rt.IoWrite("x");
    seen.push_back(tape_current_seq());
    return 0;
  });
  RecordCaptured(dir, p, "t.bin");
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 2, 3}));
  seen.clear();
  ReplayCaptured(dir, p, "t.bin");
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 2, 3}));
  EXPECT_EQ(CurrentSeq(), UINT64_MAX);
}

#if !defined(__SANITIZE_THREAD__)
// The child replays under this test as its debugger (ptrace); at the
// SIGTRAP, what it wrote so far shows where it stopped.
TEST(StopAt, RaisesSigtrapJustBeforeTheEventUnderADebugger) {
  TempDir dir;
  Program p = TestProgram("clocks", Clocks);
  ASSERT_EQ(RecordCaptured(dir, p, "t.bin").out, "01234");
  for (uint64_t stop_at : {uint64_t{4}, uint64_t{12}}) {
    std::string out = dir.File("out" + std::to_string(stop_at));
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      raise(SIGSTOP);  // wait for the parent to be ready
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ReplayOptions o;
      o.trace_path = dir.File("t.bin");
      o.stdout_fd = fd;
      o.stop_at = stop_at;
      RunReport r = Replay(p, o);
      _exit(r.status == RunReport::Status::kOk ? 0 : 3);
    }
    struct Reap {  // a failed expectation leaves no stopped child behind
      pid_t pid;
      bool done = false;
      ~Reap() {
        if (!done) {
          kill(pid, SIGKILL);
          waitpid(pid, nullptr, 0);
        }
      }
    } reap{child};
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    ASSERT_TRUE(engine::DebuggerAttached() == false);  // this process is not traced
    ptrace(PTRACE_CONT, child, nullptr, nullptr);
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSTOPPED(status)) << status;
    EXPECT_EQ(WSTOPSIG(status), SIGTRAP);
    // Seq 4 is a clock reading inside the run: nothing written yet. Seq 12 is
    // the third write: two written.
    EXPECT_EQ(ReadFile(out), stop_at == 4 ? "" : "01");
    ptrace(PTRACE_CONT, child, nullptr, nullptr);  // the signal is not delivered
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    reap.done = true;
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(ReadFile(out), "01234");
  }
}
#endif

}  // namespace
}  // namespace tape::testing
