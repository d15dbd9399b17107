// RawTrace: a trace assembled in memory record by record, for contents the
// writers would never produce (bombs, footers that break a rule, chains
// shared by many events). Used by tests and by tests/golden/make_hostile.

#ifndef TAPE_TESTS_FORMAT_RAW_TRACE_H_
#define TAPE_TESTS_FORMAT_RAW_TRACE_H_

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <zstd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "format/chunk_builder.h"
#include "format/chunk_encoder.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format::testing {

class RawTrace {
 public:
  explicit RawTrace(const TraceHeader& header, uint32_t chunk_events = 65536)
      : builder_(chunk_events, 1u << 20) {
    AppendPrelude(&bytes_);
    AppendRecord(kTagHeader, EncodeHeaderBody(header), &bytes_);
    cursor_ = builder_.Reset(0);
  }
  uint64_t offset() const { return bytes_.size(); }
  std::vector<uint8_t>& bytes() { return bytes_; }
  std::string str() const { return std::string(bytes_.begin(), bytes_.end()); }

  // The site goes into the next chunk's NEW_SITES and the footer.
  void Define(uint64_t id, const std::string& location) {
    pending_.emplace_back(id, location);
    sites_.emplace(id, location);
  }
  void Append(uint64_t site, uint8_t kind, Bytes args, Bytes result, uint8_t flags = 0) {
    if (!cursor_.HasRoom(args.size(), result.size())) Seal();
    cursor_.Append(site, kind, args, result, flags);
    ++next_seq_;
    if (cursor_.full()) Seal();
  }
  // An event with a time and a duration (§7.8).
  void AppendTimed(uint64_t site, uint8_t kind, Bytes args, Bytes result, int64_t time_ns,
                   uint64_t duration_ns) {
    if (!cursor_.HasRoom(args.size(), result.size())) Seal();
    cursor_.Append(site, kind, args, result, 0, 0, 0, time_ns, duration_ns);
    ++next_seq_;
    if (cursor_.full()) Seal();
  }
  // Replaces the index's times of chunk `c` (§9.4), e.g. to break its rules.
  void SetChunkTimes(size_t c, int64_t first, int64_t last) {
    index_[c].first_time_ns = first;
    index_[c].last_time_ns = last;
  }
  // Ends the current chunk. Each chunk has an encoder of its own, so times
  // are not kept from decreasing across chunks as a writer's are.
  void Seal() {
    uint32_t n = builder_.published();
    if (n == 0) return;
    std::vector<uint8_t> record;
    uint64_t hash = 0;
    ChunkEncoder encoder(1);
    encoder.Encode(builder_, 0, n, uint32_t(index_.size()), pending_, &record, &hash);
    pending_.clear();
    index_.push_back({offset(), builder_.first_seq(), n, uint32_t(record.size()), hash, true,
                      encoder.first_time(), encoder.last_time()});
    bytes_.insert(bytes_.end(), record.begin(), record.end());
    cursor_ = builder_.Reset(next_seq_);
  }
  // Seals and writes the footer and trailer.
  void Finish(const Outcome& outcome, uint64_t finished_unix_ns = 1764000001000000000) {
    Seal();
    Footer f;
    f.event_count = next_seq_;
    f.finished_unix_ns = finished_unix_ns;
    f.outcome = outcome;
    f.chunks = index_;
    f.sites = sites_;
    uint64_t at = offset();
    AppendRecord(kTagFooter, EncodeFooterBody(f), &bytes_);
    AppendTrailer(at, &bytes_);
  }

  // Appends a BLOB chain of `pieces` 16 MiB pieces of zeros (one zstd frame
  // of about 600 bytes, repeated) and fills `entry` with the spill entry an
  // event refers to it by (Append with kResultSpilled).
  void AppendZeroChain(uint64_t pieces, uint8_t entry[kBuilderSpillEntry]) {
    std::vector<uint8_t> zeros(kMaxBlobFrame, 0);
    std::vector<uint8_t> frame(ZSTD_compressBound(zeros.size()));
    size_t z = ZSTD_compress(frame.data(), frame.size(), zeros.data(), zeros.size(), 1);
    frame.resize(ZSTD_isError(z) ? 0 : z);
    uint64_t size = pieces * kMaxBlobFrame;
    XXH3_state_t state;
    XXH3_64bits_reset(&state);
    for (uint64_t i = 0; i < pieces; ++i) XXH3_64bits_update(&state, zeros.data(), zeros.size());
    uint64_t hash = XXH3_64bits_digest(&state);
    uint64_t first = offset();
    std::vector<uint8_t> body;
    for (uint64_t i = 0; i < pieces; ++i) {
      body.assign(kBlobFixedSize, 0);
      StoreU64(body.data(), hash);
      StoreU64(body.data() + 8, size);
      StoreU64(body.data() + 16, i * kMaxBlobFrame);
      StoreU32(body.data() + 24, kMaxBlobFrame);
      body[28] = uint8_t(Codec::kZstd);
      body.insert(body.end(), frame.begin(), frame.end());
      AppendRecord(kTagBlob, body, &bytes_);
    }
    StoreU64(entry, hash);
    StoreU64(entry + 8, first);
    StoreU64(entry + 16, size);
  }

 private:
  std::vector<uint8_t> bytes_;
  ChunkBuilder builder_;
  ChunkBuilder::Cursor cursor_;
  SiteDefinitions pending_;
  SiteTable sites_;
  std::vector<ChunkIndexEntry> index_;
  uint64_t next_seq_ = 0;
};

// A CHNK body (§7.1) of `n` events with these sections, each stored raw (in
// the order given: the caller orders them), for chunks no writer makes.
using RawSections = std::vector<std::pair<uint8_t, std::vector<uint8_t>>>;
inline std::vector<uint8_t> RawChunkBody(uint32_t n, const RawSections& sections) {
  std::vector<uint8_t> body(kChunkFixedSize, 0);
  StoreU32(body.data() + 12, n);
  body[16] = 1;  // site index width
  StoreU16(body.data() + 18, uint16_t(sections.size()));
  for (auto& [id, data] : sections) {
    uint8_t entry[kSectionEntrySize] = {id, 0, 0, 0};
    StoreU32(entry + 4, uint32_t(data.size()));
    StoreU32(entry + 8, uint32_t(data.size()));
    body.insert(body.end(), entry, entry + kSectionEntrySize);
  }
  for (auto& [id, data] : sections) body.insert(body.end(), data.begin(), data.end());
  return body;
}

}  // namespace tape::format::testing

#endif  // TAPE_TESTS_FORMAT_RAW_TRACE_H_
