// ChunkDecoder: validates a CHNK body (§7) and decodes the columns a caller
// asks for into flat arrays. Payload heaps are decompressed only when args or
// results are asked for, so `stats` and `diff` touch kinds and sites alone.
//
// Every length and count in the body is checked against the body and the
// limits of §11 before it is used; a damaged chunk yields a Corrupt status
// that names the chunk, its byte offset and the section.

#ifndef TAPE_FORMAT_CHUNK_DECODER_H_
#define TAPE_FORMAT_CHUNK_DECODER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "format/bytes.h"
#include "format/status.h"

struct ZSTD_DCtx_s;

namespace tape::format {

// A payload (args or result) of a decoded event.
struct PayloadView {
  const uint8_t* data = nullptr;  // inline bytes; nullptr when spilled
  uint64_t size = 0;              // the payload's full length
  uint64_t spill_hash = 0;        // spilled: XXH3-64 of the whole payload
  uint64_t blob_offset = 0;       // spilled: file offset of its first BLOB record
  bool spilled() const { return blob_offset != 0; }
  Bytes bytes() const { return {data, size_t(size)}; }  // REQUIRES: !spilled()
};

struct EventView {
  uint64_t seq = 0;
  uint64_t site = 0;
  uint8_t kind = 0;
  uint8_t marks = 0;  // EVENT_MARKS (§7.3)
  uint32_t lane = 0;  // LANES (§7.3)
  int64_t time_ns = 0;       // EVENT_TIMES (§7.8): ns since the Unix epoch; 0 unknown
  uint64_t duration_ns = 0;  // how long the effect took; 0 when not measured
  PayloadView args;
  PayloadView result;
};

// Which columns to decode.
enum DecodeParts : unsigned {
  kDecodeSites = 1,
  kDecodeKinds = 2,
  kDecodePayloads = 4 | kDecodeKinds,  // args and results; integer-coded results need kinds
  kDecodeNewSites = 8,
  kDecodeTimes = 32,  // EVENT_TIMES (§7.8)
  kDecodeAll = 15 | kDecodeTimes,
  // Payload sizes only (payload views have no data): heaps stay compressed.
  kDecodeSizes = 16 | kDecodeKinds,
  // For ChunkCursor alone (replay): kinds, sites and payloads are
  // decompressed and validated as for kDecodePayloads | kDecodeSites, but the
  // random-access arrays behind site(i), args(i) and result(i) are not built
  // (about 30 bytes per event that replay never reads). kind(i), marks(i)
  // and lane(i) work; site(i), args(i), result(i) and the sizes do not.
  kDecodeCursor = 64 | kDecodeKinds,
  // With kDecodeSites, kDecodeSizes, kDecodePayloads or kDecodeTimes: those
  // columns are decompressed and validated exactly as without it, but none
  // of the per-event arrays behind site(i), site_index(), args(i),
  // result(i), the sizes, time(i) and duration(i) is built: a whole-trace
  // pass (verify, stats) reads columns() instead, and first_time() and
  // last_time(). kind(i), marks(i), lane(i) and site_dict() work.
  kDecodeNoArrays = 128,
};

class DecodedChunk {
 public:
  uint32_t chunk_number() const { return chunk_number_; }
  uint64_t first_seq() const { return first_seq_; }
  uint32_t size() const { return count_; }
  unsigned parts() const { return parts_; }

  // REQUIRES: the part was decoded and i < size().
  uint8_t kind(uint32_t i) const { return kinds_[i]; }
  // The event's EVENT_MARKS byte (§7.3), 0 when the chunk has none.
  // REQUIRES: kinds were decoded.
  uint8_t marks(uint32_t i) const { return marks_.empty() ? 0 : marks_[i]; }
  bool has_marks() const { return !marks_.empty(); }
  // The event's lane (§7.3 LANES), 0 when the chunk has none.
  // REQUIRES: kinds were decoded.
  uint32_t lane(uint32_t i) const { return lanes_.empty() ? 0 : lanes_[i]; }
  // True when some event of the chunk is in a lane other than 0.
  bool has_lanes() const { return !lanes_.empty(); }
  const uint32_t* lanes() const { return lanes_.empty() ? nullptr : lanes_.data(); }
  uint64_t site(uint32_t i) const { return site_dict_[site_index_[i]]; }
  // §7.8: the event's time, ns since the Unix epoch, and how long its effect
  // took; 0 when the chunk has no EVENT_TIMES (or no durations).
  // REQUIRES: times were decoded.
  bool has_times() const { return !times_.empty(); }
  int64_t time(uint32_t i) const { return times_.empty() ? 0 : times_[i]; }
  uint64_t duration(uint32_t i) const { return durations_.empty() ? 0 : durations_[i]; }
  // §7.8: the times of the chunk's first and last events; 0 when the chunk
  // has no EVENT_TIMES. REQUIRES: times were decoded (with or without arrays).
  int64_t first_time() const { return first_time_; }
  int64_t last_time() const { return last_time_; }
  PayloadView args(uint32_t i) const { return View(args_, arg_slots_[i]); }
  PayloadView result(uint32_t i) const { return View(results_, result_slots_[i]); }
  // REQUIRES: payloads or sizes were decoded.
  uint64_t args_size(uint32_t i) const { return Size(args_, arg_slots_[i]); }
  uint64_t result_size(uint32_t i) const { return Size(results_, result_slots_[i]); }
  EventView event(uint32_t i) const;

