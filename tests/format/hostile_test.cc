// Hostile and damaged traces (specs/trace-format.md §8, §9.3, §11, §12):
// gaps in recovered traces, the bounded site table, payloads larger than
// memory, BLOB chains shared by many events, and files that shrink while
// they are mapped.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "format/blob.h"
#include "format/layout.h"
#include "format/records.h"
#include "format/recovery_writer.h"
#include "format/trace_mappings.h"
#include "tests/format/raw_trace.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

TraceHeader Header() { return TestHeader(); }

std::unique_ptr<TraceReader> OpenOk(const std::string& path) {
  auto r = TraceReader::Open(path);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r.has_value() ? std::move(r).value() : nullptr;
}

std::unique_ptr<TraceReader> OpenBytesOk(const std::string& bytes) {
  auto r = TraceReader::OpenBytes(AsBytes(bytes), "hostile");
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r.has_value() ? std::move(r).value() : nullptr;
}

// --- gaps (§9.3) --------------------------------------------------------------

class GapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriterOptions o;
    o.chunk_max_events = 4;
    o.chunk_max_payload = 1024;
    o.spill_threshold = 64;
    events_ = RandomEvents(7, 30, 40);
    events_[12].result.assign(300, 'q');  // spilled: its BLOB chain is copied
    WriteTrace(dir_.File("source"), events_, o, Outcome::Exited(4));
    source_ = OpenOk(dir_.File("source"));
  }

  // Recovers `source_` into `name`, leaving out the seqs in `drop`; the
  // trace ends at `end`.
  void Recover(const std::string& name, const std::vector<uint64_t>& drop, uint64_t end) {
    auto w = RecoveryWriter::Create(dir_.File(name), *source_);
    ASSERT_TRUE(w.has_value()) << w.error().message();
    EventCursor cursor(source_.get(), kDecodeAll);
    ASSERT_TRUE(cursor.Seek(0).ok());
    for (; !cursor.at_end(); (void)cursor.Next()) {
      EventView e = cursor.event();
      if (e.seq >= end || std::find(drop.begin(), drop.end(), e.seq) != drop.end()) continue;
      (*w)->DefineSite(e.site, source_->SiteLocation(e.site));
      Status s = (*w)->Append(e);
      ASSERT_TRUE(s.ok()) << s.message();
    }
    Status s =
        (*w)->Finish(source_->outcome(), source_->event_count(), source_->finished_unix_ns());
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Replaces the footer of the trace at `path` with what `edit` makes of it.
  void EditFooter(const std::string& path,
                  const std::function<void(Footer*, std::vector<SeqRange>*)>& edit) {
    std::string bytes = ReadFile(path);
    uint64_t at;
    ASSERT_TRUE(ReadTrailer(AsBytes(bytes), &at));
    RecordView rec;
    ASSERT_TRUE(ReadRecord(AsBytes(bytes), at, &rec).ok());
    Footer footer;
    std::vector<SeqRange> gaps;
    ASSERT_TRUE(ParseFooterBody(rec.body, &footer, &gaps).ok());
    edit(&footer, &gaps);
    std::vector<uint8_t> tail;
    AppendRecord(kTagFooter, EncodeFooterBody(footer, gaps), &tail);
    AppendTrailer(at, &tail);
    WriteFile(path, bytes.substr(0, at) + std::string(tail.begin(), tail.end()));
  }

  TempDir dir_;
  std::vector<TestEvent> events_;
  std::unique_ptr<TraceReader> source_;
};

