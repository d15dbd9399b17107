// ChunkEncoder: turns a range of a ChunkBuilder into one CHNK record (§7).
//
// Runs on the writer's encoder thread, never on the recorded program's: this
// is where dictionary coding of sites, integer coding of 8-byte results,
// zstd and the content hash happen. Scratch buffers are reused from chunk to
// chunk, so steady-state encoding does not allocate.

#ifndef TAPE_FORMAT_CHUNK_ENCODER_H_
#define TAPE_FORMAT_CHUNK_ENCODER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "format/chunk_builder.h"

struct ZSTD_CCtx_s;

namespace tape::format {

using SiteDefinitions = std::vector<std::pair<uint64_t, std::string>>;
using KindDefinitions = std::vector<std::pair<uint8_t, std::string>>;

class ChunkEncoder {
 public:
  // `packed`: integer-coded results and event times as packed integers
  // (INT_PACKED, TIMES_PACKED: format 1.2, §7.9), else as the varint columns
  // INT_RESULTS and EVENT_TIMES that format 1.1 readers know.
  explicit ChunkEncoder(int zstd_level, bool packed = true);
  ~ChunkEncoder();
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  // Encodes events [begin, end) of `builder` as a complete CHNK record
  // (record header included) into `record`, which is overwritten.
  // `new_sites` are the sites this chunk defines (§7.3, NEW_SITES),
  // `new_kinds` the kind names (KIND_NAMES; nullptr for none).
  // REQUIRES: begin < end <= builder.published().
  void Encode(const ChunkBuilder& builder, uint32_t begin, uint32_t end, uint32_t chunk_number,
              const SiteDefinitions& new_sites, std::vector<uint8_t>* record,
              uint64_t* content_hash, const KindDefinitions* new_kinds = nullptr);

  // The first and last event time of the chunk encoded last (§9.4); both 0
  // when it has no EVENT_TIMES column (some event had no time).
  int64_t first_time() const { return first_time_; }
  int64_t last_time() const { return last_time_; }

 private:
  struct Section {
    uint8_t id;
    const uint8_t* data;
    size_t size;
  };
  void BuildSiteColumns(const ChunkBuilder& b, uint32_t begin, uint32_t end, uint8_t* width);
  void BuildPayloadColumns(const ChunkBuilder& b, uint32_t begin, uint32_t end, bool args,
                           const uint8_t** heap, size_t* heap_size);
  void ChooseIntKinds(const ChunkBuilder& b, uint32_t begin, uint32_t end);
  // Compresses `size` copies of data[0] into compressed_ as one zstd frame
  // whose blocks after the first are runs; the frame's size, or an error.
  size_t CompressRepeated(const uint8_t* data, size_t size);
  // EVENT_TIMES (§7.8): times as a start and deltas, then durations when some
  // event has one. Times that would decrease are raised to the previous one.
  void BuildTimes(const ChunkBuilder& b, uint32_t begin, uint32_t end);
  void BuildIntResults(const ChunkBuilder& b, uint32_t begin, uint32_t end,
                       const uint8_t** heap, size_t* heap_size);

  int level_;
  bool packed_;
  // The chunk being encoded may have events with a flag, a mark, a lane or
  // a duration (ChunkBuilder::extras_written): when false, the passes over
  // those columns are skipped, which for a plain recording's chunk are a
  // third of the bytes the encoder would read.
  bool extras_ = true;
  ZSTD_CCtx_s* cctx_;
  // Open-addressing site id -> dictionary index, cleared by generation.
  std::vector<uint64_t> map_keys_;
  std::vector<uint32_t> map_values_;
  std::vector<uint32_t> map_generation_;
  uint32_t generation_ = 0;
  std::vector<uint32_t, UninitializedAllocator<uint32_t>> event_index_;  // each event's

  // Buffers filled right after they grow are ByteBuffers (not zero-filled).
  ByteBuffer index_, arg_lens_, result_lens_, int_results_, times_, packed_times_, compressed_;
  std::vector<uint8_t> dict_, arg_heap_, result_heap_, int_kinds_, int_heap_, new_sites_,
      blob_refs_, kind_names_, lanes_;
  bool int_kind_[256] = {};
  // ChooseIntKinds left every event's result coded in deltas_ (all of them
  // 8-byte results of int-coded kinds).
  bool deltas_coded_ = false;
  int64_t anchor_[256] = {};  // ChooseIntKinds: each kind's first 8-byte result
  // EVENT_TIMES as built: the first times_size_ bytes of times_.
  size_t times_size_ = 0;
  int64_t first_time_ = 0, last_time_ = 0;
  int64_t previous_time_ = 0;  // the last time this encoder wrote: later ones are not earlier
  // Packed integers (§7.9): deltas (and durations) before packing.
  std::vector<uint64_t, UninitializedAllocator<uint64_t>> deltas_, int_durations_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_ENCODER_H_
