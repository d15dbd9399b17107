#include "format/chunk_encoder.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "format/layout.h"
#include "format/packed_ints.h"
#include "format/records.h"

namespace tape::format {

namespace {

// Sections shorter than this are stored raw: a zstd frame costs more than it
// could save.
constexpr size_t kMinCompressBytes = 64;

template <typename Buffer>
void PutVarint(Buffer* out, uint64_t v) {
  uint8_t tmp[kMaxVarintBytes];
  out->insert(out->end(), tmp, tmp + StoreVarint(tmp, v));
}

uint64_t Mix(uint64_t v) {  // a cheap, good-enough bit mixer for table slots
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  return v;
}

}  // namespace

ChunkEncoder::ChunkEncoder(int zstd_level, bool packed)
    : level_(zstd_level), packed_(packed), cctx_(ZSTD_createCCtx()) {}

ChunkEncoder::~ChunkEncoder() { ZSTD_freeCCtx(cctx_); }

size_t ChunkEncoder::CompressRepeated(const uint8_t* data, size_t size) {
  // zstd never makes a frame's first block a run of one byte (an RLE
  // block), which decompresses at memset speed: a one-byte first block
  // lets the rest be one. Columns of one repeated byte (the kinds, sites
  // and lengths of a loop calling one effect) are most of a chunk's
  // sections, and decoding them is then almost free.
  ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level_);
  ZSTD_CCtx_setPledgedSrcSize(cctx_, size);  // the frame declares its content size
  ZSTD_outBuffer out{compressed_.data(), compressed_.size(), 0};
  ZSTD_inBuffer first{data, 1, 0};
  size_t r = ZSTD_compressStream2(cctx_, &out, &first, ZSTD_e_flush);
  if (ZSTD_isError(r) || r != 0) return size_t(-1);
  ZSTD_inBuffer rest{data + 1, size - 1, 0};
  r = ZSTD_compressStream2(cctx_, &out, &rest, ZSTD_e_end);
  if (ZSTD_isError(r) || r != 0) return size_t(-1);  // does not fit: left raw
  return out.pos;
}

void ChunkEncoder::BuildSiteColumns(const ChunkBuilder& b, uint32_t begin, uint32_t end,
                                    uint8_t* width) {
  uint32_t n = end - begin;
  const uint64_t* sites = b.sites();
  {
    // A chunk of one site (a loop calling one effect): no table needed.
    uint64_t first = sites[begin];
    bool one = true;
    for (uint32_t i = begin + 1; i < end; ++i) one &= sites[i] == first;
    if (one) {
      dict_.resize(8);
      StoreU64(dict_.data(), first);
      *width = 1;
      index_.resize(n);
      std::memset(index_.data(), 0, n);
      return;
    }
  }
  size_t capacity = 64;
  while (capacity < size_t(n) * 2) capacity *= 2;
  if (map_keys_.size() < capacity) {
    map_keys_.assign(capacity, 0);
    map_values_.assign(capacity, 0);
    map_generation_.assign(capacity, 0);
    generation_ = 0;
  }
  ++generation_;
  size_t mask = capacity - 1;
  // Two passes: the first builds the dictionary (first-appearance order) and
  // remembers each event's index; the second writes them at the final width.
  auto& idx = event_index_;
  idx.resize(n);
  dict_.clear();
  uint32_t distinct = 0;
  uint64_t last_site = 0;
  uint32_t last_index = UINT32_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t site = sites[begin + i];
    if (site == last_site && last_index != UINT32_MAX) {
      idx[i] = last_index;
      continue;
    }
    size_t slot = Mix(site) & mask;
    while (map_generation_[slot] == generation_ && map_keys_[slot] != site) slot = (slot + 1) & mask;
    if (map_generation_[slot] != generation_) {
      map_generation_[slot] = generation_;
      map_keys_[slot] = site;
      map_values_[slot] = distinct++;
      uint8_t le[8];
      StoreU64(le, site);
      dict_.insert(dict_.end(), le, le + 8);
    }
    last_site = site;
    last_index = idx[i] = map_values_[slot];
  }
  *width = distinct <= 256 ? 1 : distinct <= 65536 ? 2 : 4;
  index_.resize(size_t(n) * *width);
  uint8_t* out = index_.data();
  if (*width == 1) {
    for (uint32_t i = 0; i < n; ++i) out[i] = uint8_t(idx[i]);  // vectorized
    return;
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v = idx[i];
    for (int k = 0; k < *width; ++k) *out++ = uint8_t(v >> (8 * k));
  }
}

