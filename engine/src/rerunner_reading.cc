// The rerunner's reading of the trace: recorded events taken from the
// cursor into their lanes' windows (bounded: past kMaxHeldEvents or
// kMaxHeldBytes, segments the rerun may come back to), and the recorded
// event that answers a call (specs/rerun.md §2, §3).

#include "engine/src/rerunner.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/internal/effect_text.h"
#include "engine/src/replayer.h"

namespace tape::engine {

using format::AsBytes;
using format::AsChars;
using format::Bytes;

namespace {

// Whether inputs of `kind` are matched by key: the effect table's key
// fields, or all of the args for a user-defined effect.
bool Keyed(uint8_t kind) {
  const EffectSpec* spec = FindEffect(kind);
  return spec == nullptr || spec->args.keys != 0;
}

bool Same(Bytes a, Bytes b) {
  return a.size() == b.size() && format::SameBytes(a.data(), b.data(), a.size());
}

// Whether two args of `kind` ask the same question: their key fields are
// equal (specs/rerun.md §3).
bool SameKey(uint8_t kind, Bytes a, Bytes b) {
  if (Same(a, b)) return true;
  const EffectSpec* spec = FindEffect(kind);
  if (spec == nullptr) return false;  // a user effect: the args are the key
  if (spec->args.keys == 0) return true;
  ParsedPayload pa, pb;
  if (!ParsePayload(spec->args.layout, a, &pa).ok() ||
      !ParsePayload(spec->args.layout, b, &pb).ok()) {
    return false;
  }
  for (uint8_t i = 0; i < pa.count; ++i) {
    if (!(spec->args.keys & (1u << i))) continue;
    const FieldValue &x = pa.fields[i], &y = pb.fields[i];
    if (!Same(x.bytes, y.bytes) || x.list.size() != y.list.size()) return false;
    for (size_t j = 0; j < x.list.size(); ++j) {
      if (!Same(x.list[j], y.list[j])) return false;
    }
  }
  return true;
}

}  // namespace

// --- reading the trace ---------------------------------------------------------

bool Rerunner::NextEvent() {
  while (cursor_.at_end()) {
    if (ended_) return false;
    Result<const format::DecodedChunk*> next = stream_.Next();
    if (!next.has_value()) throw TraceReadFailed{next.error()};
    if (*next == nullptr) {
      ended_ = true;
      return false;
    }
    chunk_ = *next;  // a recovered trace's gaps are skipped: seqs jump
    cursor_.Reset(chunk_);
  }
  return true;
}

void Rerunner::TakeEvent(Recorded* r) {
  r->seq = CursorSeq();
  r->site = cursor_.site();
  r->kind = cursor_.kind();
  format::PayloadView args, result;
  cursor_.Take(&args, &result);
  for (auto [view, to] : {std::pair{&args, &r->args}, std::pair{&result, &r->result}}) {
    if (!view->spilled()) {
      to->assign(AsChars(view->bytes()));
      continue;
    }
    Status s = reader_->ReadWholePayload(*view, to);
    if (!s.ok()) throw TraceReadFailed{s.WithContext(fmt::format("rerun stops at seq {}", r->seq))};
  }
}

Rerunner::RecordedLane& Rerunner::LaneOf(uint32_t id) {
  auto [it, fresh] = recorded_.try_emplace(id);
  if (fresh) {
    it->second.id = id;
    it->second.closed = finishing_;
  }
  return it->second;
}

bool Rerunner::ReadOne() {
  if (!NextEvent()) return false;
  RecordedLane& lane = LaneOf(cursor_.lane());
  ++read_;
  uint64_t index = lane.read++;
  uint8_t kind = cursor_.kind();
  if (lane.closed && DirectionOf(kind) == Direction::kInput) {
    format::PayloadView args, result;  // not asked for: nothing of it is needed
    cursor_.Take(&args, &result);
    ++summary_->inputs_unused;
    return true;
  }
  Recorded r{0, index, 0, 0, false, {}, {}};
  TakeEvent(&r);
  if (lane.closed) {
    Drop(lane, r);
    return true;
  }
  Held(1, int64_t(r.args.size() + r.result.size()));
  lane.window.push_back(std::move(r));
  return true;
}

void Rerunner::Load(RecordedLane& lane, uint64_t upto) {
  while (lane.read <= upto && !lane.closed) {
    if (held_events_ >= kMaxHeldEvents || held_bytes_ >= kMaxHeldBytes) {
      if (!held_full_noted_) {
        held_full_noted_ = true;
        Note(fmt::format("lane {} ran so far ahead of the others that {} of their recorded "
                         "events ({} MiB) were held for them; its search stopped there "
                         "(specs/rerun.md §7)",
                         lane.id, held_events_, held_bytes_ >> 20));
      }
      return;
    }
    if (!ReadOne()) return;
  }
}

// --- matching within a lane ----------------------------------------------------

size_t Rerunner::Find(RecordedLane& lane, const Site& site, uint8_t kind, Bytes args, How* how) {
  Load(lane, lane.frontier + kWindow - 1);
  const uint64_t end = lane.frontier + kWindow;
  const bool keyed = Keyed(kind);
  std::deque<Recorded>& w = lane.window;
  for (size_t i = 0; i < w.size() && w[i].index < end; ++i) {
    const Recorded& e = w[i];
    if (!e.consumed && e.site == site.id && e.kind == kind &&
        (!keyed || SameKey(kind, AsBytes(e.args), args))) {
      *how = How::kSite;
      return i;
    }
  }
  for (size_t i = 0; i < w.size() && w[i].index < end; ++i) {
    const Recorded& e = w[i];
    // A keyed input with another key asks another question: no match by kind.
    if (!e.consumed && e.kind == kind && (!keyed || SameKey(kind, AsBytes(e.args), args))) {
      *how = keyed ? How::kKey : How::kKind;
      return i;
    }
  }
  *how = How::kNone;
  return 0;
}

size_t Rerunner::FindControl(RecordedLane& lane, const Site& site, uint8_t kind) {
  Load(lane, lane.frontier + kWindow - 1);
  const uint64_t end = lane.frontier + kWindow;
  std::deque<Recorded>& w = lane.window;
  size_t by_kind = w.size();
  for (size_t i = 0; i < w.size() && w[i].index < end; ++i) {
    if (w[i].consumed || w[i].kind != kind) continue;
    if (w[i].site == site.id) return i;
    if (by_kind == w.size()) by_kind = i;
  }
  return by_kind;
}

void Rerunner::Consume(RecordedLane& lane, size_t i) {
  lane.window[i].consumed = true;
  lane.frontier = std::max(lane.frontier, lane.window[i].index + 1);
  // Events that fell kWindow behind the frontier unconsumed were not asked for.
  std::deque<Recorded>& w = lane.window;
  while (!w.empty() && (w.front().consumed || w.front().index + kWindow < lane.frontier)) {
    if (!w.front().consumed) Drop(lane, w.front());
    Held(-1, -int64_t(w.front().args.size() + w.front().result.size()));
    w.pop_front();
  }
}

void Rerunner::Drop(RecordedLane& lane, const Recorded& e) {
  switch (DirectionOf(e.kind)) {
    case Direction::kControl:
      // A thread the rerun will not start: no thread asks for its lane's events.
      if (e.kind == uint8_t(EffectKind::kThreadStart) && e.result.size() == 4) {
        uint32_t child = format::LoadU32(AsBytes(e.result).data());
        if (child != lane.id) CloseLane(LaneOf(child));
      }
      return;
    case Direction::kOutput: {
      Segment& g = lane.segments[e.kind];
      if (g.removed++ == 0) {
        g.first_removed.seq = e.seq;
        g.first_removed.lane = lane.id;
        g.first_removed.recorded = DescribeCall(KindName(e.kind, &reader_->kind_names()), e.kind,
                                                AsBytes(e.args));
        g.first_removed.recorded_at = reader_->SiteLocation(e.site);
        g.removed_bytes = e.args;
      }
      return;
    }
    case Direction::kInput:
      ++summary_->inputs_unused;
      return;
  }
}

void Rerunner::CloseWindow(RecordedLane& lane) {
  lane.closed = true;
  // Drop may close another lane (a thread.start), never this one: the
  // window is not changed while it is walked.
  for (const Recorded& e : lane.window) {
    if (!e.consumed) Drop(lane, e);
    Held(-1, -int64_t(e.args.size() + e.result.size()));
  }
  lane.window.clear();
}

void Rerunner::CloseLane(RecordedLane& lane) {
  if (!lane.closed) CloseWindow(lane);
  CloseSegments(lane);
}

void Rerunner::CloseSegments(RecordedLane& lane) {
  for (auto& [kind, g] : lane.segments) CloseSegment(g);
  lane.segments.clear();
}

void Rerunner::CloseSegment(Segment& g) {
  uint64_t changed = std::min(g.added, g.removed);
  summary_->outputs_changed += changed;
  summary_->outputs_added += g.added - changed;
  summary_->outputs_removed += g.removed - changed;
  if (!summary_->first_change.what.empty() || (g.added == 0 && g.removed == 0)) return;
  OutputChange c;
  if (changed > 0) {
    c = g.first_removed;
    c.what = "changed";
    c.call = g.first_added.call;
    c.now = g.first_added.now;
    c.now_at = g.first_added.now_at;
    c.difference = FirstDifference(AsBytes(g.removed_bytes), AsBytes(g.added_bytes));
    summary_->first_output_change =
        fmt::format("changed: recorded {} at {} (seq {}), now {} at {} (call {}); {}", c.recorded,
                    c.recorded_at, c.seq, c.now, c.now_at, c.call, c.difference);
  } else if (g.added > 0) {
    c = g.first_added;
    c.what = "added";
    summary_->first_output_change = fmt::format(
        "added: {} at {} (call {}) was not made when recorded", c.now, c.now_at, c.call);
  } else {
    c = g.first_removed;
    c.what = "removed";
    summary_->first_output_change = fmt::format("removed: {} at {} (seq {}) is not made any more",
                                                c.recorded, c.recorded_at, c.seq);
  }
  summary_->first_change = std::move(c);
}

}  // namespace tape::engine
