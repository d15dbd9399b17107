// ChunkDecoder's integer columns: the integer-coded results (§7.5) and the
// event times (§7.8), each in its two codings: varints (INT_RESULTS,
// EVENT_TIMES) and packed integers (INT_PACKED, TIMES_PACKED, §7.9).
// In a file of their own: chunk_decoder.cc is long enough without them.

#include <fmt/core.h>

#include <algorithm>
#include <string>

#include "format/chunk_decoder.h"
#include "format/layout.h"
#include "format/packed_ints.h"

namespace tape::format {

namespace {

// How many varints `column` holds when each is at most 9 bytes long (what
// ParseVarint always accepts) and its last byte ends one; UINT32_MAX when it
// has a longer one. Branch-free loops the compiler vectorizes.
// REQUIRES: column is not empty, its last byte < 0x80, and its size < 2^32.
// Out of line, as SumShortVarints: inlined into its caller, g++ 12 leaves
// the loops scalar.
[[gnu::noinline]] uint32_t CountShortVarints(Bytes column) {
  constexpr size_t kLongest = 9;
  const uint8_t* q = column.data();
  size_t size = column.size();
  uint32_t ends = 0;
  for (size_t j = 0; j < size; ++j) ends += q[j] < 0x80;
  if (size >= kLongest) {
    uint8_t run = 0;  // bit 7: some kLongest bytes in a row all continue a value
    size_t starts = size - (kLongest - 1);
    for (size_t j = 0; j < starts; ++j) {
      run |= q[j] & q[j + 1] & q[j + 2] & q[j + 3] & q[j + 4] & q[j + 5] & q[j + 6] & q[j + 7] &
             q[j + 8];
    }
    if (run >= 0x80) return UINT32_MAX;
  }
  return ends;
}

// How many varints `column` holds when each is at most 4 bytes long and its
// last byte ends one, and in `*sum` their sum; SIZE_MAX when one is longer.
// A branch-free loop the compiler vectorizes: a byte's 7 bits count at the
// place the continuation bytes just before it give them.
// REQUIRES: column is not empty, its last byte < 0x80, and its size < 2^25
// (so that 32-bit sums of 7-bit values cannot overflow).
[[gnu::noinline]] size_t SumShortVarints(Bytes column, uint64_t* sum) {
  constexpr size_t kLongest = 4;
  const uint8_t* q = column.data();
  size_t size = column.size();
  uint32_t ends = 0, place[kLongest] = {};
  // The first bytes, whose places depend on fewer bytes before them.
  size_t j = 0;
  for (; j < size && j < kLongest - 1; ++j) {
    size_t at = 0;
    while (at < j && q[j - 1 - at] >= 0x80) ++at;
    ends += q[j] < 0x80;
    place[at] += q[j] & 0x7f;
  }
  uint8_t run = 0;  // bit 7: kLongest bytes in a row all continue a value
  // In blocks whose 16-bit sums cannot overflow (512 * 127 < 2^16).
  constexpr size_t kBlock = 512;
  while (j < size) {
    size_t block_end = std::min(size, j + kBlock);
    uint16_t ends16 = 0, place16[kLongest] = {};
    for (; j < block_end; ++j) {
      uint8_t b = q[j], p1 = q[j - 1], p2 = q[j - 2], p3 = q[j - 3];
      run |= b & p1 & p2 & p3;
      ends16 += b < 0x80;
      uint8_t v = b & 0x7f;
      // Byte masks, not multiplies (which SSE2 lacks for wide lanes): m1 is
      // all ones when the byte before continues a value, m2 when the two
      // before do, m3 when the three before do.
      uint8_t m1 = uint8_t(int8_t(p1) >> 7);
      uint8_t m2 = m1 & uint8_t(int8_t(p2) >> 7);
      uint8_t m3 = m2 & uint8_t(int8_t(p3) >> 7);
      place16[0] += uint8_t(v & ~m1);
      place16[1] += uint8_t(v & (m1 ^ m2));
      place16[2] += uint8_t(v & (m2 ^ m3));
      place16[3] += uint8_t(v & m3);
    }
    ends += ends16;
    for (size_t k = 0; k < kLongest; ++k) place[k] += place16[k];
  }
  if (run >= 0x80) return SIZE_MAX;
  *sum = uint64_t(place[0]) + (uint64_t(place[1]) << 7) + (uint64_t(place[2]) << 14) +
         (uint64_t(place[3]) << 21);
  return ends;
}

}  // namespace

Status ChunkDecoder::DecodeInts(uint32_t count, Bytes lens, int64_t* values) {
  uint32_t n = header_.event_count;
  bool packed = sections_[uint8_t(SectionId::kIntPacked)].present;
  Bytes coded;
  if (packed) {
    TAPE_RETURN_IF_ERROR(Inflate(uint8_t(SectionId::kIntPacked), MaxIntPackedBytes(n),
                                 &current_->int_results_storage_, &coded));
  } else {
    TAPE_RETURN_IF_ERROR(Inflate(uint8_t(SectionId::kIntResults), uint64_t(n) * kMaxVarintBytes,
                                 &current_->int_results_storage_, &coded));
  }
  const uint8_t* q = coded.data();
  const uint8_t* qend = q + coded.size();
  // Each kind's running value starts at its anchor: INT_PACKED's first
  // value of the kind (§7.9), 0 for INT_RESULTS (§7.5).
  uint64_t running_value[256];
  for (uint8_t k : int_kinds_) running_value[k] = 0;
  if (packed) {
    for (uint8_t k : int_kinds_) {
      uint64_t z;
      if (!ParseVarint(&q, qend, &z)) {
        return Fail(fmt::format("INT_PACKED ends inside the first value of kind {}", k));
      }
      running_value[k] = uint64_t(UnZigZag(z));
    }
    const char* why = "";
    bool ok;
    if (values != nullptr && int_kinds_.size() == 1) {
      // One kind: the values are the running sums of the deltas, decoded
      // in one pass. (int64_t and uint64_t may alias.)
      uint64_t running = running_value[int_kinds_[0]];
      ok = DecodeBlocks(&q, qend, count, reinterpret_cast<uint64_t*>(values), &why, &running);
      if (ok && q == qend) return Status::Ok();
    } else if (values != nullptr) {
      deltas_.resize(count);
      ok = DecodeBlocks(&q, qend, count, deltas_.data(), &why);
    } else {
      ok = SkipBlocks(&q, qend, count, &why);
    }
    if (!ok)
      return Fail(fmt::format("INT_PACKED holds {} integer-coded results, but {}", count, why));
    if (q != qend) return Fail("INT_PACKED has bytes after its last value");
  } else if (values == nullptr) {
    // Only check that there is one well-formed varint per integer-coded
    // result. In one pass the compiler vectorizes: when no value is longer
    // than 9 bytes (no 9 continuation bytes in a row; ParseVarint takes any
    // such value) and the last byte ends a value, the column holds exactly
    // as many values as bytes end one.
    if (!coded.empty() && coded.back() < 0x80) {
      if (CountShortVarints(coded) == count) return Status::Ok();
    }
    for (uint32_t j = 0; j < count; ++j) {
      uint64_t z;
      if (q < qend && *q < 0x80) {
        ++q;
      } else if (qend - q >= 2 && q[1] < 0x80) {
        q += 2;  // a clock's delta is mostly one or two bytes
      } else if (!ParseVarint(&q, qend, &z)) {
        return Fail("INT_RESULTS ends before its last value");
      }
    }
    if (q != qend) return Fail("INT_RESULTS has bytes after its last value");
    return Status::Ok();
  } else {
    deltas_.resize(count);
    for (uint32_t j = 0; j < count; ++j) {
      uint64_t z;
      if (q < qend && *q < 0x80) {
        z = *q++;
      } else if (!ParseVarint(&q, qend, &z)) {
        return Fail("INT_RESULTS ends before its last value");
      }
      deltas_[j] = uint64_t(UnZigZag(z));
    }
    if (q != qend) return Fail("INT_RESULTS has bytes after its last value");
  }
  if (values == nullptr) return Status::Ok();
  // Each value is its kind's previous one plus its delta, modulo 2^64.
  const uint64_t* delta = deltas_.data();
  if (int_kinds_.size() == 1) {
    uint64_t v = running_value[int_kinds_[0]];
    for (uint32_t j = 0; j < count; ++j) {
      v += delta[j];
      values[j] = int64_t(v);
    }
    return Status::Ok();
  }
  // Several kinds: the kind of each integer-coded result, from the lengths
  // (validated: one varint per event; an integer-coded result's is 16).
  const uint8_t* kinds = current_->kinds_.data();
  const bool* int_kind = current_->columns_.int_kind;
  const uint8_t* p = lens.data();
  uint32_t j = 0;
  for (uint32_t i = 0; i < n && j < count; ++i) {
    bool is_int = *p == 16 && int_kind[kinds[i]];
    while (*p++ >= 0x80) {}
    if (!is_int) continue;
    uint64_t& v = running_value[kinds[i]];
    v += delta[j];
    values[j++] = int64_t(v);
  }
  return Status::Ok();
}

// §7.8: event_count varints of times (the first absolute, then deltas), then
// either nothing or event_count varints of durations. Every time is positive
// and every end (time + duration) fits in an i64.
Status ChunkDecoder::DecodeTimes(DecodedChunk* out, bool arrays) {
  uint32_t n = header_.event_count;
  out->times_.clear();
  out->durations_.clear();
  out->first_time_ = out->last_time_ = 0;
  if (sections_[uint8_t(SectionId::kTimesPacked)].present) return DecodePackedTimes(out, arrays);
  Bytes column;
  TAPE_RETURN_IF_ERROR(Inflate(kEventTimesSection, n * uint32_t(kMaxEventTimesPerEvent),
                               &times_buffer_, &column));
  if (!sections_[kEventTimesSection].present) return Status::Ok();
  const uint8_t* p = column.data();
  const uint8_t* end = p + column.size();
  uint64_t first;
  const uint8_t* after_first = p;
  if (!arrays && ParseVarint(&after_first, end, &first) && first != 0 &&
      first <= uint64_t(INT64_MAX)) {
    // Without arrays, the common column (one-byte deltas after the first
    // time, and no durations or one-byte ones) is checked by sums the
    // compiler vectorizes. Times never decrease, so the last time bounds
    // every time; anything else takes the general loop, which names the fault.
    const uint8_t* q = after_first;
    size_t rest = size_t(end - q);
    size_t deltas = n - 1;
    if (rest == deltas || rest == deltas + n) {
      uint8_t any = 0;
      uint64_t sum = 0;
      for (size_t j = 0; j < deltas; ++j) {
        any |= q[j];
        sum += q[j];
      }
      for (size_t j = deltas; j < rest; ++j) any |= q[j];
      // 127: the largest one-byte duration.
      uint64_t room = rest == deltas ? 0 : 127;
      if (any < 0x80 && sum <= uint64_t(INT64_MAX) - first &&
          room <= uint64_t(INT64_MAX) - first - sum) {
        out->first_time_ = int64_t(first);
        out->last_time_ = int64_t(first + sum);
        return Status::Ok();
      }
    }
    // Deltas of up to four bytes (below 2^28 ns, a quarter of a second)
    // and no durations.
    uint64_t sum;
    if (rest > deltas && q[rest - 1] < 0x80 && SumShortVarints({q, rest}, &sum) == deltas &&
        sum <= uint64_t(INT64_MAX) - first) {
      out->first_time_ = int64_t(first);
      out->last_time_ = int64_t(first + sum);
      return Status::Ok();
    }
  }
  if (arrays) out->times_.resize(n);
  int64_t t = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t v;
    if (p < end && *p < 0x80) {
      v = *p++;
    } else if (!ParseVarint(&p, end, &v)) {
      return Fail(fmt::format("EVENT_TIMES ends after {} of {} times", i, n));
    }
    if (i == 0 ? (v == 0 || v > uint64_t(INT64_MAX)) : v > uint64_t(INT64_MAX - t)) {
      return Fail(i == 0 ? fmt::format("EVENT_TIMES starts at {}, not a time in 1..2^63-1", v)
                         : fmt::format("EVENT_TIMES overflows at event {}", header_.first_seq + i));
    }
    t = i == 0 ? int64_t(v) : t + int64_t(v);
    if (arrays) out->times_[i] = t;
    if (i == 0) out->first_time_ = t;
  }
  out->last_time_ = t;
  if (p == end) return Status::Ok();
  if (arrays) out->durations_.resize(n);
  // Without arrays the times are walked again, from the column.
  const uint8_t* tp = column.data();
  t = 0;
  for (uint32_t i = 0; i < n; ++i) {
    int64_t time;
    if (arrays) {
      time = out->times_[i];
    } else {
      uint64_t v;
      (void)ParseVarint(&tp, end, &v);  // validated above
      t = i == 0 ? int64_t(v) : t + int64_t(v);
      time = t;
    }
    uint64_t d;
    if (!ParseVarint(&p, end, &d)) {
      return Fail(fmt::format("EVENT_TIMES holds {} of {} durations", i, n));
    }
    if (d > uint64_t(INT64_MAX - time)) {
      return Fail(fmt::format("EVENT_TIMES: the duration of event {} ends past 2^63-1",
                              header_.first_seq + i));
    }
    if (arrays) out->durations_[i] = d;
  }
  if (p != end) return Fail("EVENT_TIMES has bytes after its last duration");
  return Status::Ok();
}

