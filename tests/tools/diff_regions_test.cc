// `tape diff --all`: the resynchronisation rule (FindResync) on key
// sequences, and the walk over two written traces (FindRegions) with
// differences in several places, across chunk boundaries.

#include "tools/diff_regions.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/format/trace_fixture.h"

namespace tape::cli {
namespace {

using format::testing::TempDir;
using format::testing::TestEvent;

// Keys from numbers: the number is the site; kind 1, lane 0.
std::vector<PathKey> Keys(std::initializer_list<uint64_t> sites) {
  std::vector<PathKey> keys;
  for (uint64_t s : sites) keys.push_back(PathKey{s, 0, 1});
  return keys;
}

TEST(FindResync, CallInsertedInTheSecondTrace) {
  auto a = Keys({3, 4, 5, 6, 7, 8});
  auto b = Keys({9, 3, 4, 5, 6, 7, 8});
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{0, 1}));
}

TEST(FindResync, CallRemovedFromTheSecondTrace) {
  auto a = Keys({9, 9, 3, 4, 5, 6, 7});
  auto b = Keys({3, 4, 5, 6, 7});
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{2, 0}));
}

TEST(FindResync, CallsReplaced) {
  auto a = Keys({9, 9, 3, 4, 5, 6, 7});
  auto b = Keys({8, 3, 4, 5, 6, 7});
  EXPECT_EQ(FindResync(a, false, b, false), (Resync{2, 1}));
}

TEST(FindResync, NearestPairWinsAndTiesGoToTheSmallerFirstOffset) {
  // (0, 2) and (2, 0) both agree on 2 keys; i + j ties, the smaller i wins.
  auto a = Keys({1, 2, 3, 4});
  auto b = Keys({3, 4, 1, 2});
  EXPECT_EQ(FindResync(a, true, b, true, kResyncWindow, 2), (Resync{0, 2}));
  // A longer run needs more agreement: only the ends meet.
  EXPECT_EQ(FindResync(a, true, b, true, kResyncWindow, 4), (Resync{4, 4}));
}

TEST(FindResync, FewerThanTheRunAgreeAtTheEndOfBoth) {
  auto a = Keys({9, 1, 2});
  auto b = Keys({1, 2});
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{1, 0}));
  // Not at the end of the first trace: what follows is unknown.
  EXPECT_EQ(FindResync(a, false, b, true), std::nullopt);
}

TEST(FindResync, TracesThatEndDifferentlyMeetAtTheirEnds) {
  auto a = Keys({9, 1});
  auto b = Keys({8, 2, 3});
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{2, 3}));
}

TEST(FindResync, NothingWithinTheWindow) {
  std::vector<PathKey> a, b;
  for (uint64_t i = 0; i < 20; ++i) {
    a.push_back(PathKey{100 + i, 0, 1});
    b.push_back(PathKey{200 + i, 0, 1});
  }
  EXPECT_EQ(FindResync(a, false, b, false, 10, 4), std::nullopt);
  // The same keys, but the agreement starts past the window.
  b = a;
  b.insert(b.begin(), 12, PathKey{7, 0, 1});
  EXPECT_EQ(FindResync(a, false, b, false, 11, 4), std::nullopt);
  EXPECT_EQ(FindResync(a, false, b, false, 12, 4), (Resync{0, 12}));
}

TEST(FindResync, LanesAndKindsArePartOfThePath) {
  std::vector<PathKey> a = {{1, 0, 1}, {2, 0, 1}, {3, 0, 1}, {4, 0, 1}, {5, 0, 1}};
  std::vector<PathKey> b = {{1, 1, 1}, {2, 0, 1}, {3, 0, 1}, {4, 0, 1}, {5, 0, 1}};
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{1, 1}));
  b[0] = {1, 0, 2};
  EXPECT_EQ(FindResync(a, true, b, true), (Resync{1, 1}));
}

TEST(FindResync, RepetitiveKeysResyncAtOnce) {
  // A loop of one call in both, with one extra call in the first.
  std::vector<PathKey> a(kResyncWindow + kResyncRun, PathKey{1, 0, 1});
  std::vector<PathKey> b = a;
  a[0] = PathKey{2, 0, 1};
  EXPECT_EQ(FindResync(a, false, b, false), (Resync{1, 0}));
}

