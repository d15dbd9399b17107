// User-defined effects (Runtime::Effect): recorded with the function's
// result or exception, replayed without calling the function.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

struct Point {
  int32_t x, y;
  bool operator==(const Point&) const = default;
};

}  // namespace
}  // namespace tape::testing

template <>
struct tape::Codec<tape::testing::Point> {
  static void Encode(const tape::testing::Point& p, std::string* out) {
    tape::Codec<int32_t>::Encode(p.x, out);
    tape::Codec<int32_t>::Encode(p.y, out);
  }
  static bool Decode(std::string_view* in, tape::testing::Point* p) {
    return tape::Codec<int32_t>::Decode(in, &p->x) && tape::Codec<int32_t>::Decode(in, &p->y);
  }
};

namespace tape::testing {
namespace {

// What each run of the program saw; replay must see the same.
struct Seen {
  std::string rows;
  int64_t steady = 0;
  double ratio = 0;
  std::optional<std::string> maybe;
  std::vector<uint8_t> blob;
  Point point{};
  std::string error;
  int fn_calls = 0;
};

Program UserEffects(Seen* seen, int64_t live_steady) {
  return TestProgram("user", [seen, live_steady](Runtime& rt) {
    *seen = Seen{};
    std::string sql = "select * from t";
    seen->rows = rt.Effect("db.query", sql, [&] {
      ++seen->fn_calls;
      return std::string("row1\nrow2\n");
    });
    seen->steady = rt.Effect<int64_t>("steady.now", "", [&] {
      ++seen->fn_calls;
      return live_steady;
    });
    seen->ratio = rt.Effect("ratio", 3, [&] {
      ++seen->fn_calls;
      return 0.25;
    });
    seen->maybe = rt.Effect("cache.get", std::string("k"), [&] {
      ++seen->fn_calls;
      return std::optional<std::string>("v");
    });
    seen->blob = rt.Effect("blob", "", [&] {
      ++seen->fn_calls;
      return std::vector<uint8_t>{0, 1, 255};
    });
    seen->point = rt.Effect("point", Point{1, 2}, [&] {
      ++seen->fn_calls;
      return Point{3, 4};
    });
    try {
      rt.Effect("db.query", std::string("bad sql"), [&]() -> std::string {
        ++seen->fn_calls;
        throw std::runtime_error("syntax error at 'bad'");
      });
    } catch (const EffectError& e) {
      seen->error = e.effect() + "|" + e.type() + "|" + e.message();
    }
    rt.IoWrite(seen->rows);
    return 0;
  });
}

TEST(UserEffect, RecordsResultsAndErrorsAndReplaysThemWithoutCallingTheFunction) {
  TempDir dir;
  Seen recorded, replayed;
  Captured rec = RecordCaptured(dir, UserEffects(&recorded, 111), "user");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(recorded.fn_calls, 7);
  EXPECT_EQ(recorded.rows, "row1\nrow2\n");
  EXPECT_EQ(recorded.steady, 111);
  EXPECT_EQ(recorded.ratio, 0.25);
  EXPECT_EQ(recorded.maybe, std::optional<std::string>("v"));
  EXPECT_EQ(recorded.blob, (std::vector<uint8_t>{0, 1, 255}));
  EXPECT_EQ(recorded.point, (Point{3, 4}));
  EXPECT_EQ(recorded.error, "db.query|std::runtime_error|syntax error at 'bad'");

  Captured rep = ReplayCaptured(dir, UserEffects(&replayed, 999), "user");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(replayed.fn_calls, 0);
  EXPECT_EQ(replayed.steady, 111);  // the recorded value, not the live 999
  EXPECT_EQ(replayed.rows, recorded.rows);
  EXPECT_EQ(replayed.ratio, recorded.ratio);
  EXPECT_EQ(replayed.maybe, recorded.maybe);
  EXPECT_EQ(replayed.blob, recorded.blob);
  EXPECT_EQ(replayed.point, recorded.point);
  EXPECT_EQ(replayed.error, recorded.error);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(UserEffect, NamesAreInternedInTheTraceOncePerName) {
  TempDir dir;
  Program p = TestProgram("names", [](Runtime& rt) {
    for (int i = 0; i < 1000; ++i) rt.Effect<int64_t>("steady.now", "", [i] { return i; });
    rt.Effect("db.query", "x", [] { return std::string("y"); });
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "names").report.status, RunReport::Status::kOk);
  auto reader = format::TraceReader::Open(dir.File("names"));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->kind_names()[kFirstUserKind], "steady.now");
  EXPECT_EQ((*reader)->kind_names()[kFirstUserKind + 1], "db.query");
  EXPECT_TRUE((*reader)->kind_names()[kFirstUserKind + 2].empty());
  // The name is not stored per event: 1000 events of 9 bytes compress to far
  // less than one name per event.
  EXPECT_LT((*reader)->file_size(), 1000u * 10);
}

TEST(UserEffect, DifferentArgsOnReplayAreArgsMismatchNamingTheEffect) {
  TempDir dir;
  std::string arg = "select 1";
  Program p = TestProgram("args", [&arg](Runtime& rt) {
    rt.Effect("db.query", arg, [] { return std::string("1"); });
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "args").report.status, RunReport::Status::kOk);
  arg = "select 2";
  Captured rep = ReplayCaptured(dir, p, "args");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kArgsMismatch);
  EXPECT_NE(rep.report.drift->expected.find("db.query(\"select 1\")"), std::string::npos)
      << rep.report.drift->expected;
  EXPECT_NE(rep.report.drift->got.find("db.query(\"select 2\")"), std::string::npos);
}

TEST(UserEffect, AnotherEffectNameAtTheSameSiteIsKindMismatch) {
  TempDir dir;
  std::string name = "db.query";
  Program p = TestProgram("kind", [&name](Runtime& rt) {
    rt.Effect(name, "", [] { return std::string(); });
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "kind").report.status, RunReport::Status::kOk);
  name = "db.exec";
  Captured rep = ReplayCaptured(dir, p, "kind");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kKindMismatch);
  EXPECT_NE(rep.report.drift->expected.find("db.query("), std::string::npos);
  EXPECT_NE(rep.report.drift->got.find("db.exec("), std::string::npos);
}

