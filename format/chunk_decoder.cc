#include "format/chunk_decoder.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <fmt/core.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>

#include "format/layout.h"

namespace tape::format {

namespace {

// Whether `lens` holds exactly `n` one-byte varints, none with the spilled
// bit (§7.4): one pass the compiler vectorizes.
bool OneByteLengths(Bytes lens, uint32_t n) {
  if (lens.size() != n) return false;
  uint8_t any = 0;
  for (uint8_t b : lens) any |= b;
  return (any & 0x81) == 0;
}

// The sum of p[0..n): 16-bit sums of blocks of 256 bytes (255 x 256 < 2^16),
// which the compiler vectorizes in 16-bit lanes. Out of line, as the others.
[[gnu::noinline]] uint64_t SumBytes(const uint8_t* p, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n;) {
    size_t block_end = std::min(n, i + 256);
    uint16_t block = 0;
    for (; i < block_end; ++i) block = uint16_t(block + p[i]);
    sum += block;
  }
  return sum;
}

// How many i in [0, n) have a[i] == x and b[i] == y: 8-bit counts of
// blocks of 255, vectorized.
[[gnu::noinline]] uint64_t CountPairs(const uint8_t* a, uint8_t x, const uint8_t* b, uint8_t y,
                                      size_t n) {
  uint64_t count = 0;
  for (size_t i = 0; i < n;) {
    size_t block_end = std::min(n, i + 255);
    uint8_t block = 0;
    for (; i < block_end; ++i) block = uint8_t(block + ((a[i] == x) & (b[i] == y)));
    count += block;
  }
  return count;
}

}  // namespace

const char* SectionName(uint8_t id) {
  switch (SectionId(id)) {
    case SectionId::kSiteDict: return "SITE_DICT";
    case SectionId::kSiteIndex: return "SITE_INDEX";
    case SectionId::kKinds: return "KINDS";
    case SectionId::kArgLens: return "ARG_LENS";
    case SectionId::kArgHeap: return "ARG_HEAP";
    case SectionId::kResultLens: return "RESULT_LENS";
    case SectionId::kResultHeap: return "RESULT_HEAP";
    case SectionId::kIntKinds: return "INT_KINDS";
    case SectionId::kIntResults: return "INT_RESULTS";
    case SectionId::kNewSites: return "NEW_SITES";
    case SectionId::kBlobRefs: return "BLOB_REFS";
    case SectionId::kLanes: return "LANES";
    case SectionId::kIntPacked: return "INT_PACKED";
    case SectionId::kTimesPacked: return "TIMES_PACKED";
  }
  if (id == kKindNamesSection) return "KIND_NAMES";
  if (id == kEventMarksSection) return "EVENT_MARKS";
  if (id == kEventTimesSection) return "EVENT_TIMES";
  return "unknown section";
}

EventView DecodedChunk::event(uint32_t i) const {
  EventView e;
  e.seq = first_seq_ + i;
  if (parts_ & kDecodeSites) e.site = site(i);
  if (parts_ & kDecodeKinds) {
    e.kind = kinds_[i];
    e.marks = marks(i);
    e.lane = lane(i);
  }
  if ((parts_ & kDecodePayloads) == kDecodePayloads) {
    e.args = args(i);
    e.result = result(i);
  }
  if (parts_ & kDecodeTimes) {
    e.time_ns = time(i);
    e.duration_ns = duration(i);
  }
  return e;
}

Status ParseChunkHeader(Bytes body, uint64_t file_offset, ChunkHeader* out) {
  if (body.size() < kChunkFixedSize) {
    return Status::Corrupt(
        fmt::format("chunk at byte {}: body of {} bytes is shorter than its fixed fields",
                    file_offset, body.size()));
  }
  out->chunk_number = LoadU32(body.data());
  out->first_seq = LoadU64(body.data() + 4);
  out->event_count = LoadU32(body.data() + 12);
  if (out->event_count == 0 || out->event_count > kMaxChunkEvents) {
    return Status::Corrupt(fmt::format("chunk {} at byte {}: event count {} is outside 1..{}",
                                       out->chunk_number, file_offset, out->event_count,
                                       kMaxChunkEvents));
  }
  return Status::Ok();
}

