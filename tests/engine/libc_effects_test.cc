// The libc.* effects (engine/effects/libc*.cc), performed as tape's
// interposer performs them (engine::LibcEffects) from a program run by the
// runtime: recorded for real, every event well formed by its declaration,
// and replayed from the trace with the files gone.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/effects/libc.h"
#include "engine/effects/libc_calls.h"
#include "engine/effects/registry.h"
#include "format/chunk_decoder.h"
#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// What a run of the program below saw, to compare the replay with.
struct Seen {
  uint32_t pid = 0;
  int64_t now = 0;
  std::vector<std::string> uname;
  engine::OpenResult open;
  std::string data, random, stat, entries, cwd;
  int missing_error = 0, access_error = 0;
  uint64_t written = 0;
  long cwd_length = 0;

  bool operator==(const Seen& o) const {
    return pid == o.pid && now == o.now && uname == o.uname && open.error == o.open.error &&
           open.fd == o.open.fd && open.served == o.open.served && data == o.data &&
           random == o.random && stat == o.stat && entries == o.entries && cwd == o.cwd &&
           missing_error == o.missing_error && access_error == o.access_error &&
           written == o.written && cwd_length == o.cwd_length;
  }
};

Program LibcProgram(const TempDir& dir, Seen* seen) {
  return TestProgram("libc", [&dir, seen](Runtime& rt) {
    engine::LibcEffects libc(&rt);
    *seen = {};
    // At a fixed number: replay holds other descriptors than recording (the
    // trace's), and the written descriptor is part of libc.write's args.
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    int out = ::dup2(null, 500);
    ::close(null);
    seen->pid = libc.Getpid(rt.SiteOf(SourceLocation::current()));
    seen->now = libc.ClockGettime(rt.SiteOf(SourceLocation::current()), CLOCK_REALTIME);
    libc.Uname(rt.SiteOf(SourceLocation::current()), &seen->uname);
    std::string file = dir.File("data.txt");
    seen->open = libc.Open(rt.SiteOf(SourceLocation::current()), AT_FDCWD, O_RDONLY | O_CLOEXEC, 0, file);
    seen->data = seen->open.data;
    seen->missing_error = libc.Open(rt.SiteOf(SourceLocation::current()), AT_FDCWD, O_RDONLY, 0, dir.File("none")).error;
    seen->random = libc.Getrandom(rt.SiteOf(SourceLocation::current()), 16, 0).data;
    seen->stat = libc.Stat(rt.SiteOf(SourceLocation::current()), AT_FDCWD, 0, file).data;
    seen->access_error = libc.Access(rt.SiteOf(SourceLocation::current()), AT_FDCWD, R_OK, 0, dir.File("none"));
    seen->written = libc.Write(rt.SiteOf(SourceLocation::current()), out, "to /dev/null").count;
    ::close(out);
    // A generic call: getcwd fills a buffer (libc.syscall's out list).
    char cwd[4096] = {};
    long regs[6] = {long(cwd), long(sizeof cwd)};
    seen->cwd_length = libc.Call(rt.SiteOf(SourceLocation::current()), *engine::FindCallShape(SYS_getcwd), regs);
    seen->cwd = cwd;
    return 0;
  });
}

TEST(LibcEffects, RecordedCallsAreWellFormedAndReplayWithTheFilesGone) {
  TempDir dir;
  std::ofstream(dir.File("data.txt")) << "served bytes";
  Seen seen;
  Program p = LibcProgram(dir, &seen);
  Captured rec = RecordCaptured(dir, p, "t");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  Seen recorded = seen;
  EXPECT_EQ(recorded.pid, uint32_t(::getpid()));
  ASSERT_EQ(recorded.uname.size(), 6u);
  EXPECT_EQ(recorded.uname[0], "Linux");
  EXPECT_EQ(recorded.open.error, 0);
  EXPECT_TRUE(recorded.open.served);
  EXPECT_EQ(recorded.data, "served bytes");
  EXPECT_EQ(recorded.missing_error, ENOENT);
  EXPECT_EQ(recorded.random.size(), 16u);
  EXPECT_EQ(recorded.stat.size(), sizeof(struct stat));
  EXPECT_EQ(recorded.access_error, ENOENT);
  EXPECT_EQ(recorded.written, 12u);
  EXPECT_EQ(recorded.cwd, std::filesystem::current_path().string());
  EXPECT_GT(recorded.cwd_length, 0);
  ::close(recorded.open.fd);

  // Every event has its declaration's layout and passes its checks.
  auto reader = format::TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  size_t libc_events = 0;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, format::kDecodeAll, &decoder, &chunk).ok());
    for (size_t i = 0; i < chunk.size(); ++i) {
      std::string args, result;
      ASSERT_TRUE((*reader)->ReadWholePayload(chunk.args(i), &args).ok());
      ASSERT_TRUE((*reader)->ReadWholePayload(chunk.result(i), &result).ok());
      EXPECT_EQ(engine::CheckEvent(chunk.kind(i), format::AsBytes(args), format::AsBytes(result))
                    .message(),
                "")
          << engine::FindEffectOrUser(chunk.kind(i))->name;
      if (chunk.kind(i) >= uint8_t(EffectKind::kLibcStart)) ++libc_events;
    }
  }
  EXPECT_EQ(libc_events, 10u);

  std::filesystem::remove(dir.File("data.txt"));
  Captured rep = ReplayCaptured(dir, p, "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_TRUE(seen == recorded);
  EXPECT_EQ(seen.data, "served bytes");
}

}  // namespace
}  // namespace tape::testing
