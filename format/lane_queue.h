// LaneQueue: the events of one lane (one thread of a recorded program) on
// their way to the trace, when a program records from several threads.
//
// Single producer (the lane's thread; a queue is handed to another lane only
// after its thread ended), single consumer (the writer's encoder thread,
// which merges the lanes' queues in seq order). No lock: the
// producer publishes an entry with a release store of its count, the
// consumer frees room with a release store of what it consumed. Entries and
// payload bytes live in fixed rings allocated once.

#ifndef TAPE_FORMAT_LANE_QUEUE_H_
#define TAPE_FORMAT_LANE_QUEUE_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "format/bytes.h"

namespace tape::format {

class LaneQueue {
 public:
  struct Entry {
    uint64_t seq;
    uint64_t site;
    uint64_t args_at, result_at;  // positions in the payload ring (monotonic)
    uint64_t end;                 // ring position just past this entry's payloads
    uint32_t args_len, result_len;
    int64_t time_ns;       // §7.8: the lane's own reading; 0 unknown
    uint64_t duration_ns;  // 0: instantaneous or not measured
    uint32_t lane;
    uint8_t kind, flags, marks;
  };

  // `max_payload`: the largest args or result pushed (the writer's spill
  // threshold, or the spilled-entry size).
  explicit LaneQueue(uint32_t max_payload)
      : ring_bytes_(RingBytes(max_payload)),
        entries_(new Entry[kEntries]),
        ring_(new uint8_t[ring_bytes_]) {}

  // Entries pushed so far (producer side).
  uint64_t pushed() const { return head_; }

  // --- producer ----------------------------------------------------------------

  // True if an event with payloads of these sizes fits now.
  bool HasRoom(size_t args_size, size_t result_size) const {
    uint64_t consumed = consumed_.load(std::memory_order_acquire);
    if (head_ - consumed >= kEntries) return false;
    uint64_t at = head_at_;
    Placed(&at, args_size);
    Placed(&at, result_size);
    return at - consumed_at_.load(std::memory_order_acquire) <= ring_bytes_;
  }

  // REQUIRES: HasRoom(args.size(), result.size()).
  void Push(uint64_t seq, uint32_t lane, uint64_t site, uint8_t kind, uint8_t flags, uint8_t marks,
            Bytes args, Bytes result, int64_t time_ns = 0, uint64_t duration_ns = 0) {
    Entry& e = entries_[head_ % kEntries];
    e.seq = seq;
    e.time_ns = time_ns;
    e.duration_ns = duration_ns;
    e.lane = lane;
    e.site = site;
    e.kind = kind;
    e.flags = flags;
    e.marks = marks;
    e.args_len = uint32_t(args.size());
    e.result_len = uint32_t(result.size());
    uint64_t at = head_at_;
    Placed(&at, args.size());
    e.args_at = at - args.size();
    if (!args.empty()) std::memcpy(ring_.get() + e.args_at % ring_bytes_, args.data(), args.size());
    Placed(&at, result.size());
    e.result_at = at - result.size();
    if (!result.empty()) {
      std::memcpy(ring_.get() + e.result_at % ring_bytes_, result.data(), result.size());
    }
    e.end = at;
    head_at_ = at;
    ++head_;
    published_.store(head_, std::memory_order_release);
  }

  // --- consumer ------------------------------------------------------------------

  // The oldest published entry not yet consumed, or nullptr.
  const Entry* Peek() const {
    uint64_t tail = consumed_.load(std::memory_order_relaxed);
    if (tail == published_.load(std::memory_order_acquire)) return nullptr;
    return &entries_[tail % kEntries];
  }
  Bytes Args(const Entry& e) const { return {ring_.get() + e.args_at % ring_bytes_, e.args_len}; }
  Bytes Result(const Entry& e) const {
    return {ring_.get() + e.result_at % ring_bytes_, e.result_len};
  }
  // Frees the entry Peek() returned.
  void Pop() {
    uint64_t tail = consumed_.load(std::memory_order_relaxed);
    consumed_at_.store(entries_[tail % kEntries].end, std::memory_order_release);
    consumed_.store(tail + 1, std::memory_order_release);
  }

 private:
  static constexpr uint64_t kEntries = 4096;
  // Room for many small payloads and, with the waste of skipping to the
  // ring's start, any two of the largest.
  static uint64_t RingBytes(uint32_t max_payload) {
    return std::max<uint64_t>(uint64_t(1) << 20, uint64_t(max_payload) * 4);
  }
  // Advances `*at` past a payload of `size` bytes placed contiguously (a
  // payload that would wrap starts at the ring's beginning instead).
  void Placed(uint64_t* at, size_t size) const {
    uint64_t offset = *at % ring_bytes_;
    if (size > 0 && offset + size > ring_bytes_) *at += ring_bytes_ - offset;
    *at += size;
  }

  const uint64_t ring_bytes_;
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<uint8_t[]> ring_;
  // Producer-private.
  uint64_t head_ = 0;     // entries pushed
  uint64_t head_at_ = 0;  // ring position after the last payload pushed
  // Shared.
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> consumed_{0};
  std::atomic<uint64_t> consumed_at_{0};
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_LANE_QUEUE_H_
