// tape verify and tape stats take whole chunks at once when they can (a
// chunk whose events are all sound by their sizes; runs of one kind and
// site): their answers must be the ones the event-by-event reading gives,
// on traces that take the fast paths, decline them, or mix both.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <array>
#include <algorithm>
#include <map>
#include <random>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "engine/effects/registry.h"
#include "engine/internal/effect_text.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tape/effects.h"
#include "tests/format/trace_fixture.h"
#include "tools/cli.h"

namespace tape::cli {
namespace {

using format::testing::TempDir;

format::TraceHeader Header() {
  format::TraceHeader h;
  h.program_name = "passes-test";
  h.created_unix_ns = 1764000000000000000;
  return h;
}

// Runs `tape VERB --json FILE`: its exit code and its JSON output.
template <typename Args, typename Run>
int RunJson(Run run, const std::string& path, nlohmann::json* out) {
  Args args;
  args.file = path;
  args.json = true;
  if constexpr (std::is_same_v<Args, StatsArgs>) args.top = 1000;
  ::testing::internal::CaptureStdout();
  int code = run(args);
  std::fflush(stdout);
  std::string text = ::testing::internal::GetCapturedStdout();
  *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(out->is_discarded()) << text;
  return code;
}

std::string Le64(int64_t v) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[k] = char(uint64_t(v) >> (8 * k));
  return s;
}

constexpr uint8_t kClock = uint8_t(EffectKind::kClockNow);

TEST(VerifyPasses, ABadlySizedEventAmongPlainChunksIsNamed) {
  TempDir dir;
  std::string path = dir.File("t");
  {
    format::WriterOptions o;
    o.chunk_max_events = 16;
    auto w = format::TraceWriter::Create(path, Header(), o);
    ASSERT_TRUE(w.has_value());
    (*w)->DefineSite(0x1, "t.cc:1:1");
    for (int i = 0; i < 64; ++i) {
      std::string r = Le64(1764000000000000000 + i * 90);
      // seq 37: a clock reading of 4 bytes, in a chunk of clock readings.
      (*w)->Append(0x1, kClock, {}, format::AsBytes(r).first(i == 37 ? 4 : 8));
    }
    ASSERT_TRUE((*w)->Finish(format::Outcome::Exited(0)).ok());
  }
  nlohmann::json j;
  EXPECT_EQ(RunJson<VerifyArgs>(RunVerify, path, &j), kExitDifferent) << j.dump();
  uint8_t four[4] = {};
  std::string expected =
      "seq 37: clock.now: " + engine::CheckEvent(kClock, {}, format::Bytes(four, 4)).message();
  ASSERT_EQ(j["problems"].size(), 1u) << j.dump();
  EXPECT_EQ(j["problems"][0], expected);
}

TEST(VerifyPasses, MixedChunksReportWhatTheEventByEventCheckFinds) {
  // Kinds 1..8 with payloads of any size: chunks the plain check declines,
  // between chunks of clock readings it takes.
  TempDir dir;
  std::string path = dir.File("t");
  auto events = format::testing::RandomEvents(5, 400, 300);
  for (size_t i = 100; i < 300; ++i) {
    events[i].kind = kClock;
    events[i].args.clear();
    events[i].result = Le64(1764000000000000000 + int64_t(i) * 90);
  }
  format::WriterOptions o;
  o.chunk_max_events = 32;
  format::testing::WriteTrace(path, events, o);
  nlohmann::json j;
  // RandomEvents' payloads are random bytes: only layouts they happen to
  // fit are sound, so compare with the per-event check instead of "sound".
  size_t expected = 0;
  for (const auto& e : events) {
    expected += !engine::CheckEvent(e.kind, format::AsBytes(e.args), format::AsBytes(e.result)).ok();
  }
  RunJson<VerifyArgs>(RunVerify, path, &j);
  EXPECT_EQ(j["problems"].size(), std::min<size_t>(expected, 1000)) << j.dump();
}

TEST(VerifyPasses, EveryKindAndSizeIsJudgedAsCheckEventJudgesIt) {
  // Every built-in kind but thread.start and thread.end (which also move the
  // lane rules), with args and results of several sizes of random bytes.
  // Each chunk holds four events of one kind and sizes (lengths of one
  // byte): a chunk that the check by sizes wrongly took as sound would lose
  // its problems. Then chunks of mixed kinds.
  constexpr uint32_t kChunk = 4;
  std::mt19937_64 rng(11);
  std::vector<const engine::EffectSpec*> kinds;
  for (const engine::EffectSpec* spec : engine::AllEffects()) {
    if (spec->kind == EffectKind::kThreadStart || spec->kind == EffectKind::kThreadEnd) continue;
    kinds.push_back(spec);
  }
  // verify lists up to 1000 problems: a trace per group of kinds.
  // The kinds are dealt out to the traces in turn, so that each trace mixes
  // layouts that random bytes often fit with ones they rarely do.
  constexpr size_t kKindsPerTrace = 12;
  const size_t traces = (kinds.size() + kKindsPerTrace - 1) / kKindsPerTrace;
  for (size_t first = 0; first < traces; ++first) {
    std::vector<format::testing::TestEvent> events;
    for (size_t k = first; k < kinds.size(); k += traces) {
      const engine::EffectSpec* spec = kinds[k];
      for (size_t a : {0, 4, 8}) {
        for (size_t r : {0, 4, 5, 8, 12}) {
          for (uint32_t copy = 0; copy < kChunk; ++copy) {
            format::testing::TestEvent e;
            e.site = 0x10 + uint8_t(spec->kind);
            e.kind = uint8_t(spec->kind);
            e.args.resize(a);
            e.result.resize(r);
            for (char& c : e.args) c = char(rng() % 3);  // small numbers: flags, tags, counts
            for (char& c : e.result) c = char(rng() % 3);
            events.push_back(e);
          }
        }
      }
    }
    std::vector<format::testing::TestEvent> mixed = events;
    std::shuffle(mixed.begin(), mixed.end(), rng);
    mixed.resize(60);
    events.insert(events.end(), mixed.begin(), mixed.end());
    std::vector<std::string> expected;
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      std::string why =
          engine::CheckEvent(e.kind, format::AsBytes(e.args), format::AsBytes(e.result)).message();
      if (!why.empty()) {
        expected.push_back("seq " + std::to_string(i) + ": " + engine::KindName(e.kind) + ": " +
                           why);
      }
    }
    ASSERT_LT(events.size(), 1000u);
    ASSERT_GT(expected.size(), 0u);
    ASSERT_LT(expected.size(), events.size());
    TempDir dir;
    std::string path = dir.File("t");
    format::WriterOptions o;
    o.chunk_max_events = kChunk;
    format::testing::WriteTrace(path, events, o);
    nlohmann::json j;
    RunJson<VerifyArgs>(RunVerify, path, &j);
    EXPECT_EQ(j["problems"].get<std::vector<std::string>>(), expected);
  }
}

