// ChunkBuilder: the column buffers of the chunk being recorded.
//
// One thread (the producer: the recorded program) appends events; another (the
// writer's encoder thread) may read every event the producer has published
// while the producer keeps appending. That is what lets the encoder seal the
// events of a slow program after `flush_ms` without the producer taking a lock
// per event.
//
// The producer appends through the builder's Cursor (below), which it holds
// by value.
//
// Invariant: buffers are allocated once, at full capacity, and never move;
// entries below published() are never written again until Reset(). The flags,
// marks, lanes and durations columns hold zeros wherever no Append wrote
// something else since the last Reset(), so that AppendPlain need not store
// them.

#ifndef TAPE_FORMAT_CHUNK_BUILDER_H_
#define TAPE_FORMAT_CHUNK_BUILDER_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "format/bytes.h"

namespace tape::format {

// Per-event flags kept beside the columns.
inline constexpr uint8_t kArgsSpilled = 1;
inline constexpr uint8_t kResultSpilled = 2;

// The 24 bytes a spilled payload occupies in a builder heap: the payload's
// XXH3-64, the file offset of its first BLOB record and its length. The
// encoder splits them into the heap entry, the BLOB_REFS section and the
// length column (§7.4).
inline constexpr size_t kBuilderSpillEntry = 24;

class ChunkBuilder {
 public:
  class Cursor;

  ChunkBuilder(uint32_t max_events, uint32_t heap_capacity)
      : max_events_(max_events),
        heap_capacity_(heap_capacity),
        kinds_(new uint8_t[max_events]),
        flags_(AllocateZeroed<uint8_t>(max_events)),
        marks_(AllocateZeroed<uint8_t>(max_events)),
        lanes_(AllocateZeroed<uint32_t>(max_events)),
        sites_(new uint64_t[max_events]),
        times_(new int64_t[max_events]),
        durations_(AllocateZeroed<uint64_t>(max_events)),
        arg_ends_(new uint32_t[max_events]),
        result_ends_(new uint32_t[max_events]),
        arg_heap_(new uint8_t[heap_capacity]),
        result_heap_(new uint8_t[heap_capacity]) {}

  // --- producer side ---------------------------------------------------------

  // Empties the builder for events starting at `first_seq` and returns the
  // cursor that appends to it (below). A cursor from an earlier Reset must
  // not be used again. REQUIRES: no other thread reads the builder.
  inline Cursor Reset(uint64_t first_seq);

  // --- reader side -----------------------------------------------------------

  // The number of events whose columns are complete and visible.
  uint32_t published() const { return published_.load(std::memory_order_acquire); }
  uint64_t first_seq() const { return first_seq_; }
  // False when every event published so far has no flag, mark, lane or
  // duration: those four columns then hold zeros up to published(), and a
  // reader need not scan them. Read after published().
  bool extras_written() const { return extras_written_.load(std::memory_order_relaxed); }
  uint32_t max_events() const { return max_events_; }
  uint32_t heap_capacity() const { return heap_capacity_; }

  const uint8_t* kinds() const { return kinds_.get(); }
  const uint8_t* flags() const { return flags_.get(); }
  const uint8_t* marks() const { return marks_.get(); }
  const uint32_t* lanes() const { return lanes_.get(); }
  const uint64_t* sites() const { return sites_.get(); }
  const int64_t* times() const { return times_.get(); }
  const uint64_t* durations() const { return durations_.get(); }
  const uint32_t* arg_ends() const { return arg_ends_.get(); }
  const uint32_t* result_ends() const { return result_ends_.get(); }
  const uint8_t* arg_heap() const { return arg_heap_.get(); }
  const uint8_t* result_heap() const { return result_heap_.get(); }

 private:
  const uint32_t max_events_;
  const uint32_t heap_capacity_;
  uint64_t first_seq_ = 0;
  // An Append since Reset stored a non-zero flag, mark, lane or duration.
  // Atomic because the encoder reads it while the producer appends; set
  // before the event is published, so that a reader that saw an event
  // published also sees this set if that event had any of them.
  std::atomic<bool> extras_written_{false};
  // Every event appended since Reset, as each is published when appended.
  std::atomic<uint32_t> published_{0};

