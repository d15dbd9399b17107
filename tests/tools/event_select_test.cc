// The selection of inspect and export (tools/event_select.h) against a brute
// force over every event, on random traces; and the time arguments
// (tools/time_arg.h).

#include "tools/event_select.h"

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "format/trace_writer.h"
#include "tools/cli.h"
#include "tools/time_arg.h"

namespace tape::cli {
namespace {

constexpr int64_t kStart = 1764000000000000000;  // 2025-11-24T16:00:00Z
constexpr int64_t kSecond = 1000000000;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-select-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// A trace of random events: kinds 1 (clock), 3 (io.write), 4 (fs.read) and a
// user kind, short text payloads over a small alphabet (so that needles
// often straddle two payloads in the heap), some spilled payloads, times that
// advance by random steps, chunks of 50 events. With `lanes`, the events are
// spread over lanes 0-2 (recorded through the writer's lane queues, as a
// program with threads records them).
struct RandomTrace {
  std::string path;
  std::unique_ptr<format::TraceReader> reader;
  std::vector<format::EventView> events;  // seq, site, kind, time (payloads below)
  std::vector<std::string> args, results;
};

RandomTrace MakeTrace(uint32_t seed, int n, bool lanes = false) {
  RandomTrace t;
  t.path = TempPath("trace-" + std::to_string(seed));
  std::mt19937 rng(seed);
  format::WriterOptions o;
  o.chunk_max_events = 50;
  o.spill_threshold = 1024;
  format::TraceHeader h;
  h.program_name = "random";
  h.created_unix_ns = uint64_t(kStart);
  {
    auto w = format::TraceWriter::Create(t.path, h, o);
    EXPECT_TRUE(w.has_value());
    (*w)->DefineKind(130, "db.query");
    format::LaneQueue* queues[3] = {};
    if (lanes) {
      (*w)->EnableLanes();
      for (auto& q : queues) q = (*w)->AcquireLaneQueue();
    }
    const uint8_t kinds[] = {1, 3, 4, 130};
    int64_t time = kStart;
    for (int i = 0; i < n; ++i) {
      uint8_t kind = kinds[rng() % 4];
      uint64_t site = 0x100 + rng() % 3;
      (*w)->DefineSite(site, "t.cc:" + std::to_string(site) + ":1");
      auto text = [&](size_t len) {
        std::string s;
        for (size_t k = 0; k < len; ++k) s += "abcE"[rng() % 4];
        if (rng() % 10 == 0) s.insert(rng() % (s.size() + 1), "ERROR");
        return s;
      };
      std::string a = kind == 1 ? "" : text(rng() % 12);
      std::string r = kind == 1 ? std::string(8, char(i)) : text(rng() % 6);
      if (rng() % 40 == 0) a = text(1500) + "needle-in-spill";  // spilled
      time += int64_t(rng() % 3) * 250000000;  // 0, 0.25 or 0.5 s
      format::EventView e;
      e.lane = lanes ? uint32_t(rng() % 3) : 0;
      if (lanes) {
        (*w)->AppendFromLane(queues[e.lane], e.lane, site, kind, format::AsBytes(a),
                             format::AsBytes(r), 0, time, 0);
      } else {
        (*w)->AppendTimed(site, kind, format::AsBytes(a), format::AsBytes(r), time, 0);
      }
      e.seq = uint64_t(i);
      e.site = site;
      e.kind = kind;
      e.time_ns = time;
      t.events.push_back(e);
      t.args.push_back(a);
      t.results.push_back(r);
    }
    EXPECT_TRUE((*w)->Finish(format::Outcome::Exited(0)).ok());
  }
  auto r = format::TraceReader::Open(t.path);
  EXPECT_TRUE(r.has_value());
  t.reader = std::move(*r);
  return t;
}

bool BruteMatch(const RandomTrace& t, const EventSelection& s, size_t i) {
  const format::EventView& e = t.events[i];
  if (e.seq < s.first_seq || e.seq >= s.end_seq) return false;
  if (s.timed && (e.time_ns < s.from_ns || e.time_ns >= s.to_ns)) return false;
  if (!s.all_kinds && !s.kinds[e.kind]) return false;
  if (s.by_site && e.site != s.site) return false;
  if (s.by_lane && e.lane != s.lane) return false;
  // (Clock results here never hold a needle, so whether the writer
  // integer-coded them, which takes them out of the search, does not matter.)
  const std::string& result = t.results[i];
  if (!s.grep.empty()) {
    return t.args[i].find(s.grep) != std::string::npos || result.find(s.grep) != std::string::npos;
  }
  if (s.regex) {
    return re2::RE2::PartialMatch(t.args[i], *s.regex) || re2::RE2::PartialMatch(result, *s.regex);
  }
  return true;
}

std::vector<uint64_t> Walked(const RandomTrace& t, const EventSelection& s, int64_t last = -1) {
  std::vector<uint64_t> seqs;
  EventWalker walker(*t.reader, s);
  auto visit = [&](const format::DecodedChunk& chunk, uint32_t i) {
    format::EventView e = chunk.event(i);
    EXPECT_EQ(e.time_ns, t.events[e.seq].time_ns);
    EXPECT_EQ(e.lane, t.events[e.seq].lane);
    seqs.push_back(e.seq);
    return true;
  };
  Status st = last >= 0 ? walker.Last(uint64_t(last), visit) : walker.Forward(visit);
  EXPECT_TRUE(st.ok()) << st.message();
  return seqs;
}

TEST(EventWalker, SelectsWhatABruteForceSelects) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    RandomTrace t = MakeTrace(seed, 700, /*lanes=*/seed % 2 == 0);
    std::mt19937 rng(seed * 77);
    for (int round = 0; round < 60; ++round) {
      EventSelection s;
      if (rng() % 2) {
        s.first_seq = rng() % 700;
        s.end_seq = s.first_seq + rng() % 400;
      }
      if (rng() % 2) {
        s.timed = true;
        int64_t span = t.events.back().time_ns - kStart;
        s.from_ns = kStart + int64_t(rng() % uint64_t(span + 1));
        s.to_ns = s.from_ns + int64_t(rng() % uint64_t(span / 2 + 1)) + 1;
      }
      if (rng() % 3 == 0) {
        s.all_kinds = false;
        s.kinds[3] = true;
        if (rng() % 2) s.kinds[130] = true;
      }
      if (rng() % 4 == 0) {
        s.by_site = true;
        s.site = 0x100 + rng() % 3;
      }
      if (rng() % 4 == 0) {
        s.by_lane = true;
        s.lane = uint32_t(rng() % 3);
      }
      switch (rng() % 5) {
        case 0: s.grep = "ab"; break;
        case 1: s.grep = "ERROR"; break;
        case 2: s.grep = "cEa"; break;
        case 3: s.grep = "needle-in-spill"; break;
        default: break;
      }
      if (s.grep.empty() && rng() % 3 == 0) {
        std::string error;
        // Anchored patterns are searched payload by payload; position-free
        // ones through the heaps (the first two here, and a class with '^').
        static const char* const kPatterns[] = {"E[ab]{2}|RROR", "a+b[c-f]", "[^a-z]Ea", "^a+b",
                                                "E[ab]{2}$|RROR"};
        const char* pattern = kPatterns[rng() % 5];
        s.regex = CompileRegex(pattern, &error);
        ASSERT_TRUE(s.regex) << error;
        s.regex_position_free = RegexIsPositionFree(pattern);
      }
      std::vector<uint64_t> want;
      for (size_t i = 0; i < t.events.size(); ++i) {
        if (BruteMatch(t, s, i)) want.push_back(t.events[i].seq);
      }
      ASSERT_EQ(Walked(t, s), want) << "seed " << seed << " round " << round << " grep '" << s.grep
                                    << "'";
      int64_t n = int64_t(rng() % 20);
      std::vector<uint64_t> tail(want.end() - std::min<int64_t>(n, int64_t(want.size())), want.end());
      ASSERT_EQ(Walked(t, s, n), tail) << "--last " << n << ", seed " << seed << " round " << round;
    }
    std::filesystem::remove(t.path);
  }
}

