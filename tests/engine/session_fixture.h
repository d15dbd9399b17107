// Helpers for engine tests: record and replay programs in-process with their
// output captured in files.

#ifndef TAPE_TESTS_ENGINE_SESSION_FIXTURE_H_
#define TAPE_TESTS_ENGINE_SESSION_FIXTURE_H_

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "tape/session.h"
#include "tests/format/trace_fixture.h"

namespace tape::testing {

using format::testing::ReadFile;
using format::testing::TempDir;

struct Captured {
  RunReport report;
  std::string out;  // what the program wrote with io.write
};

inline Captured RecordCaptured(const TempDir& dir, const Program& p, const std::string& trace,
                               std::vector<std::string> args = {}) {
  std::string out_path = dir.File(trace + ".record.out");
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RecordOptions o;
  o.trace_path = dir.File(trace);
  o.args = std::move(args);
  o.stdout_fd = fd;
  Captured c{Record(p, o), ""};
  ::close(fd);
  c.out = ReadFile(out_path);
  return c;
}

inline Captured ReplayCaptured(const TempDir& dir, const Program& p, const std::string& trace) {
  std::string out_path = dir.File(trace + ".replay.out");
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ReplayOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = fd;
  Captured c{Replay(p, o), ""};
  ::close(fd);
  c.out = ReadFile(out_path);
  return c;
}

inline Program TestProgram(std::string name, std::function<int(Runtime&)> main) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = std::move(name);
  p.code_hash = "test-hash";
  p.main = std::move(main);
  return p;
}

// Runs `f` and returns what it returns. If `f` has not returned after
// `limit`, the test has hung (a replay waiting forever, a sleep that should
// not happen): the process ends with a message, since a stuck thread cannot
// be stopped. A deadline far beyond what a loaded machine needs, never a
// measure of speed.
template <class F>
auto FinishesWithin(std::chrono::seconds limit, F f) -> decltype(f()) {
  auto result = std::async(std::launch::async, std::move(f));
  if (result.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: %s did not finish within %lld s; it hangs\n",
                 ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                 (long long)limit.count());
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

}  // namespace tape::testing

#endif  // TAPE_TESTS_ENGINE_SESSION_FIXTURE_H_