  std::unique_ptr<uint8_t[]> kinds_;
  // The columns that hold zeros until an event needs them. calloc's memory
  // of this size comes zeroed from the kernel, untouched: a recording that
  // never stores in them (the common one) never pays for their pages.
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  template <typename T>
  using ZeroedColumn = std::unique_ptr<T[], Free>;
  template <typename T>
  static ZeroedColumn<T> AllocateZeroed(size_t n) {
    void* p = std::calloc(n, sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return ZeroedColumn<T>(static_cast<T*>(p));
  }
  ZeroedColumn<uint8_t> flags_;
  ZeroedColumn<uint8_t> marks_;
  ZeroedColumn<uint32_t> lanes_;
  std::unique_ptr<uint64_t[]> sites_;
  std::unique_ptr<int64_t[]> times_;       // ns since the Unix epoch; 0: unknown
  ZeroedColumn<uint64_t> durations_;  // ns; 0: instantaneous or not measured
  std::unique_ptr<uint32_t[]> arg_ends_;  // heap offset just past event i's args
  std::unique_ptr<uint32_t[]> result_ends_;
  std::unique_ptr<uint8_t[]> arg_heap_;
  std::unique_ptr<uint8_t[]> result_heap_;
};

// Where the producer's next event goes in a ChunkBuilder: the counts and the
// column pointers, held by value by the appending object (the trace writer,
// or a recorder the writer lends it to: TraceWriter::AttachCursor). An
// append then finds each column one load away from its caller rather than
// through the writer and the builder, which is most of what it costs
// between two clock readings (README, "Performance"). One thread appends
// through a cursor; the builder's readers see what it has published.
class ChunkBuilder::Cursor {
 public:
  Cursor() = default;  // appends nowhere: HasRoom() is false

  // True if an event with payloads of these sizes fits.
  bool HasRoom(size_t args_size, size_t result_size) const {
    return used_ < max_events_ && args_size <= heap_capacity_ - arg_used_ &&
           result_size <= heap_capacity_ - result_used_;
  }

  // REQUIRES: HasRoom(args.size(), result.size()).
  // `marks`: the event's EVENT_MARKS byte (§7.3), 0 for none.
  // `lane`: the thread that made the call (§7.3 LANES). `time_ns`: the
  // event's time (§7.8), 0 when unknown; `duration_ns`: how long the effect
  // took, 0 when not measured.
  void Append(uint64_t site, uint8_t kind, Bytes args, Bytes result, uint8_t flags = 0,
              uint8_t marks = 0, uint32_t lane = 0, int64_t time_ns = 0,
              uint64_t duration_ns = 0) {
    // The columns AppendPlain leaves alone, then the rest (published last).
    ChunkBuilder& b = *builder_;
    uint32_t i = used_;
    b.flags_[i] = flags;
    b.marks_[i] = marks;
    b.lanes_[i] = lane;
    b.durations_[i] = duration_ns;
    if ((flags | marks | lane | duration_ns) != 0) {
      b.extras_written_.store(true, std::memory_order_relaxed);
    }
    AppendPlain(site, kind, args, result, time_ns);
  }

  // Append for the common event: no flags, no marks, lane 0, no duration
  // (the columns AppendPlain leaves as they are hold zeros). The hot path
  // of a recording: it stores five columns and the two payloads, nothing
  // else. REQUIRES: HasRoom(args.size(), result.size()).
  void AppendPlain(uint64_t site, uint8_t kind, Bytes args, Bytes result, int64_t time_ns) {
    uint32_t i = used_;
    uint32_t arg_end = arg_used_ + uint32_t(args.size());
    uint32_t result_end = result_used_ + uint32_t(result.size());
    // The payloads first: their stores are through byte pointers, which may
    // alias the cursor, so anything after them reads its fields again.
    CopyPayload(arg_heap_ + arg_used_, args);
    CopyPayload(result_heap_ + result_used_, result);
    arg_used_ = arg_end;
    StoreColumns(i, site, kind, time_ns, arg_end, result_end);
  }
  // AppendPlain of an event with no args and an 8-byte result (clock.now's
  // reading), which stays in a register on its way to the heap.
  void AppendPlainU64(uint64_t site, uint8_t kind, uint64_t result, int64_t time_ns) {
    uint32_t i = used_;
    uint32_t result_end = result_used_ + 8;
    StoreU64(result_heap_ + result_used_, result);
    StoreColumns(i, site, kind, time_ns, arg_used_, result_end);
  }