TEST(EventSelect, PositionFreeRegexesAreThoseWithoutAnchorsOrWordBoundaries) {
  for (const char* p : {"ERROR", "a+b", "[^ ]+ timed out", "[]^$]x", "[[:alpha:]^]+", "a\\$b",
                        "x{2,}|(?i)err", "[^]]"}) {
    EXPECT_TRUE(RegexIsPositionFree(p)) << p;
  }
  for (const char* p : {"^ERROR", "done$", "(?m)^a", "\\Aab", "ab\\z", "\\bword\\b", "a\\B",
                        "[a]^", "[[:alpha:]]$", "\\Q^\\E", "trailing\\"}) {
    EXPECT_FALSE(RegexIsPositionFree(p)) << p;
  }
}

TEST(EventWalker, ATimeWindowDecodesOnlyTheChunksItReaches) {
  RandomTrace t = MakeTrace(42, 1000);
  EventSelection s;
  s.timed = true;
  s.from_ns = t.events[900].time_ns;
  EventWalker walker(*t.reader, s);
  ASSERT_TRUE(walker.Forward([](const format::DecodedChunk&, uint32_t) { return true; }).ok());
  // 1000 events in chunks of 50: the window starts in chunk 18 at the earliest.
  EXPECT_LE(walker.chunks_probed(), 3u);
  std::filesystem::remove(t.path);
}