void ChunkEncoder::BuildPayloadColumns(const ChunkBuilder& b, uint32_t begin, uint32_t end,
                                       bool args, const uint8_t** heap, size_t* heap_size) {
  const uint32_t* ends = args ? b.arg_ends() : b.result_ends();
  const uint8_t* builder_heap = args ? b.arg_heap() : b.result_heap();
  uint8_t spill_flag = args ? kArgsSpilled : kResultSpilled;
  ByteBuffer& lens = args ? arg_lens_ : result_lens_;
  std::vector<uint8_t>& copy = args ? arg_heap_ : result_heap_;
  uint32_t n = end - begin;
  lens.resize(size_t(n) * kMaxVarintBytes);
  uint8_t* out = lens.data();
  uint32_t start = begin == 0 ? 0 : ends[begin - 1];
  const uint8_t* flags = b.flags();
  {
    // The common chunk: nothing spilled and every payload under 64 bytes,
    // so every length is one byte; loops the compiler vectorizes.
    uint8_t any_flag = 0;
    if (extras_) {
      for (uint32_t i = begin; i < end; ++i) any_flag |= flags[i];
    }
    uint32_t wide = 0;
    out[0] = uint8_t((ends[begin] - start) << 1);
    wide |= ends[begin] - start;
    for (uint32_t i = 1; i < n; ++i) {
      uint32_t len = ends[begin + i] - ends[begin + i - 1];
      wide |= len;
      out[i] = uint8_t(len << 1);
    }
    if (!(any_flag & spill_flag) && wide < 64) {
      lens.resize(n);
      *heap = builder_heap + start;
      *heap_size = ends[end - 1] - start;
      return;
    }
  }
  // Varints are written in place: this loop runs once per event.
  uint32_t prev = start;
  bool any_spilled = false;
  for (uint32_t i = begin; i < end; ++i) {
    uint64_t v;
    if (flags[i] & spill_flag) {
      any_spilled = true;
      v = LoadU64(builder_heap + prev + 16) << 1 | kSpilledBit;
    } else {
      v = uint64_t(ends[i] - prev) << 1;
    }
    if (v < 0x80) {
      *out++ = uint8_t(v);
    } else {
      out += StoreVarint(out, v);
    }
    prev = ends[i];
  }
  lens.resize(size_t(out - lens.data()));
  if (!any_spilled) {
    *heap = builder_heap + start;
    *heap_size = prev - start;
    return;
  }
  // Rare path: rewrite spilled entries as their 8-byte hash and collect the
  // BLOB offsets (args before results, in event order).
  copy.clear();
  prev = start;
  for (uint32_t i = begin; i < end; ++i) {
    const uint8_t* p = builder_heap + prev;
    if (flags[i] & spill_flag) {
      copy.insert(copy.end(), p, p + kSpilledHeapEntry);
      blob_refs_.insert(blob_refs_.end(), p + 8, p + 16);
    } else {
      copy.insert(copy.end(), p, builder_heap + ends[i]);
    }
    prev = ends[i];
  }
  *heap = copy.data();
  *heap_size = copy.size();
}

