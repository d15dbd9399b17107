// What `tape diff` compares, and `tape diff --all`'s walk over two traces:
// every divergent region, not just the first.
//
// The walk keeps two positions, one per trace, that it believes correspond.
// From there it compares events pairwise (lane, site and kind; then args and
// results, as `Compared` says). Where two corresponding chunks cover the same
// seqs and have equal content hashes (§7.6) they are skipped unread, as the
// first-divergence diff does.
//
//  * Where an event on the same path (lane, site and kind agree) has other
//    payloads, the same rule runs on whole events (path and payloads, by
//    hash) within kPayloadWindow events: a loop that made one call more or
//    less from the same site shows as that call, not as every later call's
//    payload shifted by one. When the kResyncRun events after the differing
//    one agree whole (one event changed), when nothing agrees within the
//    window, or when the nearest agreement is as far in both traces (i == j:
//    nothing added or removed), the event is a region of its own and the
//    positions stay aligned; the events right after it that differ the same
//    way (args, or results) join that region.
//  * Where the paths differ, the walk resynchronises (FindResync): it looks
//    ahead at most kResyncWindow events in each trace for the nearest pair
//    of offsets (i, j) at which kResyncRun consecutive events agree again on
//    lane, site and kind (fewer at the end of both traces, where the ends
//    themselves must meet), minimising i + j, then i. Events [a, a+i) and
//    [b, b+j) are one region; the walk goes on from a+i and b+j. When no
//    such pair exists in the window, the rest of both traces is one region
//    and the walk ends.
//  * When one trace ends before the other, the other's remaining events are
//    the last region.
//
// Memory is bounded: two decoded chunks and one window of path keys per
// trace, whatever the traces' lengths.

#ifndef TAPE_TOOLS_DIFF_REGIONS_H_
#define TAPE_TOOLS_DIFF_REGIONS_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "format/status.h"
#include "format/trace_reader.h"
#include "tools/cli.h"

namespace tape::cli {

// How two traces (or two corresponding stretches of them) differ.
enum class Divergence {
  kNone,
  kLane,     // another thread made the call
  kSite,     // the call came from another place
  kKind,     // same place, another effect
  kArgs,     // same call, other args
  kResult,   // same call and args, other result
  kLength,   // one trace ends before the other
  kOutcome,  // the same calls, but the programs ended differently
  kAdded,    // --all: calls only the second trace made
  kRemoved,  // --all: calls only the first trace made
};
// "site", "args", ...: the class as `diff` prints it and JSON names it.
const char* ClassName(Divergence d);
// What the class means for the program, in one clause.
const char* Explain(Divergence d);

// What is compared: by default everything; --ignore KIND leaves that kind's
// results out, --path-only every payload.
struct Compared {
  bool results[256];
  bool payloads = true;
  Compared() { std::fill(std::begin(results), std::end(results), true); }
};

// True when two payloads hold the same bytes (a spilled payload is compared
// by the hash its reference carries).
bool SamePayload(const format::PayloadView& a, const format::PayloadView& b);

// The part of an event that says which path the program took.
struct PathKey {
  uint64_t site = 0;
  uint32_t lane = 0;
  uint8_t kind = 0;
  bool operator==(const PathKey&) const = default;
};

inline constexpr size_t kResyncWindow = 4096;  // events looked ahead in each trace
inline constexpr size_t kResyncRun = 4;        // events that must agree again
inline constexpr size_t kPayloadWindow = 16;   // looked ahead where only payloads differ

struct Resync {
  size_t i = 0;  // events of the first trace in the region
  size_t j = 0;  // events of the second
  bool operator==(const Resync&) const = default;
};

// The nearest point where two diverged event sequences agree again.
// `a` and `b` hold the path keys from the divergence on; `a_ends` says that
// the first trace ends right after `a` (else later events are unknown, and
// never agree with anything), likewise `b_ends`. Candidates are offsets
// i <= window, j <= window; (i, j) qualifies when the `run` keys from a[i]
// and from b[j] are equal pairwise, where past a trace's end counts as a
// key that equals only another trace's end (so near the end fewer than
// `run` events agree, and both traces must end together). The result
// minimises i + j, then i; nullopt when nothing qualifies.
// REQUIRES: run >= 1; the spans hold at least min(window + run, rest of
// the trace) keys, or every key up to a gap.
std::optional<Resync> FindResync(std::span<const PathKey> a, bool a_ends,
                                 std::span<const PathKey> b, bool b_ends,
                                 size_t window = kResyncWindow, size_t run = kResyncRun);

// One divergent region: events [a_first, a_first + a_count) of the first
// trace correspond to [b_first, b_first + b_count) of the second.
struct Region {
  uint64_t a_first = 0, a_count = 0;
  uint64_t b_first = 0, b_count = 0;
  Divergence what = Divergence::kNone;
  bool resynced = true;  // false: no resync point within the window; the region runs to both ends
};

struct RegionScan {
  std::vector<Region> regions;
  // False when the walk stopped at `limit` regions; then more differ from
  // next_a and next_b on.
  bool complete = true;
  uint64_t next_a = 0, next_b = 0;
  std::vector<format::SeqRange> both_missing;  // gaps the two traces share (§9.3)
};

// Walks two traces and lists their divergent regions in order, at most
// `limit` of them. Fails (with the file and seq) when a chunk is damaged,
// or when a gap of one trace (§9.3) meets events of the other.
// REQUIRES: limit >= 1.
Result<RegionScan> FindRegions(const format::TraceReader& a, const format::TraceReader& b,
                               const Compared& compared, uint64_t limit, Progress* progress);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_DIFF_REGIONS_H_
