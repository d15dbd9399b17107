// See diff_regions.h for the walk and the resynchronisation rule.

#include "tools/diff_regions.h"

#include <fmt/core.h>
#include <xxhash.h>

#include <cstring>
#include <string>
#include <unordered_map>

namespace tape::cli {

const char* ClassName(Divergence d) {
  switch (d) {
    case Divergence::kLane:
      return "lane";
    case Divergence::kSite:
      return "site";
    case Divergence::kKind:
      return "kind";
    case Divergence::kArgs:
      return "args";
    case Divergence::kResult:
      return "result";
    case Divergence::kLength:
      return "length";
    case Divergence::kOutcome:
      return "outcome";
    case Divergence::kAdded:
      return "added";
    case Divergence::kRemoved:
      return "removed";
    case Divergence::kNone:
      break;
  }
  return "none";
}

const char* Explain(Divergence d) {
  switch (d) {
    case Divergence::kLane:
      return "another thread made the call here: the threads' calls interleaved differently";
    case Divergence::kSite:
      return "the call came from another place: the program took a different path";
    case Divergence::kKind:
      return "same place, different effect: the program took a different path";
    case Divergence::kArgs:
      return "same site and effect, different args: the program passed other inputs";
    case Divergence::kResult:
      return "same site, effect and args, different result: the outside world answered "
             "differently";
    case Divergence::kLength:
      return "one trace is a prefix of the other";
    case Divergence::kOutcome:
      return "the same effect calls, but the programs ended differently";
    case Divergence::kAdded:
      return "calls only the second trace made: the program took a different path";
    case Divergence::kRemoved:
      return "calls only the first trace made: the program took a different path";
    case Divergence::kNone:
      break;
  }
  return "identical";
}

bool SamePayload(const format::PayloadView& a, const format::PayloadView& b) {
  if (a.size != b.size) return false;
  if (a.spilled() && b.spilled()) return a.spill_hash == b.spill_hash;
  if (a.spilled() != b.spilled()) {
    const format::PayloadView& in = a.spilled() ? b : a;
    const format::PayloadView& out = a.spilled() ? a : b;
    return XXH3_64bits(in.data, size_t(in.size)) == out.spill_hash;
  }
  return a.size == 0 || std::memcmp(a.data, b.data, size_t(a.size)) == 0;
}

// --- FindResync ----------------------------------------------------------------

namespace {

// One side of FindResync: keys, then the trace's end or the unknown.
struct Keys {
  std::span<const PathKey> keys;
  bool ends;
  // Whether offset p can start a run: its keys are known (or past the end).
  bool Startable(size_t p, size_t run) const {
    return ends ? p <= keys.size() : p + run <= keys.size();
  }
  // The hash of the run from offset p. REQUIRES: Startable(p).
  uint64_t Hash(size_t p, size_t run) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t t = 0; t < run; ++t) {
      uint64_t k = p + t < keys.size()
                       ? keys[p + t].site ^ (uint64_t(keys[p + t].lane) << 8 | keys[p + t].kind) *
                                                0xff51afd7ed558ccdull
                       : 0xe7037ed1a0b428dbull;  // the end
      h = (h ^ k) * 0x100000001b3ull;
      h ^= h >> 29;
    }
    return h;
  }
};

// Whether the runs from x[p] and y[q] agree. REQUIRES: both Startable.
bool SameRun(const Keys& x, size_t p, const Keys& y, size_t q, size_t run) {
  for (size_t t = 0; t < run; ++t) {
    bool x_end = p + t >= x.keys.size(), y_end = q + t >= y.keys.size();
    if (x_end || y_end) return x_end && y_end;  // past both ends, every key agrees
    if (!(x.keys[p + t] == y.keys[q + t])) return false;
  }
  return true;
}

}  // namespace

