// The debugger's view of a run (engine/lang/machine.h) and its snapshots
// (engine/debug/snapshots.h): a run restored from a snapshot goes on exactly
// as the original did — same instructions, same values, same memory charges,
// so the same copy-on-write copies and the same out-of-memory point — and
// traps never change where a run is.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/debug/evaluate.h"
#include "engine/debug/snapshots.h"
#include "engine/lang/machine.h"
#include "engine/lang/script.h"
#include "tests/lang/fake_runtime.h"

namespace tape::debug {
namespace {

using lang::Machine;

std::shared_ptr<const lang::Script> Compile(const std::string& source) {
  auto script = lang::Script::Compile("t.tape", source);
  EXPECT_TRUE(script.has_value()) << script.error().message();
  return *script;
}

// Lists and maps shared between variables and changed after being shared:
// every change copies (value semantics), and the copies are charged. The
// string env.get returns is shared with its site's last result
// (engine::SiteString), which a save must copy with the values.
const char kSharing[] = R"(
let a = [1, 2, 3];
let m = {"k": a, "j": [a, a]};
let n = 0;
for i in 0..300 {
  let b = a;
  push(b, i);
  m["k"] = b;
  a = b;
  if i % 7 == 0 {
    m["j"] = [m["k"], a, {"i": i}];
  }
  if i % 5 == 0 {
    m["e"] = env.get("SHARED");
  }
  n += len(a);
}
)";

// The environment kSharing reads.
void SetEnvironment(lang::testing::FakeRuntime* rt) {
  rt->env["SHARED"] = "a value the loop reads again and again";
}

struct End {
  uint64_t icount = 0, steps = 0;
  int64_t memory = 0;
  std::string globals;
  std::string error;
  bool operator==(const End&) const = default;
};

End RunToEnd(Machine& m) {
  End e;
  try {
    EXPECT_EQ(m.Run(UINT64_MAX), Machine::Stopped::kExited);
  } catch (const ProgramError& err) {
    e.error = err.what();
  }
  e.icount = m.icount();
  e.steps = m.steps();
  e.memory = m.memory_used();
  ForEachGlobal(m, [&](const std::string& name, const lang::Value* v) {
    e.globals += name + "=" + (v ? Render(*v, 1 << 20) : "unset") + ";";
  });
  return e;
}

// The end of a plain run of `script`.
End PlainEnd(std::shared_ptr<const lang::Script> script, const lang::RunLimits& limits = {}) {
  lang::testing::FakeRuntime rt;
  SetEnvironment(&rt);
  Machine plain(std::move(script), limits);
  plain.set_runtime(&rt);
  return RunToEnd(plain);
}

TEST(Machine, RunsToAnyPositionExactly) {
  auto script = Compile(kSharing);
  lang::testing::FakeRuntime rt;
  Machine m(script, {});
  m.set_runtime(&rt);
  for (uint64_t at : {0, 1, 2, 17, 100, 1000}) {
    ASSERT_EQ(m.Run(at), Machine::Stopped::kPaused);
    EXPECT_EQ(m.icount(), at);
  }
}

TEST(Machine, RestoredRunGoesOnAsTheOriginal) {
  auto script = Compile(kSharing);
  lang::testing::FakeRuntime rt;
  SetEnvironment(&rt);
  End expected = PlainEnd(script);
  ASSERT_GT(expected.icount, 5000u);
  ASSERT_TRUE(expected.error.empty()) << expected.error;
  for (uint64_t at = 0; at < expected.icount; at += expected.icount / 7 + 1) {
    Machine m(script, {});
    m.set_runtime(&rt);
    ASSERT_EQ(m.Run(at), Machine::Stopped::kPaused);
    std::shared_ptr<const Machine::State> saved = m.Save();
    EXPECT_EQ(Machine::StateIcount(*saved), at);
    EXPECT_GT(Machine::StateBytes(*saved), 0);
    EXPECT_EQ(RunToEnd(m), expected) << "straight on from " << at;
    // Twice from the same snapshot: running from it never changes it.
    for (int again = 0; again < 2; ++again) {
      m.Restore(*saved);
      m.set_runtime(&rt);
      EXPECT_EQ(m.icount(), at);
      EXPECT_EQ(RunToEnd(m), expected) << "restored at " << at << ", time " << again;
    }
  }
}

TEST(Machine, RestoredRunRunsOutOfMemoryAtTheSamePlace) {
  // Charges decide where a run faults: a copy that shared less or more than
  // the original would fault elsewhere.
  auto script = Compile(R"(
let keep = [];
let s = "x";
while true {
  let shared = keep;
  push(keep, s + str(len(keep)));
  if len(keep) % 3 == 0 {
    keep = shared;
    push(keep, [s, s]);
  }
}
)");
  lang::RunLimits limits;
  limits.max_memory = 256 << 10;
  lang::testing::FakeRuntime rt;
  End expected = PlainEnd(script, limits);
  ASSERT_NE(expected.error.find("out of memory"), std::string::npos) << expected.error;
  for (uint64_t at : {uint64_t{0}, expected.icount / 3, expected.icount - 5}) {
    Machine m(script, limits);
    m.set_runtime(&rt);
    ASSERT_EQ(m.Run(at), Machine::Stopped::kPaused);
    auto saved = m.Save();
    m.Restore(*saved);
    m.set_runtime(&rt);
    EXPECT_EQ(RunToEnd(m), expected) << "restored at " << at;
  }
}

TEST(Machine, SavesShareWhatDidNotChangeAndRestoreExactly) {
  // A large list kept, a small one changed in place (same object, other
  // content), strings made and dropped (their addresses reused).
  auto script = Compile(R"(
let keep = [];
for i in 0..3000 {
  push(keep, "kept " + str(i));
}
let small = [1];
let m = {"a": keep, "n": 0};
for i in 0..3000 {
  push(small, i);
  let s = "temp " + str(i % 10);
  m["n"] = len(s) + i;
  if i % 100 == 0 {
    keep[i] = s;
  }
}
)");
  End expected = PlainEnd(script);
  lang::testing::FakeRuntime rt;
  Machine m(script, {});
  m.set_runtime(&rt);
  Machine::Sharing sharing;
  std::vector<std::shared_ptr<const Machine::State>> saves;
  for (uint64_t at = expected.icount / 3; at < expected.icount; at += expected.icount / 10) {
    ASSERT_EQ(m.Run(at), Machine::Stopped::kPaused);
    saves.push_back(m.Save(&sharing));
    // After the first, a save makes only what changed: the kept strings
    // (3000 of them, 64 bytes each) are not copied again.
    int64_t alone = Machine::StateCharges(*m.Save());
    if (saves.size() > 1) {
      EXPECT_LT(Machine::StateCharges(*saves.back()), alone - 150000);
    }
  }
  ASSERT_GE(saves.size(), 5u);
  for (const auto& saved : saves) {
    m.Restore(*saved);
    m.set_runtime(&rt);
    EXPECT_EQ(RunToEnd(m), expected) << "restored at " << Machine::StateIcount(*saved);
  }
  // Freeing saves counts what they held alone.
  int64_t made = 0;
  for (const auto& saved : saves) made += Machine::StateCharges(*saved);
  saves.clear();
  sharing.last.reset();
  EXPECT_EQ(sharing.freed, made);
}

class CountingTraps : public lang::TrapHandler {
 public:
  bool OnTrap() override {
    ++hits;
    return stop_at_hit != 0 && hits == stop_at_hit;
  }
  uint64_t hits = 0;
  uint64_t stop_at_hit = 0;
};

TEST(Machine, TrapsDoNotMovePositions) {
  auto script = Compile(kSharing);
  lang::testing::FakeRuntime rt;
  SetEnvironment(&rt);
  End expected = PlainEnd(script);

  Machine m(script, {});
  m.set_runtime(&rt);
  CountingTraps traps;
  m.set_trap_handler(&traps);
  for (size_t f = 0; f < m.module().functions.size(); ++f) {
    for (const lang::StatementStart& s : m.module().functions[f].statements) {
      m.SetTrap(static_cast<int>(f), s.pc);
    }
  }
  EXPECT_EQ(RunToEnd(m), expected);
  EXPECT_GT(traps.hits, 300u);  // each iteration's statements

  // A trap that stops: the run is before the trapped instruction, and goes
  // on from there without hitting it again.
  Machine s(script, {});
  s.set_runtime(&rt);
  CountingTraps stopper;
  stopper.stop_at_hit = 10;
  s.set_trap_handler(&stopper);
  const lang::Function& top = s.module().functions[0];
  for (const lang::StatementStart& st : top.statements) s.SetTrap(0, st.pc);
  ASSERT_EQ(s.Run(UINT64_MAX), Machine::Stopped::kPaused);
  EXPECT_EQ(stopper.hits, 10u);
  EXPECT_TRUE(s.HasTrap(0, s.frame(0).pc));
  uint64_t at = s.icount();
  stopper.stop_at_hit = 0;
  for (const lang::StatementStart& st : top.statements) s.ClearTrap(0, st.pc);
  EXPECT_EQ(RunToEnd(s), expected);
  EXPECT_GT(expected.icount, at);
}

TEST(Snapshots, StayWithinTheirBudgetSpreadOverTheRun) {
  Snapshots snaps(1000);
  int thinned = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    Snapshots::Entry e;
    e.icount = i * 10;
    e.seq = i;
    e.bytes = 100;
    thinned += snaps.Add(std::move(e)) ? 1 : 0;
    EXPECT_LE(snaps.bytes(), 1000);
  }
  EXPECT_GT(thinned, 0);
  ASSERT_NE(snaps.AtOrAfter(0), nullptr);
  EXPECT_EQ(snaps.AtOrAfter(0)->icount, 0u);  // the start stays
  EXPECT_GE(snaps.size(), 5u);
  // Lookups by position and by seq.
  const Snapshots::Entry* before = snaps.Before(500);
  ASSERT_NE(before, nullptr);
  EXPECT_LT(before->icount, 500u);
  EXPECT_EQ(snaps.Before(0), nullptr);
  const Snapshots::Entry* by_seq = snaps.AtOrBeforeSeq(50);
  ASSERT_NE(by_seq, nullptr);
  EXPECT_LE(by_seq->seq, 50u);
  // One larger than the whole budget is not kept.
  Snapshots::Entry huge;
  huge.icount = 5;
  huge.bytes = 5000;
  snaps.Add(std::move(huge));
  EXPECT_LE(snaps.bytes(), 1000);
}