  // Events appended since the builder's Reset.
  uint32_t count() const { return used_; }
  bool full() const { return used_ == max_events_; }
  // The seq of the next event appended.
  uint64_t next_seq() const { return first_seq_ + used_; }
  // The builder appended to (nullptr for a default cursor).
  ChunkBuilder* builder() const { return builder_; }
  // Leaves no room: HasRoom() is false from now on, so a caller that checks
  // it first goes to its slow path (which knows the builder was handed on).
  void Close() { max_events_ = used_; }

 private:
  friend class ChunkBuilder;

  // The columns of event `i` and the counts (the caller has moved arg_used_
  // on to `arg_end`), then its publication.
  void StoreColumns(uint32_t i, uint64_t site, uint8_t kind, int64_t time_ns, uint32_t arg_end,
                    uint32_t result_end) {
    sites_[i] = site;
    times_[i] = time_ns;
    arg_ends_[i] = arg_end;
    result_ends_[i] = result_end;
    used_ = i + 1;
    result_used_ = result_end;
    kinds_[i] = kind;
    published_->store(i + 1, std::memory_order_release);
  }

  // Effect payloads are mostly a few bytes; copying them with fixed-size
  // moves avoids a call into memcpy per event. Overlapping moves never read
  // or write outside [src, src + n) and [dst, dst + n).
  static void CopyPayload(uint8_t* dst, Bytes src) {
    size_t n = src.size();
    const uint8_t* s = src.data();
    if (n == 8) {  // a clock reading, an integer: one move
      std::memcpy(dst, s, 8);
    } else if (n >= 8 && n <= 16) {
      std::memcpy(dst, s, 8);
      std::memcpy(dst + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(dst, s, 4);
      std::memcpy(dst + n - 4, s + n - 4, 4);
    } else if (n > 16) {
      std::memcpy(dst, s, n);
    } else {
      for (size_t k = 0; k < n; ++k) dst[k] = s[k];
    }
  }

  // The counts first: the room check and the stores read them.
  uint32_t used_ = 0;
  uint32_t max_events_ = 0;
  uint32_t arg_used_ = 0;
  uint32_t result_used_ = 0;
  uint32_t heap_capacity_ = 0;
  uint8_t* kinds_ = nullptr;
  uint64_t* sites_ = nullptr;
  int64_t* times_ = nullptr;
  uint32_t* arg_ends_ = nullptr;
  uint32_t* result_ends_ = nullptr;
  uint8_t* arg_heap_ = nullptr;
  uint8_t* result_heap_ = nullptr;
  std::atomic<uint32_t>* published_ = nullptr;
  uint64_t first_seq_ = 0;
  ChunkBuilder* builder_ = nullptr;
};

inline ChunkBuilder::Cursor ChunkBuilder::Reset(uint64_t first_seq) {
  if (extras_written_.load(std::memory_order_relaxed)) {
    // Back to the zeros AppendPlain relies on (once per chunk, and only
    // after an event that had flags, marks, a lane or a duration).
    uint32_t used = published_.load(std::memory_order_relaxed);
    std::memset(flags_.get(), 0, used);
    std::memset(marks_.get(), 0, used);
    std::memset(lanes_.get(), 0, used * sizeof(uint32_t));
    std::memset(durations_.get(), 0, used * sizeof(uint64_t));
    extras_written_.store(false, std::memory_order_relaxed);
  }
  first_seq_ = first_seq;
  published_.store(0, std::memory_order_release);
  Cursor c;
  c.max_events_ = max_events_;
  c.heap_capacity_ = heap_capacity_;
  c.kinds_ = kinds_.get();
  c.sites_ = sites_.get();
  c.times_ = times_.get();
  c.arg_ends_ = arg_ends_.get();
  c.result_ends_ = result_ends_.get();
  c.arg_heap_ = arg_heap_.get();
  c.result_heap_ = result_heap_.get();
  c.published_ = &published_;
  c.first_seq_ = first_seq;
  c.builder_ = this;
  return c;
}

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_BUILDER_H_
