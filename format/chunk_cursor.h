// ChunkCursor: walks the events of a decoded chunk in order, from its compact
// columns (one-byte kinds, site indexes and lengths, varint clock deltas).
//
// This is replay's hot path. DecodedChunk's random-access arrays cost about
// 30 bytes per event; when another thread decoded the chunk, every one of
// those bytes crosses between cores. The cursor reads a few bytes of columns
// per event instead, and the integer-coded results' values (decoded by the
// decoder, whatever their coding), and keeps its running state (heap
// offsets) locally.
//
// Replay decodes chunks with kDecodeCursor, which skips the random-access
// arrays and finds the chunk's runs (DecodedChunk::Run). An integer run
// (events with one site, kind and lane, no args and integer-coded results,
// as a hot loop reading the clock makes) is handed out whole (IntRunLeft,
// SkipIntRun), so the replayer serves each of its events by reading its
// value; a payload run (one site, kind and lane, args and results of one
// size each: a loop drawing random bytes or writing a line) likewise
// (PayloadRunLeft, SkipPayloadRun), each event by comparing its args and
// handing back its result.
//
// REQUIRES: the chunk was decoded with kDecodeCursor or with kDecodePayloads |
// kDecodeSites, which validated every length, index and varint; the cursor
// does not check them again.

#ifndef TAPE_FORMAT_CHUNK_CURSOR_H_
#define TAPE_FORMAT_CHUNK_CURSOR_H_

#include <cstdint>
#include <cstring>

#include "format/bytes.h"
#include "format/chunk_decoder.h"

namespace tape::format {

class ChunkCursor {
 public:
  void Reset(const DecodedChunk* chunk) {
    const DecodedChunk::Columns& c = chunk->columns();
    i_ = 0;
    n_ = chunk->size();
    kinds_ = chunk->kinds();
    dict_ = chunk->site_dict().data();
    index_ = c.site_index.data();
    width_ = c.site_width;
    arg_lens_ = c.arg_lens.data();
    result_lens_ = c.result_lens.data();
    ints_ = c.int_values;
    arg_heap_ = c.arg_heap.data();
    result_heap_ = c.result_heap.data();
    arg_at_ = result_at_ = 0;
    int_kind_ = c.int_kind;
    lanes_ = chunk->lanes();
    arg_refs_ = c.blob_refs.data();
    result_refs_ = c.blob_refs.data() + 8 * c.arg_spills;
    run_ = c.int_runs.data();
    runs_end_ = run_ + c.int_runs.size();
    payload_run_ = c.payload_runs.data();
    payload_runs_end_ = payload_run_ + c.payload_runs.size();
  }

  bool at_end() const { return i_ == n_; }
  uint32_t index() const { return i_; }  // of the current event in its chunk
  uint8_t kind() const { return kinds_[i_]; }
  uint32_t lane() const { return lanes_ ? lanes_[i_] : 0; }
  uint64_t site() const {
    uint32_t k = width_ == 1 ? index_[i_] : width_ == 2 ? LoadU16(index_ + 2 * i_)
                                                        : LoadU32(index_ + 4 * i_);
    return dict_[k];
  }

  // The current event's payloads; moves to the next event. A result's bytes
  // stay valid until the next call.
  void Take(PayloadView* args, PayloadView* result) {
    uint64_t v = Varint(&arg_lens_);
    if (v & 1) [[unlikely]] {
      *args = Spilled(v >> 1, arg_heap_ + arg_at_, &arg_refs_);
      arg_at_ += kSpilledEntry;
    } else {
      *args = {arg_heap_ + arg_at_, v >> 1, 0, 0};
      arg_at_ += v >> 1;
    }
    v = Varint(&result_lens_);
    uint8_t k = kinds_[i_];
    if (v & 1) [[unlikely]] {
      *result = Spilled(v >> 1, result_heap_ + result_at_, &result_refs_);
      result_at_ += kSpilledEntry;
    } else if (v == 16 && int_kind_[k]) {
      StoreU64(value_, uint64_t(*ints_++));
      *result = {value_, 8, 0, 0};
    } else {
      *result = {result_heap_ + result_at_, v >> 1, 0, 0};
      result_at_ += v >> 1;
    }
    ++i_;
  }

