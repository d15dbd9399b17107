// Converting traces of the original tape (tools/original_import.h) against
// specs/original-trace.md §4–§8: each effect's payloads, the site ids and
// their names, the program, the outcome, and damage with and without
// --recover.

#include "tools/original_import.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tape/codec.h"
#include "format/trace_reader.h"
#include "tests/format/original_fixture.h"

namespace tape::cli {
namespace {

namespace orig = format::original;
using format::AsBytes;
using format::Bytes;
using testing::original::Bincode;
using testing::original::GoldenNames;
using testing::original::ReadGolden;
namespace fixture = testing::original;

std::string U32(uint32_t v) {
  std::string s;
  Codec<uint32_t>::Encode(v, &s);
  return s;
}
std::string U64(uint64_t v) {
  std::string s;
  Codec<uint64_t>::Encode(v, &s);
  return s;
}

struct Converted {
  Status status;
  std::string args, result;
};

// Converts one event of `kind` (1..8) with the given bincode payloads.
Converted Convert(uint8_t kind, const std::string& args, const std::string& result) {
  orig::Event e;
  e.offset = 1000;
  e.seq = 4;
  e.kind = kind;
  e.args = AsBytes(args);
  e.result = AsBytes(result);
  Converted c;
  c.status = ConvertPayloads(e, &c.args, &c.result);
  return c;
}

void ExpectConverted(const Converted& c, const std::string& args, const std::string& result) {
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.args, args);
  EXPECT_EQ(c.result, result);
}

void ExpectRefused(const Converted& c, const std::string& what) {
  ASSERT_FALSE(c.status.ok()) << "converted, expected: " << what;
  EXPECT_EQ(c.status.code(), StatusCode::kCorrupt);
  EXPECT_NE(c.status.message().find(what), std::string::npos) << c.status.message();
}

// --- §4: payloads ---------------------------------------------------------------

TEST(ConvertPayloads, ClockSecondsBecomeNanoseconds) {
  ExpectConverted(Convert(1, "", Bincode().U64(1778053548)), "", U64(1778053548000000000));
}

TEST(ConvertPayloads, ClockPastTheYear2262IsRefused) {
  ExpectConverted(Convert(1, "", Bincode().U64(9223372036)), "", U64(9223372036000000000));
  ExpectRefused(Convert(1, "", Bincode().U64(9223372037)), "past the year 2262");
}

TEST(ConvertPayloads, RandomBitsLengthBecomesU32AndTheBytesStay) {
  ExpectConverted(Convert(2, Bincode().U64(3), Bincode().Vec("\x01\x02\x03")), U32(3),
                  "\x01\x02\x03");
}

TEST(ConvertPayloads, RandomBitsMustHoldTheBytesItsArgsAskFor) {
  ExpectRefused(Convert(2, Bincode().U64(4), Bincode().Vec("\x01\x02\x03")),
                "holds 3 bytes, but the args ask for 4");
  ExpectRefused(Convert(2, Bincode().U64(uint64_t(1) << 32), Bincode().Vec("")), "over 2^32 - 1");
}

TEST(ConvertPayloads, IoWriteOfTheWholeBufferIsOkAndAShortOneIsEio) {
  ExpectConverted(Convert(3, Bincode().Vec("hello\n"), Bincode().U64(6)), "hello\n", U32(0));
  ExpectConverted(Convert(3, Bincode().Vec("hello\n"), Bincode().U64(2)), "hello\n", U32(EIO));
  ExpectConverted(Convert(3, Bincode().Vec("hello\n"), Bincode().U64(0)), "hello\n", U32(EIO));
  ExpectRefused(Convert(3, Bincode().Vec("hello\n"), Bincode().U64(7)),
                "7 bytes written of a 6-byte buffer");
}

TEST(ConvertPayloads, FsReadContentsFollowErrnoZero) {
  ExpectConverted(Convert(4, Bincode().Vec("in.txt"), Bincode().U32(0).Vec("data")), "in.txt",
                  U32(0) + "data");
}

TEST(ConvertPayloads, FsReadErrorKeepsTheOsErrno) {
  ExpectConverted(Convert(4, Bincode().Vec("x"),
                          Bincode().U32(1).Vec("No such file or directory (os error 2)")),
                  "x", U32(2));
  ExpectConverted(
      Convert(4, Bincode().Vec("x"), Bincode().U32(1).Vec("Is a directory (os error 21)")), "x",
      U32(21));
}

TEST(ConvertPayloads, FsErrorWithoutAnOsErrnoIsEio) {
  for (std::string text : {"stream did not contain valid UTF-8", "(os error 0)", "(os error x)",
                           "(os error 2) trailing", "(os error 1234567890)", ""}) {
    ExpectConverted(Convert(4, Bincode().Vec("x"), Bincode().U32(1).Vec(text)), "x", U32(EIO));
  }
}

TEST(ConvertPayloads, FsReadResultVariantBeyondErrIsRefused) {
  ExpectRefused(Convert(4, Bincode().Vec("x"), Bincode().U32(2)),
                "Result variant is 2, not 0 Ok or 1 Err");
}

TEST(ConvertPayloads, FsWriteArgsGetAPathLengthAndTheResultAnErrno) {
  std::string args = Bincode().Vec("out.txt").Vec("payload");
  std::string tape_args = U32(7) + "out.txt" + "payload";
  ExpectConverted(Convert(5, args, Bincode().U32(0).U64(7)), tape_args, U32(0));
  ExpectConverted(Convert(5, args, Bincode().U32(1).Vec("Permission denied (os error 13)")),
                  tape_args, U32(13));
}

TEST(ConvertPayloads, FsWriteOkMustCountTheWholeData) {
  ExpectRefused(Convert(5, Bincode().Vec("out.txt").Vec("payload"), Bincode().U32(0).U64(3)),
                "Ok(3) for 7 bytes of data");
}

TEST(ConvertPayloads, EnvGetSomeAndNone) {
  ExpectConverted(Convert(6, Bincode().Vec("NAME"), Bincode().U8(1).Vec("farkhad")), "NAME",
                  std::string("\x01") + "farkhad");
  ExpectConverted(Convert(6, Bincode().Vec("NAME"), Bincode().U8(0)), "NAME",
                  std::string("\x00", 1));
  ExpectConverted(Convert(6, Bincode().Vec("NAME"), Bincode().U8(1).Vec("")), "NAME",
                  std::string("\x01"));
  ExpectRefused(Convert(6, Bincode().Vec("NAME"), Bincode().U8(2)), "Option tag is 2");
}

TEST(ConvertPayloads, ArgsGetListGetsU32Lengths) {
  ExpectConverted(Convert(7, "", Bincode().U64(2).Vec("tape").Vec("run")), "",
                  U32(2) + U32(4) + "tape" + U32(3) + "run");
  ExpectConverted(Convert(7, "", Bincode().U64(0)), "", U32(0));
}

TEST(ConvertPayloads, ArgsGetAbsurdCountIsRefusedBeforeReserving) {
  ExpectRefused(Convert(7, "", Bincode().U64(uint64_t(1) << 60).Vec("a")),
                "argument count is 1152921504606846976, but 9 bytes follow");
}

TEST(ConvertPayloads, TimeSleepKeepsItsBytes) {
  ExpectConverted(Convert(8, Bincode().U64(200), ""), U64(200), "");
  ExpectRefused(Convert(8, Bincode().U64(200), "x"), "result: 1 unexpected bytes at the end");
}

TEST(ConvertPayloads, EveryPayloadMustEndWhereItsLayoutDoes) {
  ExpectRefused(Convert(1, "x", Bincode().U64(1)), "args: 1 unexpected bytes at the end");
  ExpectRefused(Convert(1, "", Bincode().U64(1).U8(0)), "result: 1 unexpected bytes at the end");
  ExpectRefused(Convert(7, "", Bincode().U64(1).Vec("a").U8(9)),
                "result: 1 unexpected bytes at the end");
}

TEST(ConvertPayloads, StringsMustBeUtf8) {
  ExpectRefused(Convert(4, Bincode().Vec("bad\xff"), Bincode().U32(0).Vec("")),
                "path is not UTF-8");
  ExpectRefused(Convert(6, Bincode().Vec("N"), Bincode().U8(1).Vec("\xc0\x80")),
                "value is not UTF-8");
}

TEST(ConvertPayloads, ErrorsNameTheByteTheEventAndTheField) {
  // The event is at byte 1000 (§3.2): its args at 1024, its 8-byte result at 1040.
  ExpectRefused(Convert(2, Bincode().U64(1), Bincode().U64(5).Raw("ab")),
                "byte 1040: event 4 (random.bits) result: bytes length is 5 bytes, but only 2 "
                "follow");
  ExpectRefused(Convert(8, "abc", ""),
                "byte 1024: event 4 (time.sleep) args: milliseconds needs 8 bytes, 3 left");
}

// --- §5: sites ---------------------------------------------------------------------

TEST(OriginalSites, IdsAreFnv1aOfFileLineAndColumn) {
  EXPECT_EQ(OriginalSiteId("src/programs.rs", 84, 28), 0x628b0bb4u);
  EXPECT_EQ(OriginalSiteId("src/programs.rs", 50, 20), 0xdee8f852u);
  EXPECT_EQ(OriginalSiteId("", 0, 0), 0x117697cdu);  // FNV-1a of two zero words
}

TEST(OriginalSites, BuiltinSitesAreNamedWithTheirProgram) {
  std::string program;
  EXPECT_EQ(OriginalSiteLocation(0x628b0bb4, &program), "src/programs.rs:84:28");
  EXPECT_EQ(program, "flaky");
  EXPECT_EQ(OriginalSiteLocation(0x9afb0c39, &program), "src/programs.rs:146:17");
  EXPECT_EQ(program, "greet");
  EXPECT_EQ(OriginalSiteLocation(0x12345678, &program), "");
}

TEST(OriginalSites, EverySiteOfTheBuiltinExamplesIsKnown) {
  for (const std::string& name : GoldenNames()) {
    if (name.starts_with("script-")) continue;
    orig::Trace t;
    ASSERT_TRUE(orig::Parse(AsBytes(ReadGolden(name)), &t).ok()) << name;
    std::string program = name.substr(0, name.find_first_of("-."));
    for (const orig::Event& e : t.events) {
      std::string p;
      EXPECT_NE(OriginalSiteLocation(e.site, &p), "") << name << " site " << e.site;
      EXPECT_EQ(p, program) << name;
    }
  }
}

// --- §6, §7: whole traces ---------------------------------------------------------

struct Imported {
  ImportResult result;
  std::unique_ptr<format::TraceReader> reader;
};

Imported Import(const std::string& bytes, ImportOptions options = {}) {
  Imported out;
  auto r = ImportOriginalTrace(AsBytes(bytes), "test.tape", options);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  if (!r.has_value()) return out;
  out.result = std::move(r).value();
  auto reader = format::TraceReader::OpenBytes(
      Bytes(out.result.trace.data(), out.result.trace.size()), "imported");
  EXPECT_TRUE(reader.has_value()) << reader.error().message();
  if (reader.has_value()) out.reader = std::move(reader).value();
  return out;
}

TEST(ImportOriginalTrace, EveryCommittedTraceBecomesTheSameEventsInATapeTrace) {
  for (const std::string& name : GoldenNames()) {
    std::string bytes = ReadGolden(name);
    orig::Trace t;
    ASSERT_TRUE(orig::Parse(AsBytes(bytes), &t).ok());
    Imported imp = Import(bytes);
    ASSERT_TRUE(imp.reader) << name;
    const format::TraceReader& r = *imp.reader;
    EXPECT_TRUE(r.finalized());
    EXPECT_EQ(r.event_count(), t.events.size()) << name;
    EXPECT_EQ(imp.result.events, t.events.size());
    const format::TraceHeader& h = r.header();
    EXPECT_EQ(h.origin, kOriginalOrigin);
    EXPECT_EQ(h.recorder, "the original tape");
    EXPECT_EQ(h.created_unix_ns, uint64_t(t.started_at) * 1000000000u);
    EXPECT_EQ(h.code_hash, std::string(t.code_hash.begin(), t.code_hash.end()));
    EXPECT_EQ(r.finished_unix_ns(), 0u);
    format::EventCursor cursor(&r, format::kDecodeAll);
    ASSERT_TRUE(cursor.Seek(0).ok());
    for (const orig::Event& e : t.events) {
      ASSERT_FALSE(cursor.at_end());
      format::EventView v = cursor.event();
      EXPECT_EQ(v.seq, e.seq);
      EXPECT_EQ(v.site, uint64_t(e.site));
      EXPECT_EQ(v.kind, e.kind);
      std::string args, result, want_args, want_result;
      ASSERT_TRUE(ConvertPayloads(e, &want_args, &want_result).ok());
      ASSERT_TRUE(r.ReadPayload(v.args, UINT64_MAX, &args).ok());
      ASSERT_TRUE(r.ReadPayload(v.result, UINT64_MAX, &result).ok());
      EXPECT_EQ(args, want_args) << name << " seq " << e.seq;
      EXPECT_EQ(result, want_result) << name << " seq " << e.seq;
      EXPECT_EQ(r.SiteLocation(v.site), OriginalSiteLocation(e.site));
      ASSERT_TRUE(cursor.Next().ok());
    }
  }
}

TEST(ImportOriginalTrace, BuiltinProgramIsInferredFromItsSites) {
  Imported imp = Import(ReadGolden("heartbeat.tape"));
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->header().program_kind, format::ProgramKind::kBuiltin);
  EXPECT_EQ(imp.reader->header().program_name, "heartbeat");
  EXPECT_EQ(imp.result.program_source, "inferred from its sites");
  EXPECT_TRUE(imp.result.notes.empty());
}