// --- ResolveSelection: the flags' errors -------------------------------------

TEST(ResolveSelection, BadValuesNameTheFlagAndWhatToGive) {
  RandomTrace t = MakeTrace(3, 60);
  struct Case {
    SelectArgs args;
    std::string error;
  };
  auto with = [](auto set) {
    SelectArgs a;
    set(a);
    return a;
  };
  Case cases[] = {
      {with([](SelectArgs& a) { a.from = "14:61"; }), "--from 14:61: not a time"},
      {with([](SelectArgs& a) { a.to = "yesterday"; }), "--to yesterday: not a time"},
      {with([](SelectArgs& a) { a.from = "2026-02-30T10:00Z"; }), "2026-02-30 does not exist"},
      {with([](SelectArgs& a) { a.from = "+10s", a.to = "+5s"; }), "is not before --to +5s"},
      {with([](SelectArgs& a) { a.from = "+10s", a.to = "+10s"; }), "the window holds no time"},
      {with([](SelectArgs& a) { a.grep = ""; }), "--grep: the text is empty"},
      {with([](SelectArgs& a) { a.grep_re = ""; }), "--grep-re: the pattern is empty"},
      {with([](SelectArgs& a) { a.grep_re = "a(b"; }), "--grep-re a(b: not a regular expression"},
      {with([](SelectArgs& a) { a.grep = "x", a.grep_re = "y"; }), "give one of them"},
      {with([](SelectArgs& a) { a.filter = {"io.write", "teleport"}; }), "--filter teleport"},
      {with([](SelectArgs& a) { a.site = "xyz"; }), "--site xyz: expected up to 16 hex digits"},
  };
  for (const Case& c : cases) {
    EventSelection s;
    std::string error;
    EXPECT_FALSE(ResolveSelection(*t.reader, c.args, &s, &error)) << c.error;
    EXPECT_NE(error.find(c.error), std::string::npos) << error;
  }
  SelectArgs good;
  good.filter = {"io.write", "db.query"};
  good.from = "+1s";
  good.to = "-1s";
  EventSelection s;
  std::string error;
  ASSERT_TRUE(ResolveSelection(*t.reader, good, &s, &error)) << error;
  EXPECT_TRUE(s.kinds[3] && s.kinds[130] && !s.kinds[1]);
  EXPECT_EQ(s.from_ns, kStart + kSecond);
  EXPECT_EQ(s.to_ns, t.reader->last_time_ns() - kSecond);
  std::filesystem::remove(t.path);
}

// --- time arguments ---------------------------------------------------------------

int64_t Resolve(const std::string& text, int64_t start = kStart, int64_t end = kStart + 3600 * kSecond) {
  TimeArg arg;
  std::string error;
  EXPECT_TRUE(ParseTimeArg(text, &arg, &error)) << text << ": " << error;
  return ResolveTime(arg, start, end);
}

