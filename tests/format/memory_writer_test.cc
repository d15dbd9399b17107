// MemoryTraceWriter builds in memory the trace TraceWriter would write: the
// reader finds every event, the outcome, the caller's finish time, the site
// table and index content hashes that match the chunks.

#include "format/memory_writer.h"

#include <gtest/gtest.h>

#include "format/layout.h"
#include "format/records.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

std::vector<uint8_t> Build(const std::vector<TestEvent>& events, const WriterOptions& options,
                           const Outcome& outcome, uint64_t finished) {
  auto w = MemoryTraceWriter::Create(TestHeader(), options);
  EXPECT_TRUE(w.has_value()) << w.error().message();
  for (const TestEvent& e : events) {
    (*w)->DefineSite(e.site, SiteText(e.site));
    (*w)->Append(e.site, e.kind, AsBytes(e.args), AsBytes(e.result));
  }
  EXPECT_EQ((*w)->events(), events.size());
  return (*w)->Finish(outcome, finished);
}

TEST(MemoryTraceWriter, WritesWhatTheReaderReads) {
  WriterOptions o;
  o.chunk_max_events = 7;
  o.chunk_max_payload = 4096;
  o.spill_threshold = 1024;  // payloads up to 3000 bytes: some are spilled
  std::vector<TestEvent> events = RandomEvents(5, 200, 3000);
  Outcome outcome{OutcomeKind::kException, 0, "panic: boom"};
  std::vector<uint8_t> bytes = Build(events, o, outcome, 1234);

  auto r = TraceReader::OpenBytes(Bytes(bytes.data(), bytes.size()), "memory");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE((*r)->finalized());
  EXPECT_EQ((*r)->event_count(), events.size());
  EXPECT_GE((*r)->chunks().size(), events.size() / 7);
  EXPECT_EQ((*r)->outcome(), outcome);
  EXPECT_EQ((*r)->finished_unix_ns(), 1234u);
  EXPECT_EQ((*r)->header().program_name, "test");
  EXPECT_EQ((*r)->header().chunk_max_events, 7u);
  std::vector<TestEvent> read;
  ASSERT_TRUE(ReadAll(**r, &read).ok());
  EXPECT_EQ(read, events);
  for (const TestEvent& e : events) EXPECT_EQ((*r)->SiteLocation(e.site), SiteText(e.site));

  // Spilled payloads went to BLOB records, and the index's hashes are right.
  size_t blobs = 0;
  RecordView rec;
  for (uint64_t at = kPreludeSize;
       ReadRecord(Bytes(bytes.data(), bytes.size()), at, &rec).ok() && rec.tag != kTagFooter;
       at += rec.size()) {
    blobs += rec.tag == kTagBlob;
  }
  EXPECT_GT(blobs, 0u);
  ChunkDecoder decoder;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    const ChunkIndexEntry& e = (*r)->chunks()[c];
    auto hash = decoder.ContentHash(
        Bytes(bytes.data(), bytes.size()).subspan(e.file_offset + 16, e.record_size - 16),
        e.file_offset);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(*hash, e.content_hash) << "chunk " << c;
  }
}

TEST(MemoryTraceWriter, ReadsLikeTheSameEventsWrittenByTraceWriter) {
  std::vector<TestEvent> events = RandomEvents(9, 500, 300);
  WriterOptions o;
  o.chunk_max_events = 64;
  TempDir dir;
  WriteTrace(dir.File("t"), events, o, Outcome::Exited(3));
  auto from_file = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(from_file.has_value());
  std::vector<uint8_t> bytes = Build(events, o, Outcome::Exited(3), 0);
  auto from_memory = TraceReader::OpenBytes(Bytes(bytes.data(), bytes.size()));
  ASSERT_TRUE(from_memory.has_value());
  std::vector<TestEvent> a, b;
  ASSERT_TRUE(ReadAll(**from_file, &a).ok());
  ASSERT_TRUE(ReadAll(**from_memory, &b).ok());
  EXPECT_EQ(a, b);
  EXPECT_EQ((*from_file)->outcome(), (*from_memory)->outcome());
  EXPECT_EQ((*from_file)->header().code_hash, (*from_memory)->header().code_hash);
  EXPECT_EQ((*from_file)->sites(), (*from_memory)->sites());
}

TEST(MemoryTraceWriter, NoEventsIsAFinalizedEmptyTrace) {
  std::vector<uint8_t> bytes = Build({}, WriterOptions(), Outcome::Exited(0), 0);
  auto r = TraceReader::OpenBytes(Bytes(bytes.data(), bytes.size()));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE((*r)->finalized());
  EXPECT_EQ((*r)->event_count(), 0u);
  EXPECT_EQ((*r)->finished_unix_ns(), 0u);
}

TEST(MemoryTraceWriter, InvalidOptionsAreRefused) {
  WriterOptions o;
  o.chunk_max_events = 0;
  auto w = MemoryTraceWriter::Create(TestHeader(), o);
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("chunk_max_events"), std::string::npos);
}

}  // namespace
}  // namespace tape::format::testing