TEST(ImportOriginalTrace, ScriptSitesLeaveTheProgramUnknown) {
  Imported imp = Import(ReadGolden("script-effects.tape"));
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->header().program_name, "");
  EXPECT_EQ(imp.result.program_source, "unknown");
  EXPECT_EQ(imp.reader->SiteLocation(0xcfbb9ba9), "");  // its clock.now: a script's site
}

TEST(ImportOriginalTrace, SitesOfTwoProgramsLeaveTheProgramUnknown) {
  std::string bytes = fixture::Trace({{0x628b0bb4, 1, Bincode().U64(0), Bincode().Vec("")},
                                      {0xdee8f852, 0, "", Bincode().U64(1)}});
  Imported imp = Import(bytes);
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->header().program_name, "");
}

TEST(ImportOriginalTrace, AGivenProgramWinsAndADisagreementIsNoted) {
  Imported imp = Import(ReadGolden("flaky.tape"), {"dice", false});
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->header().program_name, "dice");
  EXPECT_EQ(imp.result.program_source, "given");
  ASSERT_EQ(imp.result.notes.size(), 1u);
  EXPECT_NE(imp.result.notes[0].find("'flaky', not 'dice'"), std::string::npos);
}

TEST(ImportOriginalTrace, AGivenScriptNameMakesAScriptProgram) {
  Imported imp = Import(ReadGolden("script-effects.tape"), {"scripts/effects.tape", false});
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->header().program_kind, format::ProgramKind::kScript);
  EXPECT_EQ(imp.reader->header().program_name, "effects.tape");
  EXPECT_EQ(imp.reader->header().script_source, "");
}

