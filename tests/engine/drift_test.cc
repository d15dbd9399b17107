// Each kind of drift, provoked on purpose: replay must stop at the first
// diverging call with the right kind, seq and both sides described.

#include <gtest/gtest.h>

#include <algorithm>

#include "format/bytes.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// A program whose behaviour depends on `mode`, so that the recording and the
// replay can differ in one controlled way.
struct Modal {
  std::string mode;
  Program program() {
    return TestProgram("modal", [this](Runtime& rt) {
      rt.ClockNow();
      if (mode == "other-site") {
        rt.RandomBits(8);  // the recording made this call on the line below
      } else {
        rt.RandomBits(mode == "other-args" ? 100 : 8);
      }
      Site shared{0x5151, "shared-site"};
      if (mode == "other-kind") {
        rt.ClockNowAt(shared);
      } else {
        rt.EnvGetAt(shared, "HOME");
      }
      int writes = mode == "more-calls" ? 4 : mode == "fewer-calls" ? 1 : 2;
      for (int i = 0; i < writes; ++i) rt.IoWrite("line\n");
      return mode == "other-exit" ? 7 : 0;
    });
  }
};

class DriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Captured rec = RecordCaptured(dir_, modal_.program(), "t");
    ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  }
  RunReport ReplayWith(const std::string& mode) {
    modal_.mode = mode;
    return ReplayCaptured(dir_, modal_.program(), "t").report;
  }
  void ExpectDrift(const RunReport& r, DriftKind kind, uint64_t seq) {
    ASSERT_EQ(r.status, RunReport::Status::kDrift) << r.error;
    ASSERT_TRUE(r.drift.has_value());
    EXPECT_EQ(r.drift->kind, kind) << r.drift->Describe();
    EXPECT_EQ(r.drift->seq, seq) << r.drift->Describe();
  }
  TempDir dir_;
  Modal modal_;
};

TEST_F(DriftTest, SameProgramReplaysCleanly) {
  RunReport r = ReplayWith("");
  EXPECT_EQ(r.status, RunReport::Status::kOk);
  EXPECT_EQ(r.events, 5u);
}

TEST_F(DriftTest, ACallFromAnotherLineIsSiteMismatch) {
  RunReport r = ReplayWith("other-site");
  ExpectDrift(r, DriftKind::kSiteMismatch, 1);
  EXPECT_NE(r.drift->expected.find("random.bits(8) at tests/engine/drift_test.cc:"), std::string::npos)
      << r.drift->expected;
  EXPECT_NE(r.drift->got.find("random.bits(8) at tests/engine/drift_test.cc:"), std::string::npos);
  EXPECT_NE(r.drift->expected, r.drift->got);
  // The same call (kind and args) on another line of the same file: it moved.
  EXPECT_NE(r.drift->hint.find("the same call moved from line 24 to line 22 of "
                               "tests/engine/drift_test.cc"),
            std::string::npos)
      << r.drift->hint;
  // The report shows the recorded events that led there.
  EXPECT_NE(r.drift->recent.find("seq 0  clock.now() -> "), std::string::npos) << r.drift->recent;
  EXPECT_NE(r.drift->Describe().find("recorded before it:\n    seq 0  clock.now()"),
            std::string::npos)
      << r.drift->Describe();
}

TEST_F(DriftTest, ADifferentPathIsNotAMove) {
  RunReport r = ReplayWith("other-kind");
  ExpectDrift(r, DriftKind::kKindMismatch, 2);
  // Two recorded events precede the drift; the report shows both.
  EXPECT_NE(r.drift->recent.find("seq 0  clock.now()"), std::string::npos) << r.drift->recent;
  EXPECT_NE(r.drift->recent.find("seq 1  random.bits(8) -> 8 bytes"), std::string::npos)
      << r.drift->recent;
  EXPECT_EQ(r.drift->hint.find("moved"), std::string::npos) << r.drift->hint;
}

TEST_F(DriftTest, AnotherEffectAtTheSameSiteIsKindMismatch) {
  RunReport r = ReplayWith("other-kind");
  ExpectDrift(r, DriftKind::kKindMismatch, 2);
  EXPECT_NE(r.drift->expected.find("env.get(\"HOME\") at shared-site"), std::string::npos)
      << r.drift->expected;
  EXPECT_NE(r.drift->got.find("clock.now() at shared-site"), std::string::npos) << r.drift->got;
}

TEST_F(DriftTest, OtherArgumentsAreArgsMismatchShowingBoth) {
  RunReport r = ReplayWith("other-args");
  ExpectDrift(r, DriftKind::kArgsMismatch, 1);
  EXPECT_NE(r.drift->expected.find("random.bits(8)"), std::string::npos);
  EXPECT_NE(r.drift->got.find("random.bits(100)"), std::string::npos);
  std::string text = r.drift->Describe();
  EXPECT_NE(text.find("ArgsMismatch at seq 1"), std::string::npos) << text;
}