ChunkDecoder::ChunkDecoder() : dctx_(ZSTD_createDCtx()) {}
ChunkDecoder::~ChunkDecoder() { ZSTD_freeDCtx(dctx_); }

Status ChunkDecoder::Fail(const std::string& what) const {
  return Status::Corrupt(
      fmt::format("chunk {} at byte {}: {}", header_.chunk_number, file_offset_, what));
}

Status ChunkDecoder::ParseTable(Bytes body, uint64_t file_offset) {
  file_offset_ = file_offset;
  TAPE_RETURN_IF_ERROR(ParseChunkHeader(body, file_offset, &header_));
  width_ = body[16];
  if (width_ != 1 && width_ != 2 && width_ != 4) {
    return Fail(fmt::format("site index width {} is not 1, 2 or 4", width_));
  }
  if (body[17] != 0) return Fail("reserved byte 17 is not zero");
  uint16_t count = LoadU16(body.data() + 18);
  size_t table_end = kChunkFixedSize + size_t(count) * kSectionEntrySize;
  if (table_end > body.size())
    return Fail(fmt::format("section table of {} entries does not fit in the chunk", count));
  for (auto& s : sections_) s = SectionRef();
  inflated_mask_ = 0;
  decoded_ = false;
  const uint8_t* entry = body.data() + kChunkFixedSize;
  uint64_t data_at = table_end;
  int previous_id = 0;
  for (uint16_t i = 0; i < count; ++i, entry += kSectionEntrySize) {
    uint8_t id = entry[0];
    uint8_t codec = entry[1];
    uint32_t stored = LoadU32(entry + 4);
    uint32_t raw = LoadU32(entry + 8);
    std::string name = fmt::format("section {} ({})", id, SectionName(id));
    if (id <= previous_id) return Fail(name + " is out of order or repeated");
    previous_id = id;
    if (LoadU16(entry + 2) != 0) return Fail(name + ": reserved field is not zero");
    if (codec > uint8_t(Codec::kZstd))
      return Fail(fmt::format("{}: unknown codec {}", name, codec));
    if (codec == uint8_t(Codec::kRaw) && stored != raw) {
      return Fail(
          fmt::format("{}: raw section with stored size {} != decoded size {}", name, stored, raw));
    }
    if (stored > body.size() - data_at) return Fail(name + " runs past the end of the chunk");
    if (id > kLastCriticalSection && id < kFirstAncillarySection) {
      return Status::Unsupported(
          fmt::format("chunk {} uses section {}, which this version of tape does not know",
                      header_.chunk_number, id));
    }
    sections_[id] = {true, codec, Bytes(body.data() + data_at, stored), raw};
    data_at += stored;
  }
  if (data_at != body.size()) {
    return Fail(fmt::format("{} bytes after the last section", body.size() - data_at));
  }
  // §7.5, §7.8: one coding or the other, never both.
  if (sections_[uint8_t(SectionId::kIntResults)].present &&
      sections_[uint8_t(SectionId::kIntPacked)].present) {
    return Fail("it has both INT_RESULTS and INT_PACKED");
  }
  if (sections_[kEventTimesSection].present &&
      sections_[uint8_t(SectionId::kTimesPacked)].present) {
    return Fail("it has both EVENT_TIMES and TIMES_PACKED");
  }
  if (!sections_[uint8_t(SectionId::kKinds)].present ||
      !sections_[uint8_t(SectionId::kSiteDict)].present ||
      !sections_[uint8_t(SectionId::kSiteIndex)].present ||
      !sections_[uint8_t(SectionId::kArgLens)].present ||
      !sections_[uint8_t(SectionId::kResultLens)].present) {
    return Fail("a required section (SITE_DICT, SITE_INDEX, KINDS, ARG_LENS, RESULT_LENS) is missing");
  }
  return Status::Ok();
}