// --- FindRegions on written traces -------------------------------------------

// 60 events with 23 sites and 8 kinds, as the format tests use.
std::vector<TestEvent> Base() { return format::testing::RandomEvents(12, 60, 40); }

class Regions : public ::testing::Test {
 protected:
  // Writes `a` and `b` in chunks of 5 events and walks them.
  RegionScan Scan(const std::vector<TestEvent>& a, const std::vector<TestEvent>& b,
                  const Compared& compared = Compared(), uint64_t limit = 100) {
    format::WriterOptions options;
    options.chunk_max_events = 5;
    format::testing::WriteTrace(dir_.File("a.trace"), a, options);
    format::testing::WriteTrace(dir_.File("b.trace"), b, options);
    auto ra = format::TraceReader::Open(dir_.File("a.trace"));
    auto rb = format::TraceReader::Open(dir_.File("b.trace"));
    EXPECT_TRUE(ra.has_value() && rb.has_value());
    Result<RegionScan> scan = FindRegions(**ra, **rb, compared, limit, nullptr);
    EXPECT_TRUE(scan.has_value()) << scan.error().message();
    return scan.has_value() ? *scan : RegionScan();
  }
  static void ExpectRegion(const Region& r, uint64_t a_first, uint64_t a_count, uint64_t b_first,
                           uint64_t b_count, Divergence what) {
    EXPECT_EQ(r.a_first, a_first);
    EXPECT_EQ(r.a_count, a_count);
    EXPECT_EQ(r.b_first, b_first);
    EXPECT_EQ(r.b_count, b_count);
    EXPECT_EQ(ClassName(r.what), std::string(ClassName(what)));
    EXPECT_TRUE(r.resynced);
  }
  TempDir dir_;
};

TEST_F(Regions, IdenticalTracesHaveNone) {
  RegionScan scan = Scan(Base(), Base());
  EXPECT_TRUE(scan.regions.empty());
  EXPECT_TRUE(scan.complete);
}

// An inserted call, a changed arg and a removed call: three regions with
// exact seq ranges, and nothing after them.
std::vector<TestEvent> ThreeChanges() {
  std::vector<TestEvent> b = Base();
  b.insert(b.begin() + 10, TestEvent{0x9999, 3, "inserted", "ok"});
  b[26].args += "!";        // a's event 25
  b.erase(b.begin() + 41);  // a's event 40
  return b;
}

TEST_F(Regions, InsertedChangedAndRemovedCalls) {
  RegionScan scan = Scan(Base(), ThreeChanges());
  ASSERT_EQ(scan.regions.size(), 3u);
  ExpectRegion(scan.regions[0], 10, 0, 10, 1, Divergence::kAdded);
  ExpectRegion(scan.regions[1], 25, 1, 26, 1, Divergence::kArgs);
  ExpectRegion(scan.regions[2], 40, 1, 41, 0, Divergence::kRemoved);
  EXPECT_TRUE(scan.complete);
  EXPECT_EQ(scan.next_a, 60u);
  EXPECT_EQ(scan.next_b, 60u);
}

TEST_F(Regions, TheLimitStopsTheWalkAndSaysWhereTheNextBegins) {
  RegionScan scan = Scan(Base(), ThreeChanges(), Compared(), 2);
  ASSERT_EQ(scan.regions.size(), 2u);
  EXPECT_FALSE(scan.complete);
  EXPECT_EQ(scan.next_a, 40u);
  EXPECT_EQ(scan.next_b, 41u);
}

TEST_F(Regions, PathOnlyIgnoresTheChangedArg) {
  Compared path_only;
  path_only.payloads = false;
  RegionScan scan = Scan(Base(), ThreeChanges(), path_only);
  ASSERT_EQ(scan.regions.size(), 2u);
  ExpectRegion(scan.regions[0], 10, 0, 10, 1, Divergence::kAdded);
  ExpectRegion(scan.regions[1], 40, 1, 41, 0, Divergence::kRemoved);
}