TEST(ImportOriginalTrace, OutcomesBecomeTapeOutcomes) {
  Imported failed = Import(ReadGolden("flaky-failed.tape"));
  ASSERT_TRUE(failed.reader);
  EXPECT_EQ(failed.reader->outcome(), format::Outcome::Exited(1));

  Imported panic = Import(ReadGolden("script-panic.tape"));
  ASSERT_TRUE(panic.reader);
  EXPECT_EQ(panic.reader->outcome().kind, format::OutcomeKind::kException);
  EXPECT_TRUE(panic.reader->outcome().message.starts_with("panic: capacity overflow (at /rustc/"))
      << panic.reader->outcome().message;

  Imported no_location = Import(fixture::Trace({}, Bincode().U32(1).Vec("boom").Vec("")));
  ASSERT_TRUE(no_location.reader);
  EXPECT_EQ(no_location.reader->outcome().message, "panic: boom");

  Imported aborted = Import(fixture::Trace({}, Bincode().U32(2)));
  ASSERT_TRUE(aborted.reader);
  EXPECT_EQ(aborted.reader->outcome().kind, format::OutcomeKind::kInterrupted);
  EXPECT_EQ(aborted.reader->outcome().message, "the original tape recorded no outcome");
}

TEST(ImportOriginalTrace, AHugePayloadIsSpilledAndReadsBackWhole) {
  std::string contents(3 << 20, 'x');
  for (size_t i = 0; i < contents.size(); i += 4096) contents[i] = char('a' + i / 4096 % 26);
  std::string bytes =
      fixture::Trace({{0x2e7970b7, 3, Bincode().Vec("big.bin"), Bincode().U32(0).Vec(contents)}});
  Imported imp = Import(bytes);
  ASSERT_TRUE(imp.reader);
  format::EventCursor cursor(imp.reader.get(), format::kDecodeAll);
  ASSERT_TRUE(cursor.Seek(0).ok());
  EXPECT_TRUE(cursor.event().result.spilled());
  std::string result;
  ASSERT_TRUE(imp.reader->ReadPayload(cursor.event().result, UINT64_MAX, &result).ok());
  EXPECT_EQ(result, U32(0) + contents);
}