Status ChunkDecoder::Inflate(uint8_t id, uint64_t max_raw, ByteBuffer* buffer, Bytes* out) {
  TAPE_RETURN_IF_ERROR(InflateSection(id, max_raw, buffer, out));
  if (id < 16) {
    inflated_[id] = *out;
    inflated_mask_ |= 1u << id;
  }
  return Status::Ok();
}

Status ChunkDecoder::InflateSection(uint8_t id, uint64_t max_raw, ByteBuffer* buffer,
                                    Bytes* out) {
  const SectionRef& s = sections_[id];
  *out = {};
  if (!s.present) return Status::Ok();
  if (s.raw_size > max_raw) {
    return Fail(fmt::format("{} declares {} decoded bytes, more than the limit of {}",
                            SectionName(id), s.raw_size, max_raw));
  }
  if (s.codec == uint8_t(Codec::kRaw)) {
    *out = s.stored;  // no copy: the chunk's own bytes
    return Status::Ok();
  }
  unsigned long long declared = ZSTD_getFrameContentSize(s.stored.data(), s.stored.size());
  if (declared != s.raw_size) {
    return Fail(fmt::format("{}: zstd frame does not declare the section's {} decoded bytes",
                            SectionName(id), s.raw_size));
  }
  size_t frame = ZSTD_findFrameCompressedSize(s.stored.data(), s.stored.size());
  if (ZSTD_isError(frame) || frame != s.stored.size()) {
    return Fail(std::string(SectionName(id)) + ": zstd frame does not fill the section exactly");
  }
  buffer->resize(s.raw_size);
  size_t got = ZSTD_decompressDCtx(dctx_, buffer->data(), buffer->size(), s.stored.data(),
                                   s.stored.size());
  if (ZSTD_isError(got) || got != s.raw_size) {
    return Fail(std::string(SectionName(id)) + ": zstd data is damaged (" +
                (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output") + ")");
  }
  *out = Bytes(buffer->data(), buffer->size());
  return Status::Ok();
}

Status ChunkDecoder::DecodeLens(uint8_t lens_id, uint8_t heap_id, bool results, bool sizes_only,
                                DecodedChunk::Heap* heap, std::vector<DecodedChunk::Slot>* slots) {
  uint32_t n = header_.event_count;
  Bytes lens;
  DecodedChunk::Columns& columns = current_->columns_;
  TAPE_RETURN_IF_ERROR(Inflate(
      lens_id, n * kMaxVarintBytes,
      results ? &current_->result_lens_storage_ : &current_->arg_lens_storage_, &lens));
  (results ? columns.result_lens : columns.arg_lens) = lens;
  const SectionRef& heap_ref = sections_[heap_id];
  uint64_t heap_size = heap_ref.present ? heap_ref.raw_size : 0;
  if (heap_size > kMaxHeapBytes) {
    return Fail(fmt::format("{} declares {} bytes, more than the limit of {}",
                            SectionName(heap_id), heap_size, kMaxHeapBytes));
  }
  bool* int_kind = columns.int_kind;
  std::fill(int_kind, int_kind + 256, false);
  for (uint8_t k : int_kinds_) int_kind[k] = true;
  const uint8_t* kinds = current_->kinds_.data();
  DecodedChunk::Slot* slot = nullptr;
  if (slots != nullptr) {
    slots->resize(n);
    slot = slots->data();
  }
  heap->spills.clear();
  spill_heap_at_.clear();
  const uint8_t* p = lens.data();
  const uint8_t* end = p + lens.size();
  uint64_t at = 0;  // running heap offset
  uint32_t ints = 0;
  bool one_byte = slot == nullptr && OneByteLengths(lens, n);
  one_byte_lens_[results] = one_byte;
  if (one_byte) {
    // The common chunk, without slots to fill (replay's cursor): every
    // length one byte, none spilled. Sums without branches; when they do not
    // match the heap, the general loop below finds and names the culprit.
    uint64_t sum = 0;
    uint32_t coded_count = 0;
    const uint8_t* b = lens.data();
    // No spilled bit: the lengths add up to half the bytes' sum. An
    // integer-coded result (length 8, byte 16) takes no heap bytes.
    sum = SumBytes(b, n) >> 1;
    bool few = int_kinds_.size() <= 4;
    for (size_t i = 1; few && i < int_kinds_.size(); ++i) few = int_kinds_[i] > int_kinds_[i - 1];
    if (results && few) {
      // Counted kind by kind (each once: in increasing order), by loops the
      // compiler vectorizes.
      for (uint8_t k : int_kinds_) coded_count += uint32_t(CountPairs(b, 16, kinds, k, n));
    } else if (results) {
      for (uint32_t i = 0; i < n; ++i) {
        coded_count += uint32_t(b[i] == 16) & uint32_t(int_kind[kinds[i]]);
      }
    }
    sum -= uint64_t(coded_count) * 8;
    if (sum == heap_size) {
      at = sum;
      ints = coded_count;
      p = end;
    } else {
      one_byte = one_byte_lens_[results] = false;
    }
  }
  (results ? columns.one_byte_result_lens : columns.one_byte_arg_lens) = one_byte;
  for (uint32_t i = 0; i < n && !one_byte; ++i) {
    uint64_t v;
    if (p < end && *p < 0x80) {
      v = *p++;  // the common one-byte length
    } else if (!ParseVarint(&p, end, &v)) {
      return Fail(
          fmt::format("{} ends after {} of {} lengths", SectionName(lens_id), i, n));
    }
    uint64_t len = v >> 1;
    if (v & kSpilledBit) {
      if (len > kMaxPayloadBytes) {
        return Fail(fmt::format("a spilled payload declares {} bytes", len));
      }
      if (heap_size - at < kSpilledHeapEntry) {
        return Fail(std::string(SectionName(heap_id)) + " is shorter than its lengths");
      }
      spill_heap_at_.push_back(uint32_t(at));
      heap->spills.push_back({len, 0, 0});
      if (slot) slot[i] = {uint32_t(heap->spills.size() - 1), DecodedChunk::kSpilled};
      at += kSpilledHeapEntry;
    } else if (results && len == 8 && int_kind[kinds[i]]) {
      if (slot) slot[i] = {uint32_t(heap_size + uint64_t(ints) * 8), 8};
      ++ints;
    } else {
      if (len > heap_size - at) {
        return Fail(fmt::format("{} is shorter than its lengths (event {})",
                                SectionName(heap_id), header_.first_seq + i));
      }
      if (slot) slot[i] = {uint32_t(at), uint32_t(len)};
      at += len;
    }
  }
  if (p != end) return Fail(std::string(SectionName(lens_id)) + " has bytes after the last length");
  if (at != heap_size) {
    return Fail(fmt::format("{} holds {} bytes but its lengths account for {}",
                            SectionName(heap_id), heap_size, at));
  }
  if (results) ints_counted_ = ints;
  if (sizes_only) return Status::Ok();
  TAPE_RETURN_IF_ERROR(Inflate(heap_id, kMaxHeapBytes, &heap->storage, &heap->bytes));
  (results ? columns.result_heap : columns.arg_heap) = heap->bytes;
  for (size_t k = 0; k < spill_heap_at_.size(); ++k) {
    heap->spills[k].hash = LoadU64(heap->bytes.data() + spill_heap_at_[k]);
  }
  return Status::Ok();
}

Status ChunkDecoder::Decode(Bytes body, uint64_t file_offset, unsigned parts, DecodedChunk* out) {
  TAPE_RETURN_IF_ERROR(ParseTable(body, file_offset));
  uint32_t n = header_.event_count;
  out->chunk_number_ = header_.chunk_number;
  out->first_seq_ = header_.first_seq;
  out->count_ = n;
  out->parts_ = 0;
  current_ = out;
  // Nothing left from the chunk the object held before (its runs and values
  // are only decoded for some parts).
  out->columns_.int_runs.clear();
  out->columns_.payload_runs.clear();
  out->columns_.int_values = nullptr;
  out->columns_.int_count = 0;

  if (parts & kDecodeKinds) {
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kKinds), n, &out->kinds_storage_, &out->kinds_));
    if (out->kinds_.size() != n)
      return Fail(fmt::format("KINDS holds {} entries for {} events", out->kinds_.size(), n));
    TAPE_RETURN_IF_ERROR(Inflate(kEventMarksSection, n, &out->marks_storage_, &out->marks_));
    Bytes lanes;
    TAPE_RETURN_IF_ERROR(Inflate(uint8_t(SectionId::kLanes), n * 3, &lanes_buffer_, &lanes));
    out->lanes_.clear();
    if (!lanes.empty()) {
      out->lanes_.resize(n);
      const uint8_t* p = lanes.data();
      const uint8_t* end = p + lanes.size();
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t lane;
        if (!ParseVarint(&p, end, &lane) || lane >= kMaxLanes) {
          return Fail(fmt::format("LANES entry {} is truncated or not below {}", i, kMaxLanes));
        }
        out->lanes_[i] = uint32_t(lane);
      }
      if (p != end) return Fail("LANES holds more than one lane per event");
    }
    if (!out->marks_.empty() && out->marks_.size() != n) {
      return Fail(fmt::format("EVENT_MARKS holds {} entries for {} events", out->marks_.size(), n));
    }
  }
  bool arrays = !(parts & kDecodeNoArrays);
  if (!arrays) {
    // Nothing stale behind the accessors the caller may not use.
    out->site_index_.clear();
    out->arg_slots_.clear();
    out->result_slots_.clear();
  }
  if (parts & kDecodeTimes) {
    TAPE_RETURN_IF_ERROR(DecodeTimes(out, arrays));
  } else {
    out->times_.clear();
    out->durations_.clear();
    out->first_time_ = out->last_time_ = 0;
  }
  bool cursor = (parts & kDecodeCursor) == kDecodeCursor;
  if ((parts & kDecodeSites) || cursor) {
    Bytes dict, index;
    TAPE_RETURN_IF_ERROR(Inflate(uint8_t(SectionId::kSiteDict), n * 8, &dict_buffer_, &dict));
    if (dict.empty() || dict.size() % 8 != 0) {
      return Fail("SITE_DICT size is not a positive multiple of 8");
    }
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kSiteIndex), n * width_, &out->index_storage_, &index));
    out->columns_.site_index = index;
    out->columns_.site_width = width_;
    if (index.size() != size_t(n) * width_) {
      return Fail("SITE_INDEX does not hold one entry per event");
    }
    size_t distinct = dict.size() / 8;
    out->site_dict_.resize(distinct);
    for (size_t k = 0; k < distinct; ++k) out->site_dict_[k] = LoadU64(dict.data() + 8 * k);
    const uint8_t* ix = index.data();
    auto entry = [&](uint32_t i) -> uint32_t {
      return width_ == 1 ? ix[i] : width_ == 2 ? LoadU16(ix + 2 * i) : LoadU32(ix + 4 * i);
    };
    // The largest entry first (a loop the compiler vectorizes), the culprit
    // only when it is out of range.
    uint32_t largest = 0;
    if (width_ == 1) {
      uint8_t largest8 = 0;  // in byte lanes: SSE2 has a byte max, not a 32-bit one
      for (uint32_t i = 0; i < n; ++i) largest8 = std::max(largest8, ix[i]);
      largest = largest8;
    } else {
      for (uint32_t i = 0; i < n; ++i) largest = std::max(largest, entry(i));
    }
    if (largest >= distinct) {
      return Fail(
          fmt::format("SITE_INDEX entry {} is outside the dictionary of {}", largest, distinct));
    }
    if ((parts & kDecodeSites) && arrays) {
      out->site_index_.resize(n);
      for (uint32_t i = 0; i < n; ++i) out->site_index_[i] = entry(i);
    }
  }
  bool payloads = (parts & kDecodePayloads) == kDecodePayloads;
  bool sizes = !payloads && (parts & kDecodeSizes) == kDecodeSizes;
  if (sizes) {
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kIntKinds), 256, &int_kinds_buffer_, &int_kinds_));
    TAPE_RETURN_IF_ERROR(DecodeLens(uint8_t(SectionId::kArgLens), uint8_t(SectionId::kArgHeap),
                                    false, true, &out->args_, arrays ? &out->arg_slots_ : nullptr));
    TAPE_RETURN_IF_ERROR(DecodeLens(uint8_t(SectionId::kResultLens),
                                    uint8_t(SectionId::kResultHeap), true, true, &out->results_,
                                    arrays ? &out->result_slots_ : nullptr));
  }
  if (payloads || cursor) {
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kIntKinds), 256, &int_kinds_buffer_, &int_kinds_));
    for (size_t i = 1; i < int_kinds_.size(); ++i) {
      if (int_kinds_[i] <= int_kinds_[i - 1]) return Fail("INT_KINDS is not strictly increasing");
    }
    TAPE_RETURN_IF_ERROR(DecodeLens(uint8_t(SectionId::kArgLens), uint8_t(SectionId::kArgHeap),
                                    false, false, &out->args_,
                                    payloads && arrays ? &out->arg_slots_ : nullptr));
    TAPE_RETURN_IF_ERROR(DecodeLens(uint8_t(SectionId::kResultLens),
                                    uint8_t(SectionId::kResultHeap), true, false, &out->results_,
                                    payloads && arrays ? &out->result_slots_ : nullptr));
    // The integer-coded results' values: for the cursor, and behind the
    // slots of result(i); otherwise only checked.
    uint32_t ints = ints_counted_;
    bool slots = payloads && arrays;
    int64_t* values = nullptr;
    if (cursor || slots) {
      out->int_values_.resize(ints);
      values = out->int_values_.data();
    }
    TAPE_RETURN_IF_ERROR(DecodeInts(ints, out->columns_.result_lens, values));
    out->columns_.int_count = ints;
    out->columns_.int_values = values;
    out->results_.ints.resize(slots ? size_t(ints) * 8 : 0);
    for (uint32_t j = 0; slots && j < ints; ++j) {
      StoreU64(out->results_.ints.data() + 8 * size_t(j), uint64_t(values[j]));
    }
    // BLOB_REFS (§7.4): every spilled arg in event order, then every spilled result.
    Bytes refs;
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kBlobRefs), n * 16, &out->blob_refs_storage_, &refs));
    out->columns_.blob_refs = refs;
    out->columns_.arg_spills = out->args_.spills.size();
    size_t arg_spills = out->args_.spills.size();
    size_t result_spills = out->results_.spills.size();
    if (refs.size() != 8 * (arg_spills + result_spills)) {
      return Fail(fmt::format("BLOB_REFS holds {} bytes for {} spilled payloads", refs.size(),
                              arg_spills + result_spills));
    }
    const uint8_t* ref = refs.data();
    for (auto* heap : {&out->args_, &out->results_}) {
      for (auto& spill : heap->spills) {
        spill.blob_offset = LoadU64(ref);
        ref += 8;
        if (spill.blob_offset < kPreludeSize || spill.blob_offset >= file_offset) {
          return Fail(
              fmt::format("a spilled payload refers to byte {}, which is not before the chunk",
                          spill.blob_offset));
        }
      }
    }
    if (cursor) FindRuns(out);
  }
  if (parts & kDecodeNewSites) {
    Bytes defs;
    TAPE_RETURN_IF_ERROR(
        Inflate(uint8_t(SectionId::kNewSites), kMaxNewSitesBytes, &scratch_, &defs));
    out->new_sites_.clear();
    ByteReader r(defs);
    while (r.remaining() > 0) {
      // §11: no chunk defines more sites than a whole trace may hold.
      if (out->new_sites_.size() == kMaxSites) {
        return Fail(fmt::format("NEW_SITES holds more than {} entries", kMaxSites));
      }
      uint64_t id;
      std::string text;
      if (!r.GetU64(&id) || !r.GetString(kMaxSiteText, &text)) return Fail("NEW_SITES entry is truncated");
      out->new_sites_.emplace_back(id, std::move(text));
    }
    Bytes kinds;
    TAPE_RETURN_IF_ERROR(Inflate(kKindNamesSection, 256 * (kMaxKindName + 3), &scratch_, &kinds));
    out->new_kinds_.clear();
    ByteReader k(kinds);
    while (k.remaining() > 0) {
      uint8_t kind;
      std::string name;
      if (!k.GetU8(&kind) || !k.GetString(kMaxKindName, &name) || name.empty()) {
        return Fail("KIND_NAMES entry is truncated or empty");
      }
      out->new_kinds_.emplace_back(kind, std::move(name));
    }
  }
  out->parts_ = parts;
  decoded_ = true;
  return Status::Ok();
}

