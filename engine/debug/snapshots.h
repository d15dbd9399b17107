// Snapshots: saved states of a replay under the debugger, so that going back
// re-executes from the nearest one instead of from the start.
//
// Each holds the script's state (lang::Machine::State) and where the replay
// was in the trace (the next seq). Snapshots taken one after another share
// the values that did not change (lang::Machine::Sharing), so a large list
// the script keeps is held once, not once per snapshot. Their memory is
// bounded: when a new one would take the total past the budget, every
// other snapshot is dropped (the first, the run's start, always stays) and
// the caller is told to take them half as often, so snapshots stay spread
// over the whole run in bounded memory whatever its length.

#ifndef TAPE_DEBUG_SNAPSHOTS_H_
#define TAPE_DEBUG_SNAPSHOTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/lang/machine.h"

namespace tape::debug {

class Snapshots {
 public:
  struct Entry {
    uint64_t icount = 0;  // the position (lang::Machine::icount)
    uint64_t seq = 0;     // the next event the replay serves
    std::shared_ptr<const lang::Machine::State> state;
    int64_t bytes = 0;    // what it took when taken: the values it made, its stack
    int64_t charges = 0;  // the values it made
  };

  explicit Snapshots(int64_t budget_bytes) : budget_(budget_bytes) {}

  // A snapshot of `m` now (the replay's next event: `seq`), sharing values
  // with the one taken before.
  Entry Take(const lang::Machine& m, uint64_t seq);

  // Keeps `e` (positions only grow within one run forward, but a run
  // re-executed after going back adds between existing ones). Returns true
  // when it thinned the snapshots to stay in budget. A snapshot larger than
  // the whole budget is not kept.
  bool Add(Entry e);

  // Keeps `e` as the one recent snapshot, replacing the previous one: a
  // snapshot near where the user is (a backward move's target), which
  // consecutive moves there go back from. It counts in the budget, and
  // thinning never drops it unless nothing else is left to drop.
  void SetRecent(Entry e);

  // The last snapshot strictly before position `icount`, or null.
  const Entry* Before(uint64_t icount) const;
  // The last snapshot whose next seq is at most `seq`, or null.
  const Entry* AtOrBeforeSeq(uint64_t seq) const;
  // The nearest snapshot at or after `icount`, or null.
  const Entry* AtOrAfter(uint64_t icount) const;

  size_t size() const { return entries_.size(); }
  // What the snapshots take: their values (each once, however many share
  // it) and their stacks.
  int64_t bytes() const { return overhead_ + charges_ - sharing_.freed; }
  int64_t budget() const { return budget_; }
  uint64_t thinnings() const { return thinnings_; }

 private:
  void Thin();
  void Keep(const Entry& e) { overhead_ += e.bytes - e.charges; }
  void Drop(const Entry& e) { overhead_ -= e.bytes - e.charges; }

  int64_t budget_;
  uint64_t thinnings_ = 0;
  // Declared before the snapshots: they report what they free to it.
  lang::Machine::Sharing sharing_;
  int64_t charges_ = 0;   // of every value a snapshot made
  int64_t overhead_ = 0;  // stacks and frames of the snapshots kept
  std::vector<Entry> entries_;  // by icount
  std::optional<Entry> recent_;
};

}  // namespace tape::debug

#endif  // TAPE_DEBUG_SNAPSHOTS_H_
