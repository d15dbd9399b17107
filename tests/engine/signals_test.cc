// Signals during a recording (engine/internal/signals.h), in child processes
// (death tests): one signal ends the process with one line and a finished
// trace, even when another thread gets a second one meanwhile; a signal that
// comes before the handlers are in place waits for them.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>
#include <signal.h>

#include <atomic>
#include <string>

#include "engine/internal/signals.h"
#include "format/layout.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tests/format/trace_fixture.h"

namespace tape::engine {
namespace {

using format::testing::TempDir;
using format::testing::TestHeader;

constexpr int kEvents = 5;

std::unique_ptr<format::TraceWriter> WriterWithEvents(const std::string& path,
                                                      const format::WriterOptions& options) {
  auto writer = format::TraceWriter::Create(path, TestHeader(), options);
  if (!writer.has_value()) std::abort();
  uint8_t result[8] = {};
  for (int i = 0; i < kEvents; ++i) (*writer)->Append(7, 1, {}, format::Bytes(result, 8));
  return std::move(writer).value();
}

// The trace the child left: finished, interrupted by SIGTERM, every event.
void ExpectInterruptedTrace(const std::string& path) {
  auto reader = format::TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  EXPECT_EQ((*reader)->outcome().kind, format::OutcomeKind::kInterrupted);
  EXPECT_EQ((*reader)->outcome().code, SIGTERM);
  EXPECT_EQ((*reader)->event_count(), uint64_t(kEvents));
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A second SIGTERM reaches the trace writer's own thread while the first
// handler waits for that thread to finish the trace. It must be dropped: a
// second handler there printed its own line ("the trace could not be
// finalized", since the writer's thread cannot wait for itself) and ended
// the process before the first one could finish the trace.
TEST(SignalsDeathTest, ASecondSignalOnAnotherThreadPrintsNothingAndLosesNothing) {
  GTEST_FLAG_SET(death_test_style, "fast");
  TempDir dir;
  std::string path = dir.File("two.bin");
  std::string err_path = dir.File("stderr");
  EXPECT_EXIT(
      {
        // The parent counts the lines (a death test's pattern cannot).
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(err, 2);
        format::WriterTestHooks hooks;
        std::atomic<bool> sent{false};
        hooks.at = [&](format::WriterStage stage) {
          // On the writer's thread, while the first handler waits for it.
          if (stage == format::WriterStage::kClosing && !sent.exchange(true)) {
            pthread_kill(pthread_self(), SIGTERM);
          }
        };
        format::WriterOptions options;
        options.test_hooks = &hooks;
        auto writer = WriterWithEvents(path, options);
        SignalGuard guard(writer.get(), nullptr, "tape record");
        pthread_kill(pthread_self(), SIGTERM);
        std::abort();  // not reached: the handler ends the process
      },
      ::testing::KilledBySignal(SIGTERM), "");
  std::string err = format::testing::ReadFile(err_path);
  EXPECT_EQ(Count(err, "interrupted by SIGTERM"), 1u) << err;
  EXPECT_EQ(Count(err, "the trace holds all of them"), 1u) << err;
  ExpectInterruptedTrace(path);
}

// A SIGTERM that comes before the handlers exist (tape is still parsing its
// command line, or creating the trace) is held, then handled as soon as
// the guard is in place: a finished trace, not a process killed with none.
TEST(SignalsDeathTest, ASignalBeforeTheGuardWaitsForIt) {
  GTEST_FLAG_SET(death_test_style, "fast");
  TempDir dir;
  std::string path = dir.File("early.bin");
  EXPECT_EXIT(
      {
        BlockTerminatingSignals hold;
        raise(SIGTERM);  // held
        auto writer = WriterWithEvents(path, format::WriterOptions());
        SignalGuard guard(writer.get(), nullptr, "tape record");
        std::abort();  // not reached: the held signal is handled in the guard
      },
      ::testing::KilledBySignal(SIGTERM), "tape record: interrupted by SIGTERM after 0 effect calls; the trace holds all of them");
  ExpectInterruptedTrace(path);
}

// A signal that comes after the program returned, once the guard is gone
// but before the trace is finished, waits for the trace (the guard blocks it
// again before it removes its handlers) and then ends the process. Without
// that it ended tape at once with the default action, leaving no footer.
TEST(SignalsDeathTest, ASignalAfterTheGuardWaitsForTheTrace) {
  GTEST_FLAG_SET(death_test_style, "fast");
  TempDir dir;
  std::string path = dir.File("late.bin");
  EXPECT_EXIT(
      {
        BlockTerminatingSignals hold;
        auto writer = WriterWithEvents(path, format::WriterOptions());
        { SignalGuard guard(writer.get(), nullptr, "tape record"); }
        raise(SIGTERM);  // the program has returned; the trace is not finished yet
        if (!writer->Finish(format::Outcome::Exited(0)).ok()) std::abort();
        // The hold ends here: the signal ends the process now.
      },
      ::testing::KilledBySignal(SIGTERM), "");
  auto reader = format::TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  EXPECT_TRUE((*reader)->outcome() == format::Outcome::Exited(0)) << (*reader)->outcome().Describe();
  EXPECT_EQ((*reader)->event_count(), uint64_t(kEvents));
}

}  // namespace
}  // namespace tape::engine