void ChunkDecoder::FindRuns(DecodedChunk* out) {
  DecodedChunk::Columns& c = out->columns_;
  c.int_runs.clear();
  c.payload_runs.clear();
  uint32_t n = header_.event_count;
  const uint8_t* kinds = out->kinds_.data();
  const uint8_t* ix = c.site_index.data();
  const uint8_t* a = c.arg_lens.data();  // validated: one varint per event
  const uint8_t* r = c.result_lens.data();
  auto site_at = [&](uint32_t i) -> uint32_t {
    return width_ == 1 ? ix[i] : width_ == 2 ? LoadU16(ix + 2 * i) : LoadU32(ix + 4 * i);
  };
  // A length byte of 16: 8 bytes, inline (§7.4); integer-coded for an
  // integer-coded kind (§7.5).
  auto coded = [&](uint8_t length, uint8_t kind) { return length == 16 && c.int_kind[kind]; };
  if (one_byte_lens_[0] && one_byte_lens_[1]) {
    // Every length one byte (DecodeLens): event i's lengths are a[i] and
    // r[i]. Each maximal stretch of one site, kind and pair of lengths is
    // scanned eight events at a time while all four columns repeat (one-byte
    // site indexes), then event by event.
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    uint32_t i = 0;
    while (i < n) {
      uint32_t start = i;
      uint8_t k = kinds[i], av = a[i], rv = r[i];
      if (width_ == 1) {
        uint8_t s1 = ix[i];
        uint64_t kk = kOnes * k, ss = kOnes * s1, aa = kOnes * av, rr = kOnes * rv;
        for (++i; i + 8 <= n && LoadU64(a + i) == aa && LoadU64(r + i) == rr &&
                  LoadU64(kinds + i) == kk && LoadU64(ix + i) == ss;) {
          i += 8;
        }
        for (; i < n && a[i] == av && r[i] == rv && kinds[i] == k && ix[i] == s1;) ++i;
      } else {
        uint32_t site = site_at(i);
        for (++i; i < n && a[i] == av && r[i] == rv && kinds[i] == k && site_at(i) == site;) ++i;
      }
      uint32_t count = i - start;
      if (count < DecodedChunk::kMinRun) continue;
      // No length here has the spilled bit (OneByteLengths): the payloads
      // of a payload run are inline, one after the other in their heaps.
      if (!coded(rv, k)) {
        c.payload_runs.push_back({start, count});
      } else if (av == 0) {
        c.int_runs.push_back({start, count});
      }
    }
  } else if (c.int_count > 0) {
    // Integer runs alone: events with no args and an integer-coded result.
    uint32_t start = 0, count = 0, run_site = 0;
    uint8_t run_kind = 0;
    auto flush = [&] {
      if (count >= DecodedChunk::kMinRun) c.int_runs.push_back({start, count});
      count = 0;
    };
    for (uint32_t i = 0; i < n; ++i) {
      bool eligible = *a == 0 && coded(*r, kinds[i]);
      while (*a++ >= 0x80) {}
      while (*r++ >= 0x80) {}
      if (!eligible) {
        flush();
        continue;
      }
      uint32_t site = site_at(i);
      if (count > 0 && site == run_site && kinds[i] == run_kind) {
        ++count;
        continue;
      }
      flush();
      start = i;
      count = 1;
      run_site = site;
      run_kind = kinds[i];
    }
    flush();
  }
  // A run never spans two lanes (§7.7): each lane is served its own events.
  // Cut apart afterwards, so that chunks without lanes (most) pay nothing.
  const uint32_t* lanes = out->lanes();
  if (lanes == nullptr) return;
  for (std::vector<DecodedChunk::Run>* runs : {&c.int_runs, &c.payload_runs}) {
    whole_runs_.swap(*runs);
    runs->clear();
    for (const DecodedChunk::Run& run : whole_runs_) {
      uint32_t start = run.first, count = 0;
      for (uint32_t i = run.first; i < run.first + run.count; ++i) {
        if (count > 0 && lanes[i] != lanes[start]) {
          if (count >= DecodedChunk::kMinRun) runs->push_back({start, count});
          start = i;
          count = 0;
        }
        ++count;
      }
      if (count >= DecodedChunk::kMinRun) runs->push_back({start, count});
    }
  }
}