std::optional<Resync> FindResync(std::span<const PathKey> a, bool a_ends,
                                 std::span<const PathKey> b, bool b_ends, size_t window,
                                 size_t run) {
  Keys x{a, a_ends}, y{b, b_ends};
  // The runs of `b` by hash, each hash's offsets in ascending order, so that
  // the first match for a given i is the smallest j.
  constexpr uint32_t kNone = UINT32_MAX;
  size_t last_j = std::min(window, b.size());
  std::vector<uint32_t> next(last_j + 1, kNone);
  std::unordered_map<uint64_t, uint32_t> first;
  first.reserve(last_j + 1);
  for (size_t j = last_j + 1; j-- > 0;) {
    if (!y.Startable(j, run)) continue;
    auto [it, inserted] = first.try_emplace(y.Hash(j, run), uint32_t(j));
    if (!inserted) {
      next[j] = it->second;
      it->second = uint32_t(j);
    }
  }
  std::optional<Resync> best;
  size_t best_sum = SIZE_MAX;
  size_t last_i = std::min(window, a.size());
  for (size_t i = 0; i <= last_i && i < best_sum; ++i) {
    if (!x.Startable(i, run)) continue;
    auto it = first.find(x.Hash(i, run));
    if (it == first.end()) continue;
    for (uint32_t j = it->second; j != kNone && i + j < best_sum; j = next[j]) {
      if (SameRun(x, i, y, j, run)) {
        best = Resync{i, j};
        best_sum = i + j;
        break;
      }
    }
  }
  return best;
}

// --- FindRegions ---------------------------------------------------------------

namespace {

constexpr unsigned kPathParts = format::kDecodeKinds | format::kDecodeSites;

// Decoded chunks of one trace, as the walk reaches them: two, so that a
// window that crosses a chunk boundary does not decode the same chunk twice.
class Stream {
 public:
  explicit Stream(const format::TraceReader* reader) : reader_(reader) {}

  // The chunk holding `seq`, decoded with at least `parts`.
  // REQUIRES: the trace holds `seq` (not past its end, not in a gap).
  Result<const format::DecodedChunk*> At(uint64_t seq, unsigned parts) {
    Slot* slot = nullptr;
    for (Slot& s : slots_) {
      if (s.chunk != SIZE_MAX && seq >= s.decoded.first_seq() &&
          seq - s.decoded.first_seq() < s.decoded.size()) {
        slot = &s;
      }
    }
    size_t chunk = slot ? slot->chunk : reader_->ChunkFor(seq);
    if (!slot) {
      if (chunk == reader_->chunks().size() || reader_->chunks()[chunk].first_seq > seq) {
        return reader_->MissingEvent(seq);
      }
      slot = slots_[0].used <= slots_[1].used ? &slots_[0] : &slots_[1];
      if (slot->chunk != SIZE_MAX) reader_->ReleaseChunkPages(slot->chunk);
      slot->chunk = SIZE_MAX;
      slot->parts = 0;
    }
    slot->used = ++clock_;
    if ((slot->parts & parts) != parts) {
      unsigned want = parts | slot->parts;
      slot->chunk = SIZE_MAX;  // until it decodes
      TAPE_RETURN_IF_ERROR(reader_->ReadChunk(chunk, want, &slot->decoder, &slot->decoded));
      slot->chunk = chunk;
      slot->parts = want;
    }
    return &slot->decoded;
  }

  // A decoder for content hashes, apart from the slots' chunks.
  format::ChunkDecoder* hash_decoder() { return &hash_decoder_; }

 private:
  struct Slot {
    size_t chunk = SIZE_MAX;
    unsigned parts = 0;
    uint64_t used = 0;
    format::ChunkDecoder decoder;
    format::DecodedChunk decoded;
  };
  const format::TraceReader* reader_;
  Slot slots_[2];
  uint64_t clock_ = 0;
  format::ChunkDecoder hash_decoder_;
};

class Walk {
 public:
  Walk(const format::TraceReader& a, const format::TraceReader& b, const Compared& compared,
       uint64_t limit, Progress* progress)
      : ra_(a), rb_(b), sa_(&a), sb_(&b), compared_(compared), limit_(limit), progress_(progress) {}

  Result<RegionScan> Run();