TEST_F(DriftTest, AnExtraCallIsEndOfTrace) {
  RunReport r = ReplayWith("more-calls");
  ExpectDrift(r, DriftKind::kEndOfTrace, 5);
  EXPECT_NE(r.drift->got.find("io.write(\"line\\n\")"), std::string::npos) << r.drift->got;
}

TEST_F(DriftTest, EndingEarlyIsTraceNotExhausted) {
  RunReport r = ReplayWith("fewer-calls");
  ExpectDrift(r, DriftKind::kTraceNotExhausted, 4);
  EXPECT_NE(r.drift->Describe().find("ended at seq 4 of 5"), std::string::npos)
      << r.drift->Describe();
}

TEST_F(DriftTest, AnotherExitCodeIsOutcomeMismatch) {
  RunReport r = ReplayWith("other-exit");
  ExpectDrift(r, DriftKind::kOutcomeMismatch, 5);
  EXPECT_EQ(r.drift->expected, "exited with code 0");
  EXPECT_EQ(r.drift->got, "exited with code 7");
}

TEST_F(DriftTest, ChangedCodeHashIsRefusedBeforeRunning) {
  bool ran = false;
  Program p = modal_.program();
  p.code_hash = "edited";
  p.main = [&](Runtime&) {
    ran = true;
    return 0;
  };
  RunReport r = ReplayCaptured(dir_, p, "t").report;
  ExpectDrift(r, DriftKind::kCodeHashMismatch, 0);
  EXPECT_FALSE(ran);
  EXPECT_NE(r.drift->expected.find(format::ToHex("test-hash")), std::string::npos);
  EXPECT_NE(r.drift->got.find(format::ToHex("edited")), std::string::npos);
}

TEST_F(DriftTest, ARenamedProgramWithTheSameCodeReplays) {
  // The code is the program's identity: its name is only shown.
  Program p = modal_.program();
  p.name = "renamed";
  RunReport r = ReplayCaptured(dir_, p, "t").report;
  EXPECT_EQ(r.status, RunReport::Status::kOk) << (r.drift ? r.drift->Describe() : r.error);
}

TEST_F(DriftTest, ARenamedProgramWithOtherCodeIsCodeHashMismatchNamingBoth) {
  Program p = modal_.program();
  p.name = "someone-else";
  p.code_hash = "other-code";
  RunReport r = ReplayCaptured(dir_, p, "t").report;
  ExpectDrift(r, DriftKind::kCodeHashMismatch, 0);
  EXPECT_NE(r.drift->expected.find("'modal'"), std::string::npos) << r.drift->expected;
  EXPECT_NE(r.drift->got.find("'someone-else'"), std::string::npos) << r.drift->got;
}

TEST_F(DriftTest, AnotherKindOfProgramIsProgramMismatch) {
  Program p = modal_.program();
  p.kind = ProgramKind::kScript;
  ExpectDrift(ReplayCaptured(dir_, p, "t").report, DriftKind::kProgramMismatch, 0);
}

TEST_F(DriftTest, WithoutCodeHashesTheNameIsTheIdentity) {
  Program p = modal_.program();
  p.code_hash.clear();
  ASSERT_EQ(RecordCaptured(dir_, p, "unhashed").report.status, RunReport::Status::kOk);
  EXPECT_EQ(ReplayCaptured(dir_, p, "unhashed").report.status, RunReport::Status::kOk);
  p.name = "someone-else";
  ExpectDrift(ReplayCaptured(dir_, p, "unhashed").report, DriftKind::kProgramMismatch, 0);
}

TEST_F(DriftTest, FutureFormatIsUnsupportedSchema) {
  std::string bytes = ReadFile(dir_.File("t"));
  format::StoreU16(reinterpret_cast<uint8_t*>(bytes.data()) + 8, 9);
  format::testing::WriteFile(dir_.File("t"), bytes);
  RunReport r = ReplayWith("");
  ExpectDrift(r, DriftKind::kUnsupportedSchema, 0);
  EXPECT_NE(r.drift->hint.find("version 9."), std::string::npos) << r.drift->hint;
}

TEST_F(DriftTest, AProgramThatSwallowsTheDriftStillDrifts) {
  Program p = modal_.program();
  p.main = [](Runtime& rt) {
    try {
      rt.RandomBits(3);  // seq 0 was a clock.now
    } catch (...) {
    }
    return 0;
  };
  ExpectDrift(ReplayCaptured(dir_, p, "t").report, DriftKind::kSiteMismatch, 0);
}