namespace {


// §7.6: the hash covers the fixed fields, then each covered section's
// decoded size (u32) and bytes.
void HashStart(XXH3_state_t* state, uint64_t first_seq, uint32_t event_count) {
  XXH3_64bits_reset(state);
  uint8_t fixed[12];
  StoreU64(fixed, first_seq);
  StoreU32(fixed + 8, event_count);
  XXH3_64bits_update(state, fixed, 12);
}

void HashSection(XXH3_state_t* state, Bytes section) {
  uint8_t len[4];
  StoreU32(len, uint32_t(section.size()));
  XXH3_64bits_update(state, len, 4);
  if (!section.empty()) XXH3_64bits_update(state, section.data(), section.size());
}

}  // namespace

Result<uint64_t> ChunkDecoder::ContentHash(Bytes body, uint64_t file_offset) {
  TAPE_RETURN_IF_ERROR(ParseTable(body, file_offset));
  XXH3_state_t state;
  HashStart(&state, header_.first_seq, header_.event_count);
  for (uint8_t id = 1; id <= uint8_t(SectionId::kIntResults); ++id) {
    Bytes section;
    TAPE_RETURN_IF_ERROR(Inflate(id, kMaxHeapBytes, &scratch_, &section));
    HashSection(&state, section);
  }
  // §7.6: then LANES and INT_PACKED, each when present.
  for (SectionId extra : {SectionId::kLanes, SectionId::kIntPacked}) {
    if (!sections_[uint8_t(extra)].present) continue;
    Bytes section;
    TAPE_RETURN_IF_ERROR(Inflate(uint8_t(extra), kMaxHeapBytes, &scratch_, &section));
    HashSection(&state, section);
  }
  return uint64_t(XXH3_64bits_digest(&state));
}

std::optional<uint64_t> ChunkDecoder::DecodedContentHash() const {
  constexpr uint8_t kLanes = uint8_t(SectionId::kLanes);
  constexpr uint8_t kIntPacked = uint8_t(SectionId::kIntPacked);
  if (!decoded_) return std::nullopt;
  // Every covered section that the chunk has must have been decompressed.
  for (uint8_t id : {1, 2, 3, 4, 5, 6, 7, 8, 9, int(kLanes), int(kIntPacked)}) {
    if (sections_[id].present && !(inflated_mask_ & (1u << id))) return std::nullopt;
  }
  XXH3_state_t state;
  HashStart(&state, header_.first_seq, header_.event_count);
  for (uint8_t id = 1; id <= uint8_t(SectionId::kIntResults); ++id) {
    HashSection(&state, sections_[id].present ? inflated_[id] : Bytes());
  }
  if (sections_[kLanes].present) HashSection(&state, inflated_[kLanes]);
  if (sections_[kIntPacked].present) HashSection(&state, inflated_[kIntPacked]);
  return uint64_t(XXH3_64bits_digest(&state));
}

}  // namespace tape::format