  const uint8_t* kinds() const { return kinds_.data(); }
  // The chunk's distinct sites, and each event's position in that list.
  const std::vector<uint64_t>& site_dict() const { return site_dict_; }
  const uint32_t* site_index() const { return site_index_.data(); }
  const std::vector<std::pair<uint64_t, std::string>>& new_sites() const { return new_sites_; }
  // KIND_NAMES (decoded with the new sites): kind names this chunk defines.
  const std::vector<std::pair<uint8_t, std::string>>& new_kinds() const { return new_kinds_; }

  // A run of events that replay serves without matching each one by one:
  // they share a site, a kind and a lane, and either have no args and an
  // integer-coded result (§7.5; an integer run, a loop reading the clock),
  // or have args and results of one size each, stored inline and not
  // integer-coded (a payload run: a loop drawing random bytes, writing a
  // line), with one-byte lengths.
  struct Run {
    uint32_t first;  // index of its first event in the chunk
    uint32_t count;  // >= kMinRun
  };
  static constexpr uint32_t kMinRun = 4;

  // The columns as decompressed (§7.3), for ChunkCursor's sequential walk.
  // Valid when payloads and sites, or kDecodeCursor, were decoded.
  struct Columns {
    Bytes site_index;
    uint8_t site_width = 1;
    Bytes arg_lens, result_lens;
    Bytes arg_heap, result_heap;
    // The values of the integer-coded results (§7.5), in event order,
    // whatever their coding; with kDecodeCursor, or kDecodePayloads without
    // kDecodeNoArrays.
    const int64_t* int_values = nullptr;
    uint32_t int_count = 0;  // how many results are integer-coded
    Bytes blob_refs;           // §7.4: spilled args in event order, then spilled results
    uint64_t arg_spills = 0;   // how many of blob_refs are args'
    // Every arg / result length is one byte and none is spilled (§7.4): event
    // i's length is arg_lens[i] >> 1. Set when sizes or payloads were decoded
    // without slots (kDecodeNoArrays, kDecodeCursor).
    bool one_byte_arg_lens = false, one_byte_result_lens = false;
    bool int_kind[256] = {};
    // In event order; only with kDecodeCursor.
    std::vector<Run> int_runs, payload_runs;
  };
  const Columns& columns() const { return columns_; }

 private:
  friend class ChunkDecoder;
  struct Slot {
    uint32_t offset;  // into the heap, or into spills_ when size == kSpilled
    uint32_t size;
  };
  struct Spill {
    uint64_t size, hash, blob_offset;
  };
  struct Heap {
    Bytes bytes;         // the decoded heap: in the chunk itself, or `storage`
    ByteBuffer storage;  // a decompressed heap
    ByteBuffer ints;     // integer-coded results, 8 bytes each (§7.5)
    std::vector<Spill> spills;
  };
  static constexpr uint32_t kSpilled = UINT32_MAX;
  static PayloadView View(const Heap& heap, Slot slot) {
    PayloadView v;
    if (slot.size == kSpilled) [[unlikely]] {
      const Spill& s = heap.spills[slot.offset];
      v.size = s.size;
      v.spill_hash = s.hash;
      v.blob_offset = s.blob_offset;
    } else {
      v.data = slot.offset < heap.bytes.size()
                   ? heap.bytes.data() + slot.offset
                   : heap.ints.data() + (slot.offset - heap.bytes.size());
      v.size = slot.size;
    }
    return v;
  }
  static uint64_t Size(const Heap& heap, Slot slot) {
    return slot.size == kSpilled ? heap.spills[slot.offset].size : slot.size;
  }