TEST(DriftReport, DescribeNamesKindSeqAndBothSides) {
  DriftInfo d{DriftKind::kArgsMismatch, 12, "random.bits(8) at a.cc:1:2", "random.bits(100) at a.cc:1:2",
              "the program passed different arguments"};
  EXPECT_EQ(d.Describe(),
            "ArgsMismatch at seq 12: the program passed different arguments\n"
            "  recorded: random.bits(8) at a.cc:1:2\n"
            "  replay:   random.bits(100) at a.cc:1:2");
}

// A hot clock loop is replayed as integer runs: values come out as recorded,
// and a call that leaves the run early still drifts at its own seq.
struct Loops {
  std::string mode;
  std::vector<int64_t> seen;
  Program program() {
    return TestProgram("loops", [this](Runtime& rt) {
      seen.clear();
      Site other{0x7777, "other-site"};
      int first = mode == "short" ? 80 : 100;
      for (int i = 0; i < first; ++i) {
        if (mode == "other-site" && i == 37) rt.ClockNowAt(other);
        if (mode == "other-kind" && i == 60) rt.RandomBits(8);
        seen.push_back(rt.ClockNow());
      }
      for (int i = 0; i < 50; ++i) seen.push_back(rt.ClockNow());
      rt.RandomBits(8);
      for (int i = 0; i < 20; ++i) seen.push_back(rt.ClockNow());
      return 0;
    });
  }
};

TEST(IntRunReplay, ServesTheRecordedValuesAndDriftsAtTheRightSeq) {
  TempDir dir;
  Loops loops;
  Captured rec = RecordCaptured(dir, loops.program(), "t");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<int64_t> recorded = loops.seen;
  ASSERT_EQ(recorded.size(), 170u);

  RunReport same = ReplayCaptured(dir, loops.program(), "t").report;
  ASSERT_EQ(same.status, RunReport::Status::kOk) << same.error;
  EXPECT_EQ(same.events, 171u);
  EXPECT_EQ(loops.seen, recorded);

  loops.mode = "other-site";
  RunReport r = ReplayCaptured(dir, loops.program(), "t").report;
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << r.error;
  EXPECT_EQ(r.drift->kind, DriftKind::kSiteMismatch) << r.drift->Describe();
  EXPECT_EQ(r.drift->seq, 37u);
  EXPECT_NE(r.drift->expected.find("clock.now() at tests/engine/drift_test.cc:"), std::string::npos)
      << r.drift->expected;
  EXPECT_NE(r.drift->got.find("clock.now() at other-site"), std::string::npos) << r.drift->got;
  EXPECT_TRUE(std::equal(recorded.begin(), recorded.begin() + 37, loops.seen.begin()));
  // The report's context comes from the file, not from the run being served:
  // the three events the run served last, and no lane (no threads).
  EXPECT_EQ(r.drift->lane, -1);
  EXPECT_EQ(r.drift->recent.find("seq 33 "), std::string::npos) << r.drift->recent;
  for (const char* line : {"seq 34  clock.now() -> ", "\nseq 35  clock.now() -> ",
                           "\nseq 36  clock.now() -> "}) {
    EXPECT_NE(r.drift->recent.find(line), std::string::npos) << line << "\n" << r.drift->recent;
  }
  EXPECT_EQ(r.drift->recent.find("seq 37"), std::string::npos) << r.drift->recent;
  EXPECT_NE(r.drift->Describe().find("recorded before it:\n    seq 34  clock.now()"),
            std::string::npos)
      << r.drift->Describe();

  loops.mode = "other-kind";
  r = ReplayCaptured(dir, loops.program(), "t").report;
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << r.error;
  EXPECT_EQ(r.drift->kind, DriftKind::kSiteMismatch) << r.drift->Describe();
  EXPECT_EQ(r.drift->seq, 60u);

  loops.mode = "short";  // leaves the first loop 20 calls early
  r = ReplayCaptured(dir, loops.program(), "t").report;
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << r.error;
  EXPECT_EQ(r.drift->kind, DriftKind::kSiteMismatch) << r.drift->Describe();
  EXPECT_EQ(r.drift->seq, 80u);
  EXPECT_EQ(r.drift->recent.find("seq 76 "), std::string::npos) << r.drift->recent;
  EXPECT_NE(r.drift->recent.find("seq 79  clock.now() -> "), std::string::npos)
      << r.drift->recent;
  // The recorded event is read from the cursor-only decode: the same call
  // (clock.now at the second loop's line) is recognized as moved.
  EXPECT_NE(r.drift->hint.find("the same call moved from line "), std::string::npos)
      << r.drift->hint;
}

}  // namespace
}  // namespace tape::testing