 private:
  // Adds `r` to the scan, merged into the previous region when both are
  // payload differences of one class that touch. False when the limit is
  // reached: the walk stops, and `r` is where more differences begin.
  bool Add(const Region& r);
  // The region that starts where the paths differ at (pa, pb).
  Result<Region> Resynchronise(uint64_t pa, uint64_t pb, Divergence first);
  // True when an aligned region of class `d` ends at (pa, pb): it grows by
  // that event.
  bool Extends(uint64_t pa, uint64_t pb, Divergence d);
  // The region that starts at an event on the same path whose payloads
  // differ (class `d`), at (pa, pb).
  Result<Region> PayloadRegion(uint64_t pa, uint64_t pb, Divergence d);
  // Keys of `reader`'s events from `from` on: at most `window` + kResyncRun,
  // up to the end (*ends = true) or to a gap. With `payloads`, a key's site
  // also carries a hash of the event's args and (where compared) result.
  Status LoadWindow(Stream& stream, const format::TraceReader& reader, uint64_t from,
                    size_t window, bool payloads, std::vector<PathKey>* out, bool* ends);
  // Why the walk cannot go on at (pa, pb).
  Status Missing(const format::TraceReader& r, uint64_t seq, uint64_t pa, uint64_t pb) const;

  const format::TraceReader& ra_;
  const format::TraceReader& rb_;
  Stream sa_, sb_;
  const Compared& compared_;
  uint64_t limit_;
  Progress* progress_;
  RegionScan scan_;
  std::vector<PathKey> window_a_, window_b_;
};

bool Walk::Add(const Region& r) {
  if (!scan_.regions.empty()) {
    Region& last = scan_.regions.back();
    bool payload = r.what == Divergence::kArgs || r.what == Divergence::kResult;
    if (payload && last.what == r.what && last.a_first + last.a_count == r.a_first &&
        last.b_first + last.b_count == r.b_first) {
      last.a_count += r.a_count;
      last.b_count += r.b_count;
      return true;
    }
  }
  if (scan_.regions.size() == limit_) {
    scan_.complete = false;
    scan_.next_a = r.a_first;
    scan_.next_b = r.b_first;
    return false;
  }
  scan_.regions.push_back(r);
  return true;
}

// A payload's hash, equal for equal bytes whether inline or spilled (§8: a
// spilled payload's reference carries the XXH3-64 of its bytes).
uint64_t PayloadHash(const format::PayloadView& p) {
  uint64_t h = p.spilled() ? p.spill_hash : XXH3_64bits(p.data, size_t(p.size));
  return h ^ (p.size * 0x9e3779b97f4a7c15ull);
}

Status Walk::LoadWindow(Stream& stream, const format::TraceReader& reader, uint64_t from,
                        size_t window, bool payloads, std::vector<PathKey>* out, bool* ends) {
  out->clear();
  uint64_t end = reader.event_count();
  uint64_t stop = std::min<uint64_t>(end, from + window + kResyncRun);
  uint64_t s = from;
  unsigned parts = payloads ? unsigned(format::kDecodeAll) : kPathParts;
  while (s < stop && reader.GapAt(s) == nullptr) {
    TAPE_ASSIGN_OR_RETURN(const format::DecodedChunk* d, stream.At(s, parts));
    uint64_t upto = std::min<uint64_t>(stop, d->first_seq() + d->size());
    for (uint32_t i = uint32_t(s - d->first_seq()); s < upto; ++s, ++i) {
      PathKey key{d->site(i), d->lane(i), d->kind(i)};
      if (payloads) {
        uint64_t h = PayloadHash(d->args(i));
        if (compared_.results[key.kind]) h = h * 0xff51afd7ed558ccdull + PayloadHash(d->result(i));
        key.site ^= h * 0xc4ceb9fe1a85ec53ull;
      }
      out->push_back(key);
    }
  }
  *ends = s == end;
  return Status::Ok();
}

Result<Region> Walk::Resynchronise(uint64_t pa, uint64_t pb, Divergence first) {
  bool a_ends = false, b_ends = false;
  TAPE_RETURN_IF_ERROR(LoadWindow(sa_, ra_, pa, kResyncWindow, false, &window_a_, &a_ends));
  TAPE_RETURN_IF_ERROR(LoadWindow(sb_, rb_, pb, kResyncWindow, false, &window_b_, &b_ends));
  std::optional<Resync> r = FindResync(window_a_, a_ends, window_b_, b_ends);
  if (!r) {
    return Region{pa, ra_.event_count() - pa, pb, rb_.event_count() - pb, first, false};
  }
  Divergence what = r->i == 0 ? Divergence::kAdded : r->j == 0 ? Divergence::kRemoved : first;
  return Region{pa, r->i, pb, r->j, what, true};
}

bool Walk::Extends(uint64_t pa, uint64_t pb, Divergence d) {
  if (scan_.regions.empty()) return false;
  Region& last = scan_.regions.back();
  if (last.what != d || last.a_count != last.b_count || last.a_first + last.a_count != pa ||
      last.b_first + last.b_count != pb) {
    return false;
  }
  ++last.a_count;
  ++last.b_count;
  return true;
}

Result<Region> Walk::PayloadRegion(uint64_t pa, uint64_t pb, Divergence d) {
  bool a_ends = false, b_ends = false;
  TAPE_RETURN_IF_ERROR(LoadWindow(sa_, ra_, pa, kPayloadWindow, true, &window_a_, &a_ends));
  TAPE_RETURN_IF_ERROR(LoadWindow(sb_, rb_, pb, kPayloadWindow, true, &window_b_, &b_ends));
  Region one{pa, 1, pb, 1, d, true};
  // The common case: one event changed, and the events after it agree.
  std::span<const PathKey> wa(window_a_), wb(window_b_);
  if (FindResync(wa.subspan(1), a_ends, wb.subspan(1), b_ends, 0) == Resync{0, 0}) return one;
  std::optional<Resync> r = FindResync(wa, a_ends, wb, b_ends, kPayloadWindow);
  // Nothing agrees nearby, or as many events on both sides: no call was
  // added or removed, and the events stay aligned (compared pairwise).
  if (!r || r->i == r->j) return one;
  Divergence what = r->i == 0 ? Divergence::kAdded : r->j == 0 ? Divergence::kRemoved : d;
  return Region{pa, r->i, pb, r->j, what, true};
}

Status Walk::Missing(const format::TraceReader& r, uint64_t seq, uint64_t pa, uint64_t pb) const {
  std::string where =
      pa == pb ? fmt::format("seq {}", pa)
               : fmt::format("seq {} of {} and seq {} of {}", pa, ra_.path(), pb, rb_.path());
  return r.MissingEvent(seq).WithContext("the traces cannot be compared from " + where + " on");
}

Result<RegionScan> Walk::Run() {
  const uint64_t ea = ra_.event_count(), eb = rb_.event_count();
  const auto& ia = ra_.chunks();
  const auto& ib = rb_.chunks();
  const unsigned parts = compared_.payloads ? format::kDecodeAll : kPathParts;
  uint64_t pa = 0, pb = 0;
  while (pa < ea && pb < eb) {
    // Gaps (§9.3): only the same gap at the same place in both is skipped.
    const format::SeqRange* ga = ra_.GapAt(pa);
    const format::SeqRange* gb = rb_.GapAt(pb);
    if (ga && gb && pa == pb && *ga == *gb) {
      scan_.both_missing.push_back(*ga);
      pa = pb = ga->end();
      continue;
    }
    if (ga) return Missing(ra_, pa, pa, pb);
    if (gb) return Missing(rb_, pb, pa, pb);
    size_t ca = ra_.ChunkFor(pa), cb = rb_.ChunkFor(pb);
    if (ca == ia.size() || cb == ib.size()) {  // cannot happen for a valid index
      return ca == ia.size() ? Missing(ra_, pa, pa, pb) : Missing(rb_, pb, pa, pb);
    }
    const format::ChunkIndexEntry& x = ia[ca];
    const format::ChunkIndexEntry& y = ib[cb];
    // Aligned chunks with equal content hashes hold equal events (§7.6);
    // the hash covers the first seq, so only chunks at the same seqs compare.
    if (pa == pb && x.first_seq == pa && y.first_seq == pb && x.event_count == y.event_count) {
      TAPE_ASSIGN_OR_RETURN(uint64_t hx, ra_.ChunkContentHash(ca, sa_.hash_decoder()));
      TAPE_ASSIGN_OR_RETURN(uint64_t hy, rb_.ChunkContentHash(cb, sb_.hash_decoder()));
      if (hx == hy) {
        // The index vouches for the events only if the chunk is intact.
        TAPE_RETURN_IF_ERROR(ra_.CheckChunk(ca));
        TAPE_RETURN_IF_ERROR(rb_.CheckChunk(cb));
        ra_.ReleaseChunkPages(ca);
        rb_.ReleaseChunkPages(cb);
        pa += x.event_count;
        pb += y.event_count;
        if (progress_) progress_->Update(pa);
        continue;
      }
    }
    // Compare the stretch both current chunks cover.
    uint64_t n = std::min(x.first_seq + x.event_count - pa, y.first_seq + y.event_count - pb);
    TAPE_ASSIGN_OR_RETURN(const format::DecodedChunk* da, sa_.At(pa, parts));
    TAPE_ASSIGN_OR_RETURN(const format::DecodedChunk* db, sb_.At(pb, parts));
    const uint32_t i0 = uint32_t(pa - da->first_seq()), j0 = uint32_t(pb - db->first_seq());
    uint64_t m = 0;
    Divergence path = Divergence::kNone;
    for (; m < n; ++m) {
      uint32_t i = i0 + uint32_t(m), j = j0 + uint32_t(m);
      if (da->lane(i) != db->lane(j)) {
        path = Divergence::kLane;
        break;
      }
      if (da->site(i) != db->site(j)) {
        path = Divergence::kSite;
        break;
      }
      if (da->kind(i) != db->kind(j)) {
        path = Divergence::kKind;
        break;
      }
    }
    if (compared_.payloads) {
      bool restart = false;
      for (uint64_t t = 0; t < m; ++t) {
        uint32_t i = i0 + uint32_t(t), j = j0 + uint32_t(t);
        Divergence d = Divergence::kNone;
        if (!SamePayload(da->args(i), db->args(j))) {
          d = Divergence::kArgs;
        } else if (compared_.results[da->kind(i)] && !SamePayload(da->result(i), db->result(j))) {
          d = Divergence::kResult;
        }
        if (d == Divergence::kNone) continue;
        if (Extends(pa + t, pb + t, d)) continue;  // a run of such differences: one region
        TAPE_ASSIGN_OR_RETURN(Region r, PayloadRegion(pa + t, pb + t, d));
        if (!Add(r)) return std::move(scan_);
        pa = r.a_first + r.a_count;
        pb = r.b_first + r.b_count;
        restart = true;
        break;
      }
      if (restart) {
        if (progress_) progress_->Update(pa);
        continue;
      }
    }
    pa += m;
    pb += m;
    if (path != Divergence::kNone) {
      TAPE_ASSIGN_OR_RETURN(Region r, Resynchronise(pa, pb, path));
      if (!Add(r)) return std::move(scan_);
      pa = r.a_first + r.a_count;
      pb = r.b_first + r.b_count;
    }
    if (progress_) progress_->Update(pa);
  }
  if (pa < ea || pb < eb) {
    if (!Add(Region{pa, ea - pa, pb, eb - pb, Divergence::kLength, true})) {
      return std::move(scan_);
    }
  }
  scan_.next_a = ea;
  scan_.next_b = eb;
  return std::move(scan_);
}

}  // namespace

Result<RegionScan> FindRegions(const format::TraceReader& a, const format::TraceReader& b,
                               const Compared& compared, uint64_t limit, Progress* progress) {
  Walk walk(a, b, compared, limit, progress);
  return walk.Run();
}

}  // namespace tape::cli
