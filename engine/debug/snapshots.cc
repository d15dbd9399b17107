#include "engine/debug/snapshots.h"

#include <algorithm>

namespace tape::debug {

bool Snapshots::Add(Entry e) {
  if (e.bytes > budget_) return false;
  auto at = std::lower_bound(entries_.begin(), entries_.end(), e.icount,
                             [](const Entry& x, uint64_t icount) { return x.icount < icount; });
  if (at != entries_.end() && at->icount == e.icount) return false;  // have it
  bytes_ += e.bytes;
  entries_.insert(at, std::move(e));
  bool thinned = false;
  while (bytes_ > budget_ && entries_.size() > 1) {
    // Drop the odd ones: the first stays, the rest stay evenly spread.
    std::vector<Entry> kept;
    int64_t bytes = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i % 2 == 0) {
        bytes += entries_[i].bytes;
        kept.push_back(std::move(entries_[i]));
      }
    }
    entries_ = std::move(kept);
    bytes_ = bytes;
    ++thinnings_;
    thinned = true;
  }
  return thinned;
}

const Snapshots::Entry* Snapshots::Before(uint64_t icount) const {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), icount,
                             [](const Entry& x, uint64_t i) { return x.icount < i; });
  return at == entries_.begin() ? nullptr : &*(at - 1);
}

const Snapshots::Entry* Snapshots::AtOrBeforeSeq(uint64_t seq) const {
  // Seqs grow with positions: the last whose seq is at most `seq`.
  auto at = std::upper_bound(entries_.begin(), entries_.end(), seq,
                             [](uint64_t s, const Entry& x) { return s < x.seq; });
  return at == entries_.begin() ? nullptr : &*(at - 1);
}

const Snapshots::Entry* Snapshots::AtOrAfter(uint64_t icount) const {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), icount,
                             [](const Entry& x, uint64_t i) { return x.icount < i; });
  return at == entries_.end() ? nullptr : &*at;
}

}  // namespace tape::debug