TEST_F(GapTest, RecoveredEventsKeepTheirSeqsAcrossGaps) {
  Recover("rec", {0, 1, 9, 10, 11, 17}, 26);  // and a trailing gap 26..29
  auto r = OpenOk(dir_.File("rec"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  EXPECT_EQ(r->header().format_minor, kFormatMinorGaps);
  EXPECT_EQ(r->event_count(), 30u);
  EXPECT_EQ(r->missing_events(), 10u);
  std::vector<SeqRange> want = {{0, 2}, {9, 3}, {17, 1}, {26, 4}};
  EXPECT_EQ(r->gaps(), want);
  EXPECT_EQ(r->outcome(), Outcome::Exited(4));
  ASSERT_NE(r->GapAt(10), nullptr);
  EXPECT_EQ(r->GapAt(10)->first, 9u);
  EXPECT_EQ(r->GapAt(12), nullptr);
  Status missing = r->MissingEvent(10);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("holds no events 9..11"), std::string::npos)
      << missing.message();

  // Every seq maps to the chunk holding it, or the first chunk after it.
  for (uint64_t seq = 0; seq < r->event_count(); ++seq) {
    size_t c = r->ChunkFor(seq);
    if (r->GapAt(seq)) {
      EXPECT_TRUE(c == r->chunks().size() || r->chunks()[c].first_seq > seq) << seq;
    } else {
      ASSERT_LT(c, r->chunks().size());
      EXPECT_LE(r->chunks()[c].first_seq, seq);
      EXPECT_LT(seq, r->chunks()[c].first_seq + r->chunks()[c].event_count);
    }
  }
  // The cursor walks the events the trace holds, with their own seqs.
  EventCursor cursor(r.get(), kDecodeAll);
  ASSERT_TRUE(cursor.Seek(0).ok());
  EXPECT_EQ(cursor.seq(), 2u);
  std::vector<uint64_t> seqs;
  for (; !cursor.at_end(); (void)cursor.Next()) {
    EventView e = cursor.event();
    seqs.push_back(e.seq);
    std::string args, result;
    ASSERT_TRUE(r->ReadWholePayload(e.args, &args).ok());
    ASSERT_TRUE(r->ReadWholePayload(e.result, &result).ok());
    EXPECT_EQ(args, events_[e.seq].args) << e.seq;
    EXPECT_EQ(result, events_[e.seq].result) << e.seq;
    EXPECT_EQ(e.kind, events_[e.seq].kind) << e.seq;
  }
  EXPECT_EQ(seqs.size(), 20u);
  ASSERT_TRUE(cursor.Seek(9).ok());
  EXPECT_EQ(cursor.seq(), 12u);
  ASSERT_TRUE(cursor.Seek(27).ok());
  EXPECT_TRUE(cursor.at_end());
  // The index's content hashes are those of the chunks.
  ChunkDecoder decoder;
  for (size_t c = 0; c < r->chunks().size(); ++c) {
    const ChunkIndexEntry& e = r->chunks()[c];
    EXPECT_TRUE(r->CheckChunk(c).ok());
    auto hash = decoder.ContentHash(r->file().subspan(e.file_offset + 16, e.record_size - 16),
                                    e.file_offset);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(*hash, e.content_hash);
  }
}

TEST_F(GapTest, ATraceWithoutGapsHasNone) {
  Recover("whole", {}, 30);
  auto r = OpenOk(dir_.File("whole"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header().format_minor, kFormatMinor);
  EXPECT_TRUE(r->gaps().empty());
  EXPECT_EQ(r->event_count(), 30u);
  std::vector<TestEvent> events;
  ASSERT_TRUE(ReadAll(*r, &events).ok());
  EXPECT_EQ(events, events_);
}

TEST_F(GapTest, AReaderThatScansStopsAtTheFirstGap) {
  // What a 1.0 reader, or any reader without the footer, makes of it.
  Recover("rec", {5, 6}, 30);
  std::string bytes = ReadFile(dir_.File("rec"));
  auto r = OpenBytesOk(bytes.substr(0, bytes.size() - kTrailerSize));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->finalized());
  EXPECT_EQ(r->event_count(), 5u);
  EXPECT_NE(r->recovery_note().find("starts at seq 7, expected 5"), std::string::npos)
      << r->recovery_note();
}

TEST_F(GapTest, GapsThatBreakTheRulesMakeTheFooterDamaged) {
  Recover("rec", {5, 6}, 30);
  struct Case {
    const char* name;
    std::function<void(Footer*, std::vector<SeqRange>*)> edit;
    const char* says;
  };
  const Case cases[] = {
      {"empty gap",
       [](Footer*, std::vector<SeqRange>* g) {
         g->push_back({40, 0});
       },
       "is empty"},
      {"inside a chunk",
       [](Footer*, std::vector<SeqRange>* g) {
         (*g)[0] = {4, 3};
       },
       "starts at seq"},
      {"not used",
       [](Footer*, std::vector<SeqRange>* g) {
         g->push_back({100, 2});
       },
       "does not lie between"},
      {"touching",
       [](Footer*, std::vector<SeqRange>* g) {
         g->push_back({7, 1});
       },
       "touches"},
      {"unlisted jump", [](Footer*, std::vector<SeqRange>* g) { g->clear(); }, "starts at seq 7"},
      {"miscounted", [](Footer* f, std::vector<SeqRange>*) { f->event_count += 1; }, "counts 31"},
      {"too many",
       [](Footer*, std::vector<SeqRange>* g) {
         g->assign(kMaxGaps + 1, {0, 0});
       },
       "exceeds the limit"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string path = dir_.File(std::string("edited-") + c.name);
    WriteFile(path, ReadFile(dir_.File("rec")));
    EditFooter(path, c.edit);
    auto r = OpenOk(path);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->finalized());
    EXPECT_NE(r->recovery_note().find(c.says), std::string::npos) << r->recovery_note();
    EXPECT_EQ(r->event_count(), 5u);  // the scan stops at the gap
  }
}

TEST_F(GapTest, EveryEventCanBeMissing) {
  Recover("none", {}, 0);  // a trailing gap of all 30
  auto r = OpenOk(dir_.File("none"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->chunks().empty());
  EXPECT_EQ(r->event_count(), 30u);
  EXPECT_EQ(r->missing_events(), 30u);
  EventCursor cursor(r.get(), kDecodeAll);
  ASSERT_TRUE(cursor.Seek(0).ok());
  EXPECT_TRUE(cursor.at_end());
}

// --- the site table (§11) ------------------------------------------------------

TEST(SiteTable, AScanStopsAtTheChunkThatWouldTakeItPastItsLimits) {
  // Each chunk defines 16 MiB of sites with 4000-byte locations; the third
  // would take the table past 32 MiB of text.
  RawTrace t(Header());
  std::string location(4000, 'x');
  uint64_t id = 1;
  uint8_t clock[8] = {};
  for (int c = 0; c < 4; ++c) {
    for (size_t k = 0; k < kMaxNewSitesBytes / (8 + 2 + location.size()); ++k)
      t.Define(id++, location);
    t.Append(1, 1, {}, {clock, 8});
    t.Seal();
  }
  std::string bytes = t.str();  // must outlive the reader
  auto r = OpenBytesOk(bytes);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->finalized());
  EXPECT_EQ(r->chunks().size(), 2u);
  EXPECT_LE(r->sites().size(), kMaxSites);
  EXPECT_NE(r->recovery_note().find("chunk 2 at byte"), std::string::npos) << r->recovery_note();
  EXPECT_NE(r->recovery_note().find("site table past the limit"), std::string::npos);
}

TEST(SiteTable, AChunkMayNotDefineMoreSitesThanATraceMayHold) {
  RawTrace t(Header());
  for (uint64_t id = 1; id <= kMaxSites + 1; ++id) t.Define(id, "");
  uint8_t clock[8] = {};
  t.Append(1, 1, {}, {clock, 8});
  t.Seal();
  std::string bytes = t.str();  // must outlive the reader
  auto r = OpenBytesOk(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->chunks().size(), 0u);
  EXPECT_NE(r->recovery_note().find("NEW_SITES holds more than 262144 entries"), std::string::npos)
      << r->recovery_note();
}

TEST(SiteTable, AFooterOverTheLimitsIsDamaged) {
  Footer many;
  for (uint64_t id = 0; id <= kMaxSites; ++id) many.sites.emplace(id, "");
  Footer parsed;
  Status s = ParseFooterBody(EncodeFooterBody(many), &parsed);
  EXPECT_NE(s.message().find("site count 262145 exceeds the limit"), std::string::npos)
      << s.message();
  Footer long_text;
  for (uint64_t id = 0; id < kMaxSiteTableText / kMaxSiteText + 1; ++id) {
    long_text.sites.emplace(id, std::string(kMaxSiteText, 'l'));
  }
  s = ParseFooterBody(EncodeFooterBody(long_text), &parsed);
  EXPECT_NE(s.message().find("locations exceed the limit"), std::string::npos) << s.message();
}

// --- payloads larger than memory (§8, §11) --------------------------------------

TEST(Payloads, APayloadOverTheBudgetIsRefusedBeforeAnythingIsAllocated) {
  RawTrace t(Header());
  uint8_t entry[kBuilderSpillEntry];
  t.AppendZeroChain(64, entry);  // 1 GiB of zeros in about 40 KB
  t.Append(1, 4, AsBytes(std::string("big")), {entry, kBuilderSpillEntry}, kResultSpilled);
  t.Finish(Outcome::Exited(0));
  std::string bytes = t.str();  // must outlive the reader
  auto r = OpenBytesOk(bytes);
  ASSERT_TRUE(r);
  r->set_payload_budget({64u << 20, "a test's budget"});
  ChunkDecoder decoder;
  DecodedChunk chunk;
  ASSERT_TRUE(r->ReadChunk(0, kDecodeAll, &decoder, &chunk).ok());
  std::string out;
  Status s = r->ReadWholePayload(chunk.result(0), &out);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("1073741824 bytes"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("memory budget of 64.0 MiB (a test's budget)"), std::string::npos);
  EXPECT_NE(s.message().find("TAPE_MAX_PAYLOAD"), std::string::npos);
  EXPECT_TRUE(out.empty());
  // A prefix for display is fine, and decompresses only that much.
  ASSERT_TRUE(r->ReadPayload(chunk.result(0), 100, &out).ok());
  EXPECT_EQ(out, std::string(100, '\0'));
  // Checking the payload streams it: 1 GiB is hashed, never held.
  BlobVerifier blobs(r->file());
  Status checked =
      blobs.Check(chunk.result(0).blob_offset, chunk.result(0).size, chunk.result(0).spill_hash);
  EXPECT_TRUE(checked.ok()) << checked.message();
}

TEST(Payloads, TheDefaultBudgetComesFromTheEnvironmentOrTheMachine) {
  setenv("TAPE_MAX_PAYLOAD", "3G", 1);
  PayloadBudget b = DefaultPayloadBudget();
  EXPECT_EQ(b.bytes, uint64_t(3) << 30);
  EXPECT_EQ(b.source, "TAPE_MAX_PAYLOAD=3G");
  setenv("TAPE_MAX_PAYLOAD", "lots", 1);
  b = DefaultPayloadBudget();
  EXPECT_GT(b.bytes, 0u);
  EXPECT_NE(b.source.find("TAPE_MAX_PAYLOAD=lots is not a size"), std::string::npos) << b.source;
  unsetenv("TAPE_MAX_PAYLOAD");
  b = DefaultPayloadBudget();
  EXPECT_GT(b.bytes, 0u);
  EXPECT_FALSE(b.source.empty());
}

TEST(Payloads, APrefixAcrossPiecesIsTheRightBytes) {
  TempDir dir;
  std::vector<TestEvent> events = RandomEvents(3, 2);
  events[1].result.resize(9u << 20);  // three 4 MiB pieces
  for (size_t i = 0; i < events[1].result.size(); ++i) events[1].result[i] = char(i * 7 + i / 4096);
  WriterOptions o;
  WriteTrace(dir.File("t"), events, o);
  auto r = OpenOk(dir.File("t"));
  ASSERT_TRUE(r);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  ASSERT_TRUE(r->ReadChunk(0, kDecodeAll, &decoder, &chunk).ok());
  ASSERT_TRUE(chunk.result(1).spilled());
  for (uint64_t n : {uint64_t(1), uint64_t(4096), uint64_t(5u << 20), uint64_t(9u << 20) - 1}) {
    std::string out;
    ASSERT_TRUE(r->ReadPayload(chunk.result(1), n, &out).ok());
    EXPECT_EQ(out, events[1].result.substr(0, n)) << n;
  }
}

TEST(Payloads, EachChainIsCheckedOnceHoweverManyEventsShareIt) {
  // 3,000 events refer to one 256 MiB chain: checking each reference by
  // walking the chain would hash 750 GiB.
  RawTrace t(Header());
  uint8_t entry[kBuilderSpillEntry];
  t.AppendZeroChain(16, entry);
  for (int i = 0; i < 3000; ++i) {
    t.Append(1, 4, AsBytes(std::string("big")), {entry, kBuilderSpillEntry}, kResultSpilled);
  }
  t.Finish(Outcome::Exited(0));
  std::string bytes = t.str();  // must outlive the reader
  auto r = OpenBytesOk(bytes);
  ASSERT_TRUE(r);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  Status read = r->ReadChunk(0, kDecodeAll, &decoder, &chunk);
  ASSERT_TRUE(read.ok()) << read.message();
  BlobVerifier blobs(r->file());
  // Counted, not timed: only the first reference walks (and hashes) the chain.
  int walks = 0;
  for (uint32_t i = 0; i < chunk.size(); ++i) {
    PayloadView p = chunk.result(i);
    bool walked = false;
    ASSERT_TRUE(blobs.Check(p.blob_offset, p.size, p.spill_hash, nullptr, &walked).ok()) << i;
    walks += walked;
  }
  EXPECT_EQ(walks, 1);
  // A reference that claims another payload at the same offset fails at once.
  PayloadView p = chunk.result(0);
  Status s = blobs.Check(p.blob_offset, p.size + 1, p.spill_hash);
  EXPECT_NE(s.message().find("belongs to another payload"), std::string::npos) << s.message();
  s = blobs.Check(p.blob_offset + 1, p.size, p.spill_hash);
  EXPECT_FALSE(s.ok());
}

TEST(Payloads, AChainWithADamagedPieceFailsForEveryEventThatUsesIt) {
  RawTrace t(Header());
  uint8_t entry[kBuilderSpillEntry];
  t.AppendZeroChain(3, entry);
  uint64_t first = LoadU64(entry + 8);
  t.Append(1, 4, {}, {entry, kBuilderSpillEntry}, kResultSpilled);
  t.Append(1, 4, {}, {entry, kBuilderSpillEntry}, kResultSpilled);
  t.Finish(Outcome::Exited(0));
  std::string bytes = t.str();  // must outlive the reader
  // One flipped byte in the second piece.
  RecordView piece;
  ASSERT_TRUE(ReadRecord(AsBytes(bytes), first, &piece).ok());
  uint64_t second = first + piece.size();
  bytes[second + 16 + 16] ^= 1;
  RecordView damaged;
  ASSERT_FALSE(ReadRecord(AsBytes(bytes), second, &damaged).ok());  // the checksum fails
  auto r = OpenBytesOk(bytes);
  ASSERT_TRUE(r);
  BlobVerifier blobs(r->file());
  Status a = blobs.Check(first, LoadU64(entry + 16), LoadU64(entry));
  Status b = blobs.Check(first, LoadU64(entry + 16), LoadU64(entry));
  EXPECT_NE(a.message().find("record at byte " + std::to_string(second)), std::string::npos)
      << a.message();
  EXPECT_EQ(a.message(), b.message());
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  int pieces = 0;
  Status walked = WalkBlobChain(r->file(), first, LoadU64(entry + 16), LoadU64(entry), dctx,
                                [&](const RecordView&) {
                                  ++pieces;
                                  return Status::Ok();
                                });
  ZSTD_freeDCtx(dctx);
  EXPECT_EQ(walked.message(), a.message());
  EXPECT_EQ(pieces, 1);  // the first piece was seen; the walk stopped at the second
}

TEST(Records, ALengthOverTheCallersLimitIsRefusedBeforeHashing) {
  std::vector<uint8_t> file;
  AppendRecord(kTagBlob, std::vector<uint8_t>(100, 1), &file);
  RecordView rec;
  EXPECT_TRUE(ReadRecord(file, 0, &rec, 100).ok());
  Status s = ReadRecord(file, 0, &rec, 99);
  EXPECT_NE(s.message().find("body length 100 exceeds the 99 bytes"), std::string::npos)
      << s.message();
}

// --- files that shrink while mapped -------------------------------------------

TEST(Mappings, AnOpenTraceIsRegisteredUntilItCloses) {
  TempDir dir;
  WriteTrace(dir.File("t"), RandomEvents(1, 50), WriterOptions());
  auto r = OpenOk(dir.File("t"));
  ASSERT_TRUE(r);
  MappedTrace m;
  ASSERT_TRUE(TraceMappingAt(r->file().data() + 10, &m));
  EXPECT_EQ(std::string(m.path), dir.File("t"));
  EXPECT_EQ(m.mapped_size, r->file_size());
  EXPECT_EQ(m.fault_offset, 10u);
  EXPECT_EQ(m.current_size, int64_t(r->file_size()));
  int local = 0;
  EXPECT_FALSE(TraceMappingAt(&local, &m));
  const void* inside = r->file().data() + 10;
  r.reset();
  EXPECT_FALSE(TraceMappingAt(inside, &m));
}

TEST(Mappings, ReleasedPagesReadBackUnchanged) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 500;
  std::vector<TestEvent> events = RandomEvents(8, 3000, 2000);
  WriteTrace(dir.File("t"), events, o);
  auto r = OpenOk(dir.File("t"));
  ASSERT_TRUE(r);
  for (size_t c = 0; c < r->chunks().size(); ++c) {
    ASSERT_TRUE(r->CheckChunk(c).ok());
    r->ReleaseChunkPages(c);
  }
  std::vector<TestEvent> read;
  ASSERT_TRUE(ReadAll(*r, &read).ok());
  EXPECT_EQ(read, events);
}