TEST(TimeArg, Iso8601WithAndWithoutZones) {
  EXPECT_EQ(Resolve("2025-11-24T16:00:00Z"), kStart);
  EXPECT_EQ(Resolve("2025-11-24 16:00:00"), kStart);  // no zone: UTC
  EXPECT_EQ(Resolve("2025-11-24T16:00Z"), kStart);
  EXPECT_EQ(Resolve("2025-11-24T16:00:00.25Z"), kStart + kSecond / 4);
  EXPECT_EQ(Resolve("2025-11-24T16:00:00.000000001Z"), kStart + 1);
  EXPECT_EQ(Resolve("2025-11-24T17:30:00+01:30"), kStart);
  EXPECT_EQ(Resolve("2025-11-24T14:00:00-0200"), kStart);
  EXPECT_EQ(Resolve("2025-11-24"), kStart - 16 * 3600 * kSecond);
  EXPECT_EQ(Resolve("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Resolve("2024-02-29T00:00:00Z"), 1709164800 * kSecond);  // a leap day
}

TEST(TimeArg, OffsetsFromTheStartAndBackFromTheEnd) {
  EXPECT_EQ(Resolve("+90s"), kStart + 90 * kSecond);
  EXPECT_EQ(Resolve("+90"), kStart + 90 * kSecond);
  EXPECT_EQ(Resolve("+1.5s"), kStart + 1500000000);
  EXPECT_EQ(Resolve("+1h30m"), kStart + 5400 * kSecond);
  EXPECT_EQ(Resolve("+250ms"), kStart + 250000000);
  EXPECT_EQ(Resolve("+7us"), kStart + 7000);
  EXPECT_EQ(Resolve("+3ns"), kStart + 3);
  EXPECT_EQ(Resolve("-5m"), kStart + 3600 * kSecond - 300 * kSecond);
}

TEST(TimeArg, ATimeOfDayIsTheOccurrenceWithin12HoursOfTheStart) {
  EXPECT_EQ(Resolve("16:02"), kStart + 120 * kSecond);
  EXPECT_EQ(Resolve("15:58:30.5"), kStart - 89500000000);  // just before the start
  int64_t late = kStart + (7 * 3600 + 50 * 60) * kSecond;   // 23:50
  EXPECT_EQ(Resolve("00:10", late), late + 20 * 60 * kSecond);  // the next day
  EXPECT_EQ(Resolve("23:45", late), late - 5 * 60 * kSecond);
}

TEST(TimeArg, WhatIsNotATime) {
  for (const char* bad : {"", "+", "-", "+5x", "+1h30", "14:61", "24:00", "1:2", "14:02:", "+s",
                          "2026-13-01", "2026-11-31", "2026-11-25T", "2026-11-25T10:00:00.Z",
                          "2026-11-25T10:00:00.1234567891Z", "2026-11-25T10:00+25:00", "noon",
                          "2026-11-25T10:00:00Zjunk", "+99999999999999h"}) {
    TimeArg arg;
    std::string error;
    EXPECT_FALSE(ParseTimeArg(bad, &arg, &error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(TimeArg, FormatsRoundTrip) {
  EXPECT_EQ(FormatIso(kStart + 123456789), "2025-11-24T16:00:00.123456789Z");
  EXPECT_EQ(FormatInstant(kStart + 123456789), "2025-11-24 16:00:00.123456 UTC");
  EXPECT_EQ(FormatTimeOfDay(kStart + 3723 * kSecond), "17:02:03.000000");
  for (int64_t t : {int64_t(0), kStart, kStart + 86399 * kSecond + 999999999}) {
    EXPECT_EQ(Resolve(FormatIso(t)), t);
  }
  EXPECT_EQ(FormatDuration(850), "850 ns");
  EXPECT_EQ(FormatDuration(12345), "12.3 us");
  EXPECT_EQ(FormatDuration(1250000), "1.25 ms");
  EXPECT_EQ(FormatDuration(2503000000), "2.503 s");
}

}  // namespace
}  // namespace tape::cli