TEST(UserEffect, BadNamesAreClearErrors) {
  TempDir dir;
  for (std::string bad : {std::string(), std::string(200, 'x'), std::string("has space"),
                          std::string("tab\there"), std::string("clock.now")}) {
    SCOPED_TRACE(bad);
    Program p = TestProgram("bad", [bad](Runtime& rt) {
      rt.Effect(bad, "", [] { return 0; });
      return 0;
    });
    Captured rec = RecordCaptured(dir, p, "bad");
    ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
    EXPECT_EQ(rec.report.exit_code, 1);
    EXPECT_NE(rec.report.outcome.find("std::invalid_argument"), std::string::npos)
        << rec.report.outcome;
  }
}

TEST(UserEffect, AtMost128NamesPerRecording) {
  TempDir dir;
  Program p = TestProgram("many", [](Runtime& rt) {
    for (int i = 0; i <= kMaxUserEffectNames; ++i) {
      rt.Effect("e" + std::to_string(i), "", [] { return 0; });
    }
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "many");
  EXPECT_EQ(rec.report.exit_code, 1);
  EXPECT_NE(rec.report.outcome.find("at most 128 distinct effect names"), std::string::npos)
      << rec.report.outcome;
  EXPECT_EQ(rec.report.events, uint64_t(kMaxUserEffectNames));
}

TEST(UserEffect, EffectsInsideTheFunctionAreRefused) {
  TempDir dir;
  Program p = TestProgram("nested", [](Runtime& rt) {
    try {
      rt.Effect("outer", "", [&rt] { return rt.ClockNow(); });
    } catch (const EffectError& e) {
      rt.IoWrite(e.message() + "\n");
    }
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "nested");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
  EXPECT_NE(rec.out.find("clock.now was called inside the function of user effect outer"),
            std::string::npos)
      << rec.out;
  Captured rep = ReplayCaptured(dir, p, "nested");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(Codec, RoundTripsAndRefusesShortInput) {
  std::string bytes = EncodeValue(std::vector<std::optional<int16_t>>{std::nullopt, -2});
  std::string_view in = bytes;
  std::vector<std::optional<int16_t>> back;
  ASSERT_TRUE(Codec<std::vector<std::optional<int16_t>>>::Decode(&in, &back));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back, (std::vector<std::optional<int16_t>>{std::nullopt, -2}));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::string_view part(bytes.data(), cut);
    EXPECT_FALSE(Codec<std::vector<std::optional<int16_t>>>::Decode(&part, &back)) << cut;
  }
  std::string huge = EncodeValue(uint32_t(0xffffffff));  // a count no input can hold
  std::string_view h = huge;
  std::vector<std::string> strings;
  EXPECT_FALSE(Codec<std::vector<std::string>>::Decode(&h, &strings));
}

}  // namespace
}  // namespace tape::testing