  // The number of events, from the current one, left in the integer run
  // that holds it; 0 when it is in none.
  uint32_t IntRunLeft() { return RunLeft(&run_, runs_end_); }
  // The values of the integer run that holds the current event, from the
  // current event's on (IntRunLeft() of them).
  const int64_t* int_values() const { return ints_; }
  // Moves past `taken` events of the current integer run (taken <= IntRunLeft()).
  void SkipIntRun(uint32_t taken) {
    i_ += taken;
    arg_lens_ += taken;  // one byte each: no args
    result_lens_ += taken;  // one byte each: 8 bytes, integer-coded
    ints_ += taken;
  }

  // The number of events, from the current one, left in the payload run
  // that holds it; 0 when it is in none. In a run, every event's args and
  // result have the sizes of the current one's, and follow each other in
  // their heaps from args() and result().
  uint32_t PayloadRunLeft() { return RunLeft(&payload_run_, payload_runs_end_); }
  uint32_t args_size() const { return arg_lens_[0] >> 1; }  // REQUIRES: in a payload run
  uint32_t result_size() const { return result_lens_[0] >> 1; }
  const uint8_t* args() const { return arg_heap_ + arg_at_; }
  const uint8_t* result() const { return result_heap_ + result_at_; }
  // Moves past `taken` events of the current payload run (taken <= PayloadRunLeft()).
  void SkipPayloadRun(uint32_t taken) {
    if (taken == 0) return;
    arg_at_ += uint64_t(taken) * args_size();
    result_at_ += uint64_t(taken) * result_size();
    i_ += taken;
    arg_lens_ += taken;  // one byte each
    result_lens_ += taken;
  }

 private:
  static constexpr size_t kSpilledEntry = 8;  // §7.4
  // A spilled payload: its hash is its heap entry, its first BLOB record the
  // next entry of BLOB_REFS.
  static PayloadView Spilled(uint64_t size, const uint8_t* entry, const uint8_t** ref) {
    PayloadView p{nullptr, size, LoadU64(entry), LoadU64(*ref)};
    *ref += 8;
    return p;
  }
  // The events left, from the current one, in the run of [*run, end) that
  // holds it (runs are in event order: those before it are passed over).
  uint32_t RunLeft(const DecodedChunk::Run** run, const DecodedChunk::Run* end) const {
    while (*run != end && (*run)->first + (*run)->count <= i_) ++*run;
    if (*run == end || (*run)->first > i_) return 0;
    return (*run)->first + (*run)->count - i_;
  }
  static uint64_t Varint(const uint8_t** p) {
    uint64_t v = *(*p)++;
    if (v < 0x80) [[likely]] return v;
    v &= 0x7f;
    for (int shift = 7;; shift += 7) {
      uint64_t b = *(*p)++;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  }

  uint32_t i_ = 0, n_ = 0;
  const uint8_t* kinds_ = nullptr;
  const uint64_t* dict_ = nullptr;
  const uint8_t* index_ = nullptr;
  uint8_t width_ = 1;
  const uint8_t *arg_lens_ = nullptr, *result_lens_ = nullptr;
  const int64_t* ints_ = nullptr;  // the next integer-coded result's value
  const uint8_t *arg_heap_ = nullptr, *result_heap_ = nullptr;
  uint64_t arg_at_ = 0, result_at_ = 0;
  const bool* int_kind_ = nullptr;
  const uint32_t* lanes_ = nullptr;  // nullptr: every event is in lane 0
  const uint8_t *arg_refs_ = nullptr, *result_refs_ = nullptr;  // the next spilled payloads'
  const DecodedChunk::Run *run_ = nullptr, *runs_end_ = nullptr;
  const DecodedChunk::Run *payload_run_ = nullptr, *payload_runs_end_ = nullptr;
  uint8_t value_[8];
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_CURSOR_H_