TEST(ImportOriginalTrace, StartedAtOutsideTapesClockIsRefused) {
  auto r = ImportOriginalTrace(AsBytes(fixture::Trace({}, Bincode().U32(0).I32(0), -1, -5)),
                               "neg.tape", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("started_at is -5 s"), std::string::npos)
      << r.error().message();
}

// --- §8: damage -------------------------------------------------------------------

TEST(ImportOriginalTrace, DamageIsRefusedWithTheCompleteEventsCounted) {
  // Cut at 300, in the middle of event 5 (which starts at 282).
  std::string bytes = ReadGolden("heartbeat.tape");
  auto r = ImportOriginalTrace(AsBytes(bytes.substr(0, 300)), "cut.tape", {});
  ASSERT_FALSE(r.has_value());
  const std::string& m = r.error().message();
  EXPECT_EQ(r.error().code(), StatusCode::kCorrupt);
  EXPECT_TRUE(
      m.starts_with("cut.tape: not a tape trace, nor a readable trace of the original "
                    "tape"))
      << m;
  EXPECT_NE(m.find("byte 298: event 5 args length: needs 8 bytes, 2 left"), std::string::npos) << m;
  EXPECT_NE(m.find("; 5 events before it are complete (tape import --recover keeps them)"),
            std::string::npos)
      << m;
}