TEST_F(Regions, ConsecutiveResultsThatDifferAreOneRegion) {
  std::vector<TestEvent> a = Base(), b = Base();
  for (size_t i = 8; i < 13; ++i) b[i].result += "?";  // across a chunk boundary
  b[20].result += "?";
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 2u);
  ExpectRegion(scan.regions[0], 8, 5, 8, 5, Divergence::kResult);
  ExpectRegion(scan.regions[1], 20, 1, 20, 1, Divergence::kResult);

  // --ignore of that kind leaves out the events of that kind.
  Compared ignore;
  ignore.results[b[20].kind] = false;
  scan = Scan(a, b, ignore);
  for (const Region& r : scan.regions) EXPECT_NE(r.a_first, 20u);
}

TEST_F(Regions, ReplacedCallsAndALongerSecondTrace) {
  std::vector<TestEvent> a = Base(), b = Base();
  b[30] = TestEvent{0x7777, 2, "x", "y"};
  b[31] = TestEvent{0x7778, 2, "x", "y"};
  b.erase(b.begin() + 32);  // two calls in b where a has three
  b.push_back(TestEvent{0x5555, 3, "tail", ""});
  b.push_back(TestEvent{0x5556, 3, "tail", ""});
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 2u);
  ExpectRegion(scan.regions[0], 30, 3, 30, 2, Divergence::kSite);
  ExpectRegion(scan.regions[1], 60, 0, 59, 2, Divergence::kLength);
}

// A loop of clock readings from one site: a reading left out, and one
// more later. The paths agree throughout; the results show where.
TEST_F(Regions, ACallMoreOrLessFromTheSameSiteIsFoundByItsPayloads) {
  std::vector<TestEvent> a;
  for (uint64_t i = 0; i < 40; ++i) a.push_back(TestEvent{0xc10c, 1, "", std::to_string(1000 + i)});
  std::vector<TestEvent> b = a;
  b.erase(b.begin() + 20);
  b.insert(b.begin() + 30, TestEvent{0xc10c, 1, "", "extra"});
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 2u);
  ExpectRegion(scan.regions[0], 20, 1, 20, 0, Divergence::kRemoved);
  ExpectRegion(scan.regions[1], 31, 0, 30, 1, Divergence::kAdded);
}

// The same payload again and again, one of them changed: a substitution,
// not a removal followed by a longer trace.
TEST_F(Regions, OneChangedCallAmongEqualOnesStaysAligned) {
  std::vector<TestEvent> a(40, TestEvent{0x1001, 3, "x", "ok"});
  std::vector<TestEvent> b = a;
  b[20].args = "y";
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 1u);
  ExpectRegion(scan.regions[0], 20, 1, 20, 1, Divergence::kArgs);
}

// Two real runs: every clock reading differs, the writes between them do
// not. Each reading is a region; the writes are not in any.
TEST_F(Regions, ReadingsThatAllDifferStayAligned) {
  std::vector<TestEvent> a, b;
  for (uint64_t i = 0; i < 10; ++i) {
    a.push_back(TestEvent{0xc10c, 1, "", std::to_string(1000 + i)});
    b.push_back(TestEvent{0xc10c, 1, "", std::to_string(2000 + i)});
    a.push_back(TestEvent{0x1001, 3, "x", "ok"});
    b.push_back(TestEvent{0x1001, 3, "x", "ok"});
  }
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 10u);
  for (uint64_t k = 0; k < 10; ++k) {
    ExpectRegion(scan.regions[k], 2 * k, 1, 2 * k, 1, Divergence::kResult);
  }
}

TEST_F(Regions, WithoutAResyncPointTheRestIsOneRegion) {
  std::vector<TestEvent> a, b;
  for (uint64_t i = 0; i < kResyncWindow + 100; ++i) {
    a.push_back(TestEvent{0x1000 + i % 7, 1, "", ""});
    b.push_back(TestEvent{0x2000 + i % 7, 1, "", ""});
  }
  RegionScan scan = Scan(a, b);
  ASSERT_EQ(scan.regions.size(), 1u);
  const Region& r = scan.regions[0];
  EXPECT_EQ(r.a_first, 0u);
  EXPECT_EQ(r.a_count, a.size());
  EXPECT_EQ(r.b_count, b.size());
  EXPECT_FALSE(r.resynced);
  EXPECT_TRUE(scan.complete);
}

}  // namespace
}  // namespace tape::cli
