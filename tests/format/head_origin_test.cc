// The HEAD's origin field (specs/trace-format.md §6, format 1.1): it round-
// trips, a 1.0 header (which ends before it) reads as an empty origin, and a
// damaged one is refused.

#include <gtest/gtest.h>

#include "format/layout.h"
#include "format/records.h"
#include "tests/format/trace_fixture.h"

#ifndef TAPE_GOLDEN_DIR
#error "TAPE_GOLDEN_DIR must name tests/golden"
#endif

namespace tape::format::testing {
namespace {

TEST(HeadOrigin, RoundTripsThroughTheWriterAndTheReader) {
  TempDir dir;
  TraceHeader h = TestHeader();
  h.origin = "imported from somewhere (schema 9)";
  auto w = TraceWriter::Create(dir.File("t"), h, WriterOptions());
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  auto r = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ((*r)->header().origin, h.origin);
  EXPECT_EQ((*r)->header().format_minor, kFormatMinor);
}

TEST(HeadOrigin, TapesOwnRecordingsHaveNone) {
  TraceHeader parsed;
  std::vector<uint8_t> body = EncodeHeaderBody(TestHeader());
  ASSERT_TRUE(ParseHeaderBody(Bytes(body.data(), body.size()), &parsed).ok());
  EXPECT_EQ(parsed.origin, "");
  EXPECT_EQ(body.back(), 0) << "an empty origin is one zero byte";
}

TEST(HeadOrigin, AFormat10HeaderEndsBeforeItAndReadsAsEmpty) {
  auto r = TraceReader::Open(std::string(TAPE_GOLDEN_DIR) + "/small-chunks.trace");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ((*r)->header().format_minor, 0);
  EXPECT_EQ((*r)->header().origin, "");
  EXPECT_EQ((*r)->header().flush_ms, 100u);
}

TEST(HeadOrigin, TruncatedOriginIsCorrupt) {
  TraceHeader h = TestHeader();
  h.origin = "imported";
  std::vector<uint8_t> body = EncodeHeaderBody(h);
  // After origin come redaction and chaos (1 byte each, empty) and the chaos seed (8).
  body.resize(body.size() - 10 - 3);
  TraceHeader parsed;
  Status s = ParseHeaderBody(Bytes(body.data(), body.size()), &parsed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'origin'"), std::string::npos) << s.message();
}

TEST(HeadOrigin, RedactionAndChaosRoundTripAndTruncationIsCorrupt) {
  TraceHeader h = TestHeader();
  h.redaction = "env API_TOKEN";
  h.chaos = "fs.read=0.1";
  h.chaos_seed = 42;
  std::vector<uint8_t> body = EncodeHeaderBody(h);
  TraceHeader parsed;
  ASSERT_TRUE(ParseHeaderBody(Bytes(body.data(), body.size()), &parsed).ok());
  EXPECT_EQ(parsed.redaction, "env API_TOKEN");
  EXPECT_EQ(parsed.chaos, "fs.read=0.1");
  EXPECT_EQ(parsed.chaos_seed, 42u);
  body.resize(body.size() - 1);
  Status s = ParseHeaderBody(Bytes(body.data(), body.size()), &parsed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'chaos seed'"), std::string::npos) << s.message();
}

TEST(HeadOrigin, OriginOverTheLimitIsCorrupt) {
  TraceHeader h = TestHeader();
  h.origin.assign(kMaxShortString + 1, 'o');
  std::vector<uint8_t> body = EncodeHeaderBody(h);
  TraceHeader parsed;
  EXPECT_FALSE(ParseHeaderBody(Bytes(body.data(), body.size()), &parsed).ok());
  h.origin.pop_back();
  body = EncodeHeaderBody(h);
  EXPECT_TRUE(ParseHeaderBody(Bytes(body.data(), body.size()), &parsed).ok());
}

TEST(HeadOrigin, BytesAfterOriginAreIgnored) {
  TraceHeader h = TestHeader();
  h.origin = std::string("from elsewhere");
  std::vector<uint8_t> body = EncodeHeaderBody(h);
  body.insert(body.end(), {1, 2, 3});
  TraceHeader parsed;
  ASSERT_TRUE(ParseHeaderBody(Bytes(body.data(), body.size()), &parsed).ok());
  EXPECT_EQ(parsed.origin, "from elsewhere");
}

}  // namespace
}  // namespace tape::format::testing