TEST(VerifyPasses, AnEventAfterItsLanesEndInAPlainChunkIsNamed) {
  TempDir dir;
  std::string path = dir.File("t");
  {
    format::WriterOptions o;
    o.chunk_max_events = 16;
    auto w = format::TraceWriter::Create(path, Header(), o);
    ASSERT_TRUE(w.has_value());
    (*w)->EnableLanes();
    format::LaneQueue* q0 = (*w)->AcquireLaneQueue();
    format::LaneQueue* q1 = (*w)->AcquireLaneQueue();
    uint8_t lane[4] = {1, 0, 0, 0};
    std::string clock = Le64(1764000000000000000);
    auto bytes = format::AsBytes(clock);
    (*w)->AppendFromLane(q0, 0, 0x1, uint8_t(EffectKind::kThreadStart), {}, {lane, 4});  // seq 0
    for (int i = 1; i < 10; ++i) (*w)->AppendFromLane(q1, 1, 0x2, kClock, {}, bytes);
    (*w)->AppendFromLane(q1, 1, 0x3, uint8_t(EffectKind::kThreadEnd), {}, {});  // seq 10
    for (int i = 11; i < 40; ++i) (*w)->AppendFromLane(q0, 0, 0x2, kClock, {}, bytes);
    (*w)->AppendFromLane(q1, 1, 0x2, kClock, {}, bytes);  // seq 40: lane 1 has ended
    for (int i = 41; i < 64; ++i) (*w)->AppendFromLane(q0, 0, 0x2, kClock, {}, bytes);
    ASSERT_TRUE((*w)->Finish(format::Outcome::Exited(0)).ok());
  }
  nlohmann::json j;
  EXPECT_EQ(RunJson<VerifyArgs>(RunVerify, path, &j), kExitDifferent) << j.dump();
  ASSERT_EQ(j["problems"].size(), 1u) << j.dump();
  EXPECT_EQ(j["problems"][0], "seq 40: lane 1 has an event after its thread.end");
}

