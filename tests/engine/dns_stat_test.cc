// dns.resolve and fs.stat from C++: recorded, replayed with the file gone
// and without asking the resolver, rerun by key, perturbed by chaos mode.
// Names are resolved from the hosts file only ("localhost"): no test needs
// a network.

#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "format/layout.h"
#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape {

// Found by argument-dependent lookup from the tests below.
static bool operator==(const FsStatResult& a, const FsStatResult& b) {
  return a.error == b.error && a.kind == b.kind && a.size == b.size && a.mode == b.mode &&
         a.mtime_ns == b.mtime_ns;
}

static bool operator==(const DnsResult& a, const DnsResult& b) {
  return a.error == b.error && a.message == b.message && a.addresses == b.addresses;
}

namespace testing {
namespace {

RunReport RecordWith(const TempDir& dir, const Program& p, const std::string& trace,
                     const std::string& chaos = "") {
  RecordOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  o.chaos = chaos;
  o.chaos_seed = 7;
  RunReport r = Record(p, o);
  ::close(o.stdout_fd);
  return r;
}

std::string Why(const RunReport& r) { return r.drift ? r.drift->Describe() : r.error; }

TEST(FsStat, RecordedAnswersReplayAfterTheFilesAreGone) {
  TempDir dir;
  std::string file = dir.File("data.txt"), sub = dir.File("sub"), link = dir.File("link");
  std::ofstream(file) << "twelve bytes";
  ::chmod(file.c_str(), 0640);
  std::filesystem::create_directory(sub);
  std::filesystem::create_symlink("data.txt", link);
  std::vector<FsStatResult> seen;
  Program p = TestProgram("stat", [&](Runtime& rt) {
    seen.clear();
    for (const std::string& path : {file, sub, link, dir.File("missing")}) {
      seen.push_back(rt.FsStat(path));
    }
    return 0;
  });
  ASSERT_EQ(RecordWith(dir, p, "t").status, RunReport::Status::kOk);
  std::vector<FsStatResult> recorded = seen;
  ASSERT_EQ(recorded.size(), 4u);
  EXPECT_EQ(recorded[0].kind, FileKind::kFile);
  EXPECT_EQ(recorded[0].size, 12u);
  EXPECT_EQ(recorded[0].mode, 0640u);
  EXPECT_GT(recorded[0].mtime_ns, 0);
  EXPECT_EQ(recorded[1].kind, FileKind::kDir);
  EXPECT_EQ(recorded[2].kind, FileKind::kLink);  // lstat: the link itself
  EXPECT_EQ(recorded[2].size, std::string("data.txt").size());
  EXPECT_EQ(recorded[3].error, ENOENT);
  EXPECT_FALSE(recorded[3].exists());
  EXPECT_EQ(recorded[3].kind, FileKind::kNone);

  std::filesystem::remove(link);
  std::filesystem::remove(file);
  std::filesystem::remove(sub);
  Captured rep = ReplayCaptured(dir, p, "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(seen, recorded);
}

TEST(DnsResolve, LocalhostResolvesFromTheHostsFileAndReplays) {
  TempDir dir;
  DnsResult seen;
  Program p = TestProgram("dns", [&](Runtime& rt) {
    seen = rt.DnsResolve("localhost");
    return 0;
  });
  ASSERT_EQ(RecordWith(dir, p, "t").status, RunReport::Status::kOk);
  DnsResult recorded = seen;
  ASSERT_TRUE(recorded.ok()) << recorded.message;
  EXPECT_EQ(recorded.message, "");
  ASSERT_FALSE(recorded.addresses.empty());
  EXPECT_TRUE(std::any_of(recorded.addresses.begin(), recorded.addresses.end(),
                          [](const std::string& a) { return a == "127.0.0.1" || a == "::1"; }));
  // Each address once, though getaddrinfo may list one per socket type.
  std::vector<std::string> sorted = recorded.addresses;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());

  seen = {};
  Captured rep = ReplayCaptured(dir, p, "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(seen, recorded);
}

// The replay's answer is the trace's, not the resolver's: a recording whose
// resolver failed (here by chaos mode) fails again on replay, although the
// name resolves now.
TEST(DnsResolve, ReplayDoesNotAskTheResolver) {
  TempDir dir;
  DnsResult seen;
  Program p = TestProgram("dns", [&](Runtime& rt) {
    seen = rt.DnsResolve("localhost");
    return 0;
  });
  RunReport r = RecordWith(dir, p, "t", "dns.resolve:again=1");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  EXPECT_EQ(seen.error, EAI_AGAIN);
  EXPECT_EQ(seen.message, gai_strerror(EAI_AGAIN));
  EXPECT_TRUE(seen.addresses.empty());
  seen = {};
  Captured rep = ReplayCaptured(dir, p, "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(seen.error, EAI_AGAIN);

  auto reader = format::TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  format::EventCursor c(reader->get(), format::kDecodeAll);
  ASSERT_TRUE(c.Seek(0).ok());
  EXPECT_EQ(c.event().kind, uint8_t(EffectKind::kDnsResolve));
  EXPECT_TRUE(c.event().marks & format::kMarkPerturbed);
}

TEST(DnsResolve, AnEmptyNameIsAnErrorAndNotRecorded) {
  TempDir dir;
  std::vector<std::string> errors;
  Program p = TestProgram("dns", [&](Runtime& rt) {
    for (std::string_view host : {std::string_view(""), std::string_view("a\0b", 3)}) {
      try {
        rt.DnsResolve(host);
      } catch (const std::invalid_argument& e) {
        errors.push_back(e.what());
      }
    }
    return 0;
  });
  RunReport r = RecordWith(dir, p, "t");
  ASSERT_EQ(r.status, RunReport::Status::kOk);
  EXPECT_EQ(r.events, 0u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "dns.resolve: the host name is empty");
  EXPECT_EQ(errors[1], "dns.resolve: the host name contains a NUL byte");
}

TEST(FsStat, ChaosMakesAPathMissing) {
  TempDir dir;
  FsStatResult seen;
  Program p = TestProgram("stat", [&](Runtime& rt) {
    seen = rt.FsStat(dir.File(""));
    return 0;
  });
  ASSERT_EQ(RecordWith(dir, p, "t", "fs.stat:enoent=1").status, RunReport::Status::kOk);
  EXPECT_EQ(seen.error, ENOENT);
  EXPECT_EQ(seen.kind, FileKind::kNone);
}

// A changed program asks the same questions from other places: the answers
// are found by key (the host, the path), not by site.
TEST(Rerun, DnsAndStatInputsAreServedByKey) {
  TempDir dir;
  std::string file = dir.File("f");
  std::ofstream(file) << "x";
  DnsResult dns;
  FsStatResult st;
  auto version = [&](bool moved) {
    return TestProgram("v", [&, moved](Runtime& rt) {
      if (moved) {
        st = rt.FsStat(file);
        dns = rt.DnsResolve("localhost");
      } else {
        dns = rt.DnsResolve("localhost");
        st = rt.FsStat(file);
      }
      return 0;
    });
  };
  ASSERT_EQ(RecordWith(dir, version(false), "t").status, RunReport::Status::kOk);
  DnsResult recorded_dns = dns;
  FsStatResult recorded_st = st;
  std::filesystem::remove(file);

  RerunOptions o;
  o.trace_path = dir.File("t");
  o.stdout_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  RunReport r = Rerun(version(true), o);
  ::close(o.stdout_fd);
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  ASSERT_TRUE(r.rerun.has_value());
  EXPECT_EQ(r.rerun->by_key, 2u);
  EXPECT_EQ(dns, recorded_dns);
  EXPECT_EQ(st, recorded_st);
}

}  // namespace
}  // namespace testing
}  // namespace tape
