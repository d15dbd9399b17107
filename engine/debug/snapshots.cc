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
  uint64_t before = thinnings_;
  Thin();
  return thinnings_ != before;
}

void Snapshots::SetRecent(Entry e) {
  if (recent_) bytes_ -= recent_->bytes;
  recent_.reset();
  if (e.bytes > budget_) return;
  bytes_ += e.bytes;
  recent_ = std::move(e);
  Thin();
}

void Snapshots::Thin() {
  while (bytes_ > budget_ && entries_.size() > 1) {
    // Drop the odd ones: the first stays, the rest stay evenly spread.
    std::vector<Entry> kept;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i % 2 == 0) {
        kept.push_back(std::move(entries_[i]));
      } else {
        bytes_ -= entries_[i].bytes;
      }
    }
    entries_ = std::move(kept);
    ++thinnings_;
  }
  if (bytes_ > budget_ && recent_) {
    bytes_ -= recent_->bytes;
    recent_.reset();
  }
}

namespace {

// The later of two candidates (either may be null).
const Snapshots::Entry* Later(const Snapshots::Entry* a, const Snapshots::Entry* b) {
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  return a->icount >= b->icount ? a : b;
}

}  // namespace

const Snapshots::Entry* Snapshots::Before(uint64_t icount) const {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), icount,
                             [](const Entry& x, uint64_t i) { return x.icount < i; });
  const Entry* found = at == entries_.begin() ? nullptr : &*(at - 1);
  return Later(found, recent_ && recent_->icount < icount ? &*recent_ : nullptr);
}

const Snapshots::Entry* Snapshots::AtOrBeforeSeq(uint64_t seq) const {
  // Seqs grow with positions: the last whose seq is at most `seq`.
  auto at = std::upper_bound(entries_.begin(), entries_.end(), seq,
                             [](uint64_t s, const Entry& x) { return s < x.seq; });
  const Entry* found = at == entries_.begin() ? nullptr : &*(at - 1);
  return Later(found, recent_ && recent_->seq <= seq ? &*recent_ : nullptr);
}

const Snapshots::Entry* Snapshots::AtOrAfter(uint64_t icount) const {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), icount,
                             [](const Entry& x, uint64_t i) { return x.icount < i; });
  const Entry* found = at == entries_.end() ? nullptr : &*at;
  if (recent_ && recent_->icount >= icount && (found == nullptr || recent_->icount < found->icount)) {
    return &*recent_;
  }
  return found;
}

}  // namespace tape::debug