// §7.8, §7.9: the first time, the other times' deltas as packed integers,
// then optionally every event's duration as packed integers; the same
// rules as EVENT_TIMES.
Status ChunkDecoder::DecodePackedTimes(DecodedChunk* out, bool arrays) {
  uint32_t n = header_.event_count;
  Bytes column;
  TAPE_RETURN_IF_ERROR(Inflate(uint8_t(SectionId::kTimesPacked), MaxTimesPackedBytes(n),
                               &times_buffer_, &column));
  const uint8_t* p = column.data();
  const uint8_t* end = p + column.size();
  uint64_t first;
  if (!ParseVarint(&p, end, &first) || first == 0 || first > uint64_t(INT64_MAX)) {
    return Fail("TIMES_PACKED does not start with a time in 1..2^63-1");
  }
  const char* why = "";
  deltas_.resize(n);
  uint64_t* t = deltas_.data();  // each event's time: the running sums of the deltas
  t[0] = first;
  uint64_t running = first;
  if (!DecodeBlocks(&p, end, n - 1, t + 1, &why, &running)) {
    return Fail(fmt::format("TIMES_PACKED holds the deltas of {} times, but {}", n, why));
  }
  // Times never decrease and stay in an i64 (§7.8). The sums are taken
  // modulo 2^64: a delta that takes a time past 2^63 - 1 either leaves the
  // sum above it or wraps it below the time before.
  bool decreases = false;
  for (uint32_t i = 1; i < n; ++i) decreases |= t[i] < t[i - 1];
  if (decreases || t[n - 1] > uint64_t(INT64_MAX)) {
    uint32_t i = 1;
    while (t[i] >= t[i - 1] && t[i] <= uint64_t(INT64_MAX)) ++i;
    return Fail(fmt::format("TIMES_PACKED overflows at event {}", header_.first_seq + i));
  }
  out->first_time_ = int64_t(first);
  out->last_time_ = int64_t(t[n - 1]);
  if (arrays) out->times_.assign(t, t + n);
  if (p == end) return Status::Ok();
  durations_scratch_.resize(n);
  uint64_t* d = durations_scratch_.data();
  if (!DecodeBlocks(&p, end, n, d, &why)) {
    return Fail(fmt::format("TIMES_PACKED holds the durations of {} events, but {}", n, why));
  }
  if (p != end) return Fail("TIMES_PACKED has bytes after its last duration");
  for (uint32_t i = 0; i < n; ++i) {
    if (d[i] > uint64_t(INT64_MAX) - t[i]) {
      return Fail(fmt::format("TIMES_PACKED: the duration of event {} ends past 2^63-1",
                              header_.first_seq + i));
    }
  }
  if (arrays) out->durations_.assign(d, d + n);
  return Status::Ok();
}

}  // namespace tape::format