TEST(ImportOriginalTrace, RecoverKeepsTheCompleteEvents) {
  std::string bytes = ReadGolden("heartbeat.tape");
  Imported imp = Import(bytes.substr(0, 300), {"", true});
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->event_count(), 5u);
  EXPECT_EQ(imp.reader->header().program_name, "heartbeat");
  EXPECT_EQ(imp.reader->outcome().kind, format::OutcomeKind::kInterrupted);
  EXPECT_EQ(imp.reader->outcome().message,
            "recovered 5 events from a damaged trace of the original tape");
  ASSERT_EQ(imp.result.notes.size(), 1u);
  EXPECT_NE(imp.result.notes[0].find("kept 5 events before it"), std::string::npos);
}

TEST(ImportOriginalTrace, RecoverStopsAtTheFirstPayloadThatDoesNotConvert) {
  std::string bytes = fixture::Trace({{0x1, 0, "", Bincode().U64(1)},
                                      {0x1, 0, "", Bincode().U64(2)},
                                      {0x1, 0, "", Bincode().U64(uint64_t(1) << 62)},
                                      {0x1, 0, "", Bincode().U64(4)}});
  auto refused = ImportOriginalTrace(AsBytes(bytes), "t.tape", {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("event 2 (clock.now) result"), std::string::npos)
      << refused.error().message();
  Imported imp = Import(bytes, {"", true});
  ASSERT_TRUE(imp.reader);
  EXPECT_EQ(imp.reader->event_count(), 2u);
}

TEST(ImportOriginalTrace, TheRefusalNamesTheEarliestDamage) {
  // Event 1's payload is bad, and the file is cut in its footer as well.
  std::string bytes = fixture::Trace({{0x1, 0, "", Bincode().U64(1)},
                                      {0x1, 0, "", Bincode().U64(1).U8(0)},
                                      {0x1, 0, "", Bincode().U64(3)}});
  auto r = ImportOriginalTrace(AsBytes(bytes.substr(0, bytes.size() - 3)), "t.tape", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("event 1 (clock.now) result: 1 unexpected bytes at the end; "
                                     "1 event before it is complete"),
            std::string::npos)
      << r.error().message();
}

TEST(ImportOriginalTrace, HeaderDamageIsRefusedEvenWithRecover) {
  std::string bytes = ReadGolden("dice.tape");
  auto r = ImportOriginalTrace(AsBytes(bytes.substr(0, 30)), "short.tape", {"", true});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("byte 12: code_hash"), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace tape::cli