// What stats must say, from the events read one by one with every array.
struct Expected {
  std::map<std::string, std::array<uint64_t, 3>> kinds;  // events, args bytes, result bytes
  std::map<std::string, uint64_t> sites;                  // events per site (hex)
};
Expected ReadOneByOne(const std::string& path) {
  Expected e;
  auto reader = format::TraceReader::Open(path);
  EXPECT_TRUE(reader.has_value());
  format::EventCursor cursor(reader->get(), format::kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    format::EventView ev = cursor.event();
    auto& k = e.kinds[engine::KindName(ev.kind)];
    ++k[0];
    k[1] += ev.args.size;
    k[2] += ev.result.size;
    ++e.sites[SiteHex(ev.site)];
    if (!cursor.Next().ok()) {
      ADD_FAILURE() << "cannot read seq " << cursor.seq();
      break;
    }
  }
  return e;
}

void ExpectStatsAgree(const std::string& path) {
  Expected want = ReadOneByOne(path);
  nlohmann::json j;
  ASSERT_EQ(RunJson<StatsArgs>(RunStats, path, &j), kExitOk);
  ASSERT_EQ(j["kinds"].size(), want.kinds.size()) << j.dump();
  for (const auto& [name, totals] : want.kinds) {
    const nlohmann::json& k = j["kinds"][name];
    EXPECT_EQ(k["events"], totals[0]) << name;
    EXPECT_EQ(k["args_bytes"], totals[1]) << name;
    EXPECT_EQ(k["result_bytes"], totals[2]) << name;
  }
  ASSERT_EQ(j["hot_sites"].size(), want.sites.size());
  for (const nlohmann::json& s : j["hot_sites"]) {
    EXPECT_EQ(s["events"], want.sites[s["site"].get<std::string>()]) << s.dump();
  }
}

TEST(StatsPasses, TotalsAreTheEventsOwnOnEveryPath) {
  TempDir dir;
  // Many kinds and sites, lengths of one and two bytes, small and large chunks.
  for (uint32_t chunk : {16u, 500u}) {
    std::string path = dir.File("mixed" + std::to_string(chunk));
    format::WriterOptions o;
    o.chunk_max_events = chunk;
    format::testing::WriteTrace(path, format::testing::RandomEvents(chunk, 3000, 300), o);
    SCOPED_TRACE(path);
    ExpectStatsAgree(path);
  }
  // Clock readings at one site (a whole chunk is one run), then at two
  // alternating sites (runs of one event), then a few other kinds.
  std::string path = dir.File("clock");
  {
    format::WriterOptions o;
    o.chunk_max_events = 100;
    auto w = format::TraceWriter::Create(path, Header(), o);
    ASSERT_TRUE(w.has_value());
    (*w)->DefineSite(0x1, "t.cc:1:1");
    (*w)->DefineSite(0x2, "t.cc:2:1");
    for (int i = 0; i < 1000; ++i) {
      std::string r = Le64(1764000000000000000 + i * 90);
      uint64_t site = i < 500 ? 0x1 : 0x1 + i % 2;
      if (i % 97 == 0) {
        (*w)->Append(site, uint8_t(EffectKind::kIoWrite), format::AsBytes(r), {});
      } else {
        (*w)->Append(site, kClock, {}, format::AsBytes(r));
      }
    }
    ASSERT_TRUE((*w)->Finish(format::Outcome::Exited(0)).ok());
  }
  ExpectStatsAgree(path);
}

}  // namespace
}  // namespace tape::cli
