#include "engine/debug/snapshots.h"

#include <algorithm>

namespace tape::debug {

Snapshots::Entry Snapshots::Take(const lang::Machine& m, uint64_t seq) {
  Entry e;
  e.icount = m.icount();
  e.seq = seq;
  e.state = m.Save(&sharing_);
  e.bytes = lang::Machine::StateBytes(*e.state);
  e.charges = lang::Machine::StateCharges(*e.state);
  charges_ += e.charges;
  return e;
}

bool Snapshots::Add(Entry e) {
  if (e.bytes > budget_) return false;
  auto at = std::lower_bound(entries_.begin(), entries_.end(), e.icount,
                             [](const Entry& x, uint64_t icount) { return x.icount < icount; });
  if (at != entries_.end() && at->icount == e.icount) return false;  // have it
  Keep(e);
  entries_.insert(at, std::move(e));
  uint64_t before = thinnings_;
  Thin();
  return thinnings_ != before;
}

void Snapshots::SetRecent(Entry e) {
  if (recent_) Drop(*recent_);
  recent_.reset();
  if (e.bytes > budget_) return;
  Keep(e);
  recent_ = std::move(e);
  Thin();
}

void Snapshots::Thin() {
  while (bytes() > budget_ && entries_.size() > 1) {
    // Drop the odd ones: the first stays, the rest stay evenly spread. (A
    // dropped snapshot's values go only when no snapshot shares them.)
    std::vector<Entry> kept;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i % 2 == 0) {
        kept.push_back(std::move(entries_[i]));
      } else {
        Drop(entries_[i]);
      }
    }
    entries_ = std::move(kept);
    ++thinnings_;
  }
  if (bytes() > budget_ && recent_) {
    Drop(*recent_);
    recent_.reset();
  }
  // The last snapshot taken is kept for the next one to share with; it
  // goes too if nothing else is left.
  if (bytes() > budget_) sharing_.last.reset();
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