TEST(Mappings, TheMessageSaysTheFileShrankAndWhere) {
  MappedTrace m;
  m.path = "run\x1b.bin";
  m.mapped_size = 50000;
  m.current_size = 100;
  m.fault_offset = 8192;
  char buf[512];
  size_t n = FormatTraceChanged("verify", m, buf, sizeof buf);
  std::string text(buf, n);
  EXPECT_EQ(text,
            "tape verify: run?.bin changed while it was being read: it shrank from 50000 to 100 "
            "bytes (reading byte 8192); it was probably re-recorded or truncated. Run the "
            "command again once nothing is writing it.\n");
  m.current_size = 50000;
  n = FormatTraceChanged("stats", m, buf, sizeof buf);
  EXPECT_NE(std::string(buf, n).find("could not be read at byte 8192 of 50000"), std::string::npos);
  EXPECT_EQ(FormatTraceChanged("x", m, buf, 8), 7u);  // cut to fit, NUL-terminated
  EXPECT_EQ(std::string(buf), "tape x:");
  m.current_size = 100;
  n = FormatTraceChanged(nullptr, m, buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n).rfind("run?.bin changed while it was being read", 0), 0u);
  EXPECT_EQ(buf[n - 1], '.');  // no newline without a verb
}

TEST(Mappings, ReadsOfAShrunkFileSayItShrank) {
  // Bytes cut from the last page of a file read as zeros, not SIGBUS: the
  // decode fails, and the error must say why instead of blaming the trace.
  TempDir dir;
  WriteTrace(dir.File("t"), RandomEvents(4, 6, 20), WriterOptions());
  auto r = OpenOk(dir.File("t"));
  ASSERT_TRUE(r);
  ASSERT_LT(r->file_size(), 4096u);
  ASSERT_TRUE(r->CheckUnchanged().ok());
  ASSERT_EQ(truncate(dir.File("t").c_str(), 150), 0);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  Status s = r->ReadChunk(0, kDecodeAll, &decoder, &chunk);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("changed while it was being read: it shrank from " +
                             std::to_string(r->file_size()) + " to 150 bytes;"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(r->CheckUnchanged().message(), s.message());
  auto again = TraceReader::Open(dir.File("t"));  // now simply a torn file
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)->event_count(), 0u);
}

void ExitOnTraceFault(int, siginfo_t* info, void*) {
  MappedTrace m;
  if (TraceMappingAt(info->si_addr, &m)) {
    char buf[1024];
    size_t n = FormatTraceChanged("test", m, buf, sizeof buf);
    ssize_t ignored = write(2, buf, n);
    (void)ignored;
    _exit(81);
  }
  _exit(99);
}

TEST(MappingsDeathTest, AFaultInAShrunkTraceIsFoundInTheRegistry) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  WriteTrace(dir.File("t"), RandomEvents(2, 2000, 600), WriterOptions());
  EXPECT_EXIT(
      {
        struct sigaction sa = {};
        sa.sa_sigaction = ExitOnTraceFault;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGBUS, &sa, nullptr);
        auto r = TraceReader::Open(dir.File("t"));
        if (!r.has_value()) _exit(98);
        if (truncate(dir.File("t").c_str(), 100) != 0) _exit(97);
        volatile uint8_t touched = (*r)->file()[(*r)->file_size() - 1];
        (void)touched;
        _exit(0);
      },
      ::testing::ExitedWithCode(81),
      "t changed while it was being read: it shrank from [0-9]+ to 100 bytes");
}

}  // namespace
}  // namespace tape::format::testing