void ChunkEncoder::ChooseIntKinds(const ChunkBuilder& b, uint32_t begin, uint32_t end) {
  // An 8-byte result is integer-coded (§7.5) for a kind when delta coding its
  // values saves at least a quarter of their bytes: clock readings compress
  // to one or two bytes, random bytes would grow and are left alone.
  uint64_t count[256] = {}, varint_bytes[256] = {};
  int64_t prev[256] = {};
  const uint32_t* ends = b.result_ends();
  const uint8_t* heap = b.result_heap();
  const uint8_t* kinds = b.kinds();
  const uint8_t* flags = b.flags();
  uint32_t start = begin == 0 ? 0 : ends[begin - 1];
  // The kind of the last 8-byte result and its sums, kept in registers
  // while the kind repeats (a loop calling one effect): the tables above
  // would make every event wait for the previous one's stores.
  int current = -1;
  uint64_t n = 0, bytes = 0;
  int64_t last = 0;
  // Each 8-byte result's delta as BuildIntResults codes it, in event order:
  // when every result is one, that pass has nothing left to do.
  deltas_.resize(end - begin);
  uint64_t* delta = deltas_.data();
  for (uint32_t i = begin; i < end; ++i) {
    uint32_t len = ends[i] - start;
    if (len == 8 && !(extras_ && (flags[i] & kResultSpilled))) {
      uint8_t k = kinds[i];
      if (k != current) [[unlikely]] {
        if (current >= 0) count[current] = n, varint_bytes[current] = bytes, prev[current] = last;
        current = k;
        n = count[k], bytes = varint_bytes[k], last = prev[k];
      }
      int64_t v = int64_t(LoadU64(heap + start));
      if (n == 0) anchor_[k] = v;
      // The varint's size: 7 bits a byte (z | 1: a zero takes one byte too).
      uint64_t d = uint64_t(v) - uint64_t(last);
      uint64_t z = ZigZag(int64_t(d));
      bytes += 1 + uint32_t(63 - __builtin_clzll(z | 1)) / 7;
      // INT_PACKED codes a kind's first value from itself (its anchor).
      *delta++ = n == 0 && packed_ ? 0 : d;
      last = v;
      ++n;
    }
    start = ends[i];
  }
  if (current >= 0) count[current] = n, varint_bytes[current] = bytes;
  int_kinds_.clear();
  bool every_kind_coded = true;
  for (int k = 0; k < 256; ++k) {
    int_kind_[k] = count[k] > 0 && varint_bytes[k] * 4 < count[k] * 8 * 3;
    if (int_kind_[k]) int_kinds_.push_back(uint8_t(k));
    every_kind_coded &= count[k] == 0 || int_kind_[k];
  }
  deltas_coded_ = every_kind_coded && size_t(delta - deltas_.data()) == end - begin;
}

void ChunkEncoder::BuildTimes(const ChunkBuilder& b, uint32_t begin, uint32_t end) {
  first_time_ = last_time_ = 0;
  times_size_ = 0;
  packed_times_.clear();
  size_t n = end - begin;
  const int64_t* times = b.times() + begin;
  // An event of unknown time anywhere: the chunk has no column.
  if (n == 0 || times[0] <= 0) return;
  // Times never decrease (§7.8): an earlier one is written as the one before.
  // deltas_[i] is event i's time minus event i - 1's, for i >= 1.
  deltas_.resize(n);
  int64_t prev = std::max(times[0], previous_time_);
  int64_t first = prev;
  for (size_t i = 1; i < n; ++i) {
    int64_t t = times[i];
    if (t <= 0) return;
    deltas_[i] = t > prev ? uint64_t(t - prev) : 0;
    prev = t > prev ? t : prev;
  }
  first_time_ = first;
  last_time_ = previous_time_ = prev;
  const uint64_t* durations = b.durations() + begin;
  uint64_t any_duration = 0;
  if (extras_) {
    for (size_t i = 0; i < n; ++i) any_duration |= durations[i];  // vectorized
  }
  bool any = any_duration != 0;
  // An event whose time was raised (above) keeps its end: its duration
  // shrinks by as much. With lanes (§7.3) this is an effect that waited in
  // one thread while others recorded events, which took earlier seqs.
  auto& adjusted = int_durations_;
  if (any) {
    adjusted.resize(n);
    int64_t run = first_time_;
    for (size_t i = 0; i < n; ++i) {
      run = std::max(run, times[i]);
      uint64_t raised = uint64_t(run - times[i]);
      uint64_t d = durations[i] > raised ? durations[i] - raised : 0;
      // The effect's end must fit in an i64 (§7.8); it always does for real times.
      adjusted[i] = std::min<uint64_t>(d, uint64_t(INT64_MAX - last_time_));
    }
  }
  if (packed_) {
    // TIMES_PACKED (§7.9): the first time, the deltas, the durations.
    PutVarint(&packed_times_, uint64_t(first));
    PackBlocks(deltas_.data() + 1, n - 1, &packed_times_);
    if (any) PackBlocks(adjusted.data(), n, &packed_times_);
    return;
  }
  // EVENT_TIMES (§7.8): varints.
  if (times_.size() < n * kMaxEventTimesPerEvent) times_.resize(n * kMaxEventTimesPerEvent);
  uint8_t* out = times_.data();
  out += StoreVarint(out, uint64_t(first));
  for (size_t i = 1; i < n; ++i) {
    uint64_t v = deltas_[i];
    if (v < 0x80) {
      *out++ = uint8_t(v);
    } else {
      out += StoreVarint(out, v);
    }
  }
  for (size_t i = 0; any && i < n; ++i) out += StoreVarint(out, adjusted[i]);
  times_size_ = size_t(out - times_.data());
}