  uint32_t chunk_number_ = 0;
  uint64_t first_seq_ = 0;
  uint32_t count_ = 0;
  unsigned parts_ = 0;
  Bytes kinds_;
  ByteBuffer kinds_storage_;
  Bytes marks_;
  ByteBuffer marks_storage_;
  std::vector<uint32_t> lanes_;
  std::vector<uint64_t> site_dict_;
  std::vector<uint32_t> site_index_;
  std::vector<int64_t> times_;
  std::vector<uint64_t> durations_;
  int64_t first_time_ = 0, last_time_ = 0;
  std::vector<Slot> arg_slots_, result_slots_;
  Heap args_, results_;
  std::vector<std::pair<uint64_t, std::string>> new_sites_;
  std::vector<std::pair<uint8_t, std::string>> new_kinds_;
  Columns columns_;
  ByteBuffer index_storage_, arg_lens_storage_, result_lens_storage_, int_results_storage_,
      blob_refs_storage_;
  std::vector<int64_t, UninitializedAllocator<int64_t>> int_values_;
};

// The fixed fields of a chunk, readable without decoding any section.
struct ChunkHeader {
  uint32_t chunk_number = 0;
  uint64_t first_seq = 0;
  uint32_t event_count = 0;
};
Status ParseChunkHeader(Bytes body, uint64_t file_offset, ChunkHeader* out);

class ChunkDecoder {
 public:
  ChunkDecoder();
  ~ChunkDecoder();
  ChunkDecoder(const ChunkDecoder&) = delete;
  ChunkDecoder& operator=(const ChunkDecoder&) = delete;

  // Decodes `body` (a verified CHNK record body that starts at `file_offset`).
  Status Decode(Bytes body, uint64_t file_offset, unsigned parts, DecodedChunk* out);

  // §7.6: recomputes the content hash of `body` (decodes sites to payloads).
  Result<uint64_t> ContentHash(Bytes body, uint64_t file_offset);
  // The content hash of the chunk the last successful Decode read, from the
  // sections it decompressed (no second decompression); nullopt when it did
  // not decode every section the hash covers (use ContentHash).
  std::optional<uint64_t> DecodedContentHash() const;

 private:
  struct SectionRef {
    bool present = false;
    uint8_t codec = 0;
    Bytes stored;
    uint32_t raw_size = 0;
  };
  Status ParseTable(Bytes body, uint64_t file_offset);
  // The decoded bytes of section `id` (empty when absent), after checking its
  // size against `max_raw`: a view of the chunk for a raw section, else
  // decompressed into `buffer`.
  Status Inflate(uint8_t id, uint64_t max_raw, ByteBuffer* buffer, Bytes* out);
  Status InflateSection(uint8_t id, uint64_t max_raw, ByteBuffer* buffer, Bytes* out);
  // With `sizes_only`, checks the lengths against the heap's declared size
  // without decompressing the heap.
  // Without `slots` (kDecodeCursor), validates without building slots or
  // decoding integer results.
  Status DecodeLens(uint8_t lens_id, uint8_t heap_id, bool results, bool sizes_only,
                    DecodedChunk::Heap* heap, std::vector<DecodedChunk::Slot>* slots);
  // The chunk's `count` integer-coded results (§7.5), from INT_RESULTS or
  // INT_PACKED (§7.9): checked, and with `values` decoded into values[0..count).
  // `lens` is the validated RESULT_LENS column (to find each result's kind).
  Status DecodeInts(uint32_t count, Bytes lens, int64_t* values);
  // §7.8 and §7.9: TIMES_PACKED, as DecodeTimes does for EVENT_TIMES.
  Status DecodePackedTimes(DecodedChunk* out, bool arrays);
  // Finds the chunk's runs (kDecodeCursor) from its validated columns.
  void FindRuns(DecodedChunk* out);
  Status Fail(const std::string& what) const;
  // With `arrays`, fills times_ and durations_; else keeps only the first
  // and last times.
  Status DecodeTimes(DecodedChunk* out, bool arrays);

  ZSTD_DCtx_s* dctx_;
  SectionRef sections_[256];
  // The decoded bytes of each critical section the last Decode inflated,
  // and which ones (bit id): DecodedContentHash.
  Bytes inflated_[16];
  uint32_t inflated_mask_ = 0;
  bool decoded_ = false;  // the last Decode succeeded
  ByteBuffer lanes_buffer_;
  std::vector<DecodedChunk::Run> whole_runs_;  // FindRuns: runs before lanes cut them
  // Whether the last DecodeLens found every arg ([0]) / result ([1]) length
  // one byte, for FindRuns.
  bool one_byte_lens_[2] = {false, false};
  ChunkHeader header_;
  uint8_t width_ = 1;
  uint64_t file_offset_ = 0;
  DecodedChunk* current_ = nullptr;
  ByteBuffer scratch_, dict_buffer_, int_kinds_buffer_, times_buffer_;
  Bytes int_kinds_;
  uint32_t ints_counted_ = 0;  // DecodeLens: the integer-coded results it counted
  // DecodeInts and DecodePackedTimes: decoded deltas, and the kinds of the
  // integer-coded results when several kinds are.
  std::vector<uint64_t, UninitializedAllocator<uint64_t>> deltas_, durations_scratch_;
  ByteBuffer coded_kinds_;
  std::vector<uint32_t> spill_heap_at_;
};

const char* SectionName(uint8_t id);

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_DECODER_H_