TEST(Evaluate, RefusesWhatWouldChangeTheRun) {
  for (const char* text : {"clock.now()", "print(1)", "eprint(1)", "push(a, 1)", "exit(1)",
                           "f(1)", "a = 1", "let a = 1", "1 +", "", "fs.read(\"x\") + 1"}) {
    EXPECT_FALSE(Expression::Parse(text).has_value()) << text;
  }
  EXPECT_TRUE(Expression::Parse("len(a) + a[0] * 2 > 3 and not b").has_value());
}

TEST(Evaluate, ValuesAndErrorsInAFrame) {
  auto script = Compile("let a = [1, 2];\nlet m = {\"k\": a};\nlet z = 0;\n");
  lang::testing::FakeRuntime rt;
  Machine m(script, {});
  m.set_runtime(&rt);
  ASSERT_EQ(m.Run(UINT64_MAX), Machine::Stopped::kExited);
  auto shown = [&](const std::string& text) {
    std::string out;
    Status s = Evaluate(Scope{&m, 0}, text, [&](const lang::Value& v) { out = Render(v); });
    return s.ok() ? out : "error: " + s.message();
  };
  EXPECT_EQ(shown("m[\"k\"][1] + len(a)"), "4");
  EXPECT_EQ(shown("{\"n\": [a[0], \"s\"]}"), "{\"n\": [1, \"s\"]}");
  EXPECT_EQ(shown("a[5]").rfind("error: ", 0), 0u);
  EXPECT_EQ(shown("nosuch").rfind("error: no variable 'nosuch'", 0), 0u);
  EXPECT_EQ(shown("1 / z").rfind("error: ", 0), 0u);
  // Operators apply left to right, and `and`/`or` stop early.
  EXPECT_EQ(shown("10 - 3 - 2 * 2 == 3 and a[0] + 1 == 2"), "true");
  EXPECT_EQ(shown("z != 0 and 1 / z > 0"), "false");
  EXPECT_EQ(shown("z == 0 or 1 / z > 0"), "true");
  EXPECT_EQ(shown("1 < 2 == true"), "true");
  // 1+1+...+1 nests on its left as deep as it is long; a line of 1 MiB of
  // it would overflow the native stack if refusals or evaluation recursed.
  std::string sum = "z", either = "z";
  for (int i = 0; i < 300000; ++i) sum += "+1";
  for (int i = 0; i < 100000; ++i) either += " or z == 1";
  EXPECT_EQ(shown(sum), "300000");
  EXPECT_EQ(shown(either), "false");
  for (const std::string& text : {sum + "+clock.now()", "clock.now()+" + sum}) {
    Result<Expression> e = Expression::Parse(text);
    ASSERT_FALSE(e.has_value());
    EXPECT_NE(e.error().message().find("calls an effect (clock.now)"), std::string::npos);
  }
}

}  // namespace
}  // namespace tape::debug