void ChunkEncoder::BuildIntResults(const ChunkBuilder& b, uint32_t begin, uint32_t end,
                                   const uint8_t** heap, size_t* heap_size) {
  // `*heap` is the result heap as built so far (spilled entries already
  // rewritten); int-coded results move from it to INT_RESULTS or INT_PACKED.
  // Each one is coded as its value minus the previous value of its kind:
  // in INT_RESULTS from 0 for the first of a kind (§7.5), in INT_PACKED
  // from the kind's first value, its anchor (§7.9).
  std::vector<uint8_t>& rebuilt = int_heap_;
  rebuilt.clear();
  // ChooseIntKinds coded every result when each was an 8-byte one of an
  // int-coded kind (a loop reading the clock); otherwise the general pass.
  size_t coded_count = end - begin;
  if (!deltas_coded_) {
    // Each kind's running value starts at its anchor (INT_PACKED: its first
    // value, ChooseIntKinds) or 0 (INT_RESULTS).
    int64_t prev[256];
    for (uint8_t k : int_kinds_) prev[k] = packed_ ? anchor_[k] : 0;
    deltas_.resize(end - begin);
    uint64_t* delta = deltas_.data();
    const uint32_t* ends = b.result_ends();
    const uint8_t* kinds = b.kinds();
    const uint8_t* flags = b.flags();
    const uint8_t* src = *heap;
    uint32_t prev_end = begin == 0 ? 0 : ends[begin - 1];
    // As in ChooseIntKinds, the running value of the kind coded last stays in
    // a register while the kind repeats.
    int current = -1;
    int64_t last = 0;
    for (uint32_t i = begin; i < end; ++i) {
      bool spilled = extras_ && (flags[i] & kResultSpilled);
      size_t len = spilled ? kSpilledHeapEntry : ends[i] - prev_end;
      uint8_t k = kinds[i];
      if (len == 8 && !spilled && int_kind_[k]) {
        if (k != current) [[unlikely]] {
          if (current >= 0) prev[current] = last;
          current = k;
          last = prev[k];
        }
        int64_t v = int64_t(LoadU64(src));
        *delta++ = uint64_t(v) - uint64_t(last);
        last = v;
      } else {
        rebuilt.insert(rebuilt.end(), src, src + len);
      }
      src += len;
      prev_end = ends[i];
    }
    coded_count = size_t(delta - deltas_.data());
  }
  int_results_.clear();
  if (packed_) {
    // Every kind of INT_KINDS has a result here (ChooseIntKinds).
    for (uint8_t k : int_kinds_) PutVarint(&int_results_, ZigZag(anchor_[k]));
    PackBlocks(deltas_.data(), coded_count, &int_results_);
  } else {
    int_results_.resize(coded_count * kMaxVarintBytes);
    uint8_t* coded = int_results_.data();
    for (size_t j = 0; j < coded_count; ++j) {
      uint64_t d = deltas_[j];
      uint64_t z = ZigZag(int64_t(d));
      if (z < 0x80) {
        *coded++ = uint8_t(z);
      } else {
        coded += StoreVarint(coded, z);
      }
    }
    int_results_.resize(size_t(coded - int_results_.data()));
  }
  *heap = rebuilt.data();
  *heap_size = rebuilt.size();
}

void ChunkEncoder::Encode(const ChunkBuilder& b, uint32_t begin, uint32_t end,
                          uint32_t chunk_number, const SiteDefinitions& new_sites,
                          std::vector<uint8_t>* record, uint64_t* content_hash,
                          const KindDefinitions* new_kinds) {
  assert(begin < end && end <= b.published());
  uint32_t n = end - begin;
  uint64_t first_seq = b.first_seq() + begin;
  blob_refs_.clear();
  int_results_.clear();
  extras_ = b.extras_written();

  uint8_t width;
  BuildSiteColumns(b, begin, end, &width);
  const uint8_t *arg_heap, *result_heap;
  size_t arg_heap_size, result_heap_size;
  BuildPayloadColumns(b, begin, end, /*args=*/true, &arg_heap, &arg_heap_size);
  BuildPayloadColumns(b, begin, end, /*args=*/false, &result_heap, &result_heap_size);
  ChooseIntKinds(b, begin, end);
  if (!int_kinds_.empty()) BuildIntResults(b, begin, end, &result_heap, &result_heap_size);
  BuildTimes(b, begin, end);

  new_sites_.clear();
  for (const auto& [id, text] : new_sites) {
    uint8_t le[8];
    StoreU64(le, id);
    new_sites_.insert(new_sites_.end(), le, le + 8);
    PutVarint(&new_sites_, text.size());
    new_sites_.insert(new_sites_.end(), text.begin(), text.end());
  }

  kind_names_.clear();
  if (new_kinds) {
    for (const auto& [kind, name] : *new_kinds) {
      kind_names_.push_back(kind);
      PutVarint(&kind_names_, name.size());
      kind_names_.insert(kind_names_.end(), name.begin(), name.end());
    }
  }

  // LANES only when some event is not in lane 0 (§7.3).
  lanes_.clear();
  const uint32_t* lanes = b.lanes() + begin;
  bool any_lane = false;
  for (uint32_t i = 0; extras_ && i < n && !any_lane; ++i) any_lane = lanes[i] != 0;
  if (any_lane) {
    for (uint32_t i = 0; i < n; ++i) PutVarint(&lanes_, lanes[i]);
  }

  // EVENT_MARKS only when some event in the range has a mark.
  const uint8_t* marks = b.marks() + begin;
  bool any_marks = false;
  for (uint32_t i = 0; extras_ && i < n && !any_marks; ++i) any_marks = marks[i] != 0;

  const Section sections[] = {
      {uint8_t(SectionId::kSiteDict), dict_.data(), dict_.size()},
      {uint8_t(SectionId::kSiteIndex), index_.data(), index_.size()},
      {uint8_t(SectionId::kKinds), b.kinds() + begin, n},
      {uint8_t(SectionId::kArgLens), arg_lens_.data(), arg_lens_.size()},
      {uint8_t(SectionId::kArgHeap), arg_heap, arg_heap_size},
      {uint8_t(SectionId::kResultLens), result_lens_.data(), result_lens_.size()},
      {uint8_t(SectionId::kResultHeap), result_heap, result_heap_size},
      {uint8_t(SectionId::kIntKinds), int_kinds_.data(), int_kinds_.size()},
      {uint8_t(SectionId::kIntResults), int_results_.data(), packed_ ? 0 : int_results_.size()},
      {uint8_t(SectionId::kNewSites), new_sites_.data(), new_sites_.size()},
      {uint8_t(SectionId::kBlobRefs), blob_refs_.data(), blob_refs_.size()},
      {uint8_t(SectionId::kLanes), lanes_.data(), lanes_.size()},
      {uint8_t(SectionId::kIntPacked), int_results_.data(), packed_ ? int_results_.size() : 0},
      {uint8_t(SectionId::kTimesPacked), packed_times_.data(), packed_ ? packed_times_.size() : 0},
      {kKindNamesSection, kind_names_.data(), kind_names_.size()},
      {kEventTimesSection, times_.data(), packed_ ? 0 : times_size_},
      {kEventMarksSection, marks, any_marks ? n : 0},
  };

  // §7.6 content hash: first_seq, count, then sections 1..9 as (u32 length, bytes).
  XXH3_state_t hash_state;
  XXH3_64bits_reset(&hash_state);
  uint8_t fixed[12];
  StoreU64(fixed, first_seq);
  StoreU32(fixed + 8, n);
  XXH3_64bits_update(&hash_state, fixed, 12);
  for (const Section& s : sections) {
    // Sections 1..9, then LANES and INT_PACKED when present (§7.6).
    bool hashed = s.id <= uint8_t(SectionId::kIntResults) ||
                  ((s.id == uint8_t(SectionId::kLanes) || s.id == uint8_t(SectionId::kIntPacked)) &&
                   s.size > 0);
    if (!hashed) continue;
    uint8_t len[4];
    StoreU32(len, uint32_t(s.size));
    XXH3_64bits_update(&hash_state, len, 4);
    if (s.size) XXH3_64bits_update(&hash_state, s.data, s.size);
  }
  *content_hash = XXH3_64bits_digest(&hash_state);

  // Assemble: record header (filled last), fixed fields, section table, data.
  uint16_t present = 0;
  for (const Section& s : sections) present += s.size > 0;
  std::vector<uint8_t>& out = *record;
  out.assign(kRecordHeaderSize + kChunkFixedSize + present * kSectionEntrySize, 0);
  uint8_t* p = out.data() + kRecordHeaderSize;
  StoreU32(p, chunk_number);
  StoreU64(p + 4, first_seq);
  StoreU32(p + 12, n);
  p[16] = width;
  p[17] = 0;  // reserved
  StoreU16(p + 18, present);
  size_t table_at = kRecordHeaderSize + kChunkFixedSize;
  for (const Section& s : sections) {
    if (s.size == 0) continue;
    Codec codec = Codec::kRaw;
    size_t stored = s.size;
    // Packed integers (§7.9) decode in a few instructions per value,
    // less than zstd takes per byte: they are compressed only when that
    // saves an eighth of their bytes or more, which a sample of their
    // first 4 KiB tells without compressing the whole section.
    bool packed = s.id == uint8_t(SectionId::kIntPacked) ||
                  s.id == uint8_t(SectionId::kTimesPacked);
    constexpr size_t kSample = 4096;
    bool try_zstd = s.size >= kMinCompressBytes;
    if (packed && s.size > 4 * kSample) {
      compressed_.resize(ZSTD_compressBound(kSample));
      size_t z = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), s.data, kSample,
                                   level_);
      try_zstd = !ZSTD_isError(z) && z <= kSample - kSample / 16;
    }
    if (try_zstd) {
      compressed_.resize(ZSTD_compressBound(s.size) + 16);
      // (Every byte equal to the next: one overlapping memcmp.)
      size_t z = std::memcmp(s.data, s.data + 1, s.size - 1) == 0
                     ? CompressRepeated(s.data, s.size)
                     : ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), s.data,
                                         s.size, level_);
      size_t worth = packed ? s.size - s.size / 8 : s.size;
      if (!ZSTD_isError(z) && z < worth) {
        codec = Codec::kZstd;
        stored = z;
      }
    }
    if (codec == Codec::kZstd) {
      out.insert(out.end(), compressed_.data(), compressed_.data() + stored);
    } else {
      out.insert(out.end(), s.data, s.data + s.size);
    }
    uint8_t* entry = out.data() + table_at;
    entry[0] = s.id;
    entry[1] = uint8_t(codec);
    StoreU16(entry + 2, 0);  // reserved
    StoreU32(entry + 4, uint32_t(stored));
    StoreU32(entry + 8, uint32_t(s.size));
    table_at += kSectionEntrySize;
  }
  Bytes body{out.data() + kRecordHeaderSize, out.size() - kRecordHeaderSize};
  EncodeRecordHeader(kTagChunk, body, out.data());
}

}  // namespace tape::format
