#include "engine/src/rerunner.h"

#include <fmt/core.h>

#include <algorithm>
#include <vector>

#include "engine/internal/effect_text.h"
#include "engine/src/int_run.h"
#include "engine/src/recorder.h"
#include "engine/src/replayer.h"
#include "engine/src/unlocked.h"

namespace tape::engine {

using format::AsBytes;
using format::AsChars;
using format::Bytes;

namespace {

constexpr size_t kMaxNotes = 5;
const format::DecodedChunk kNoChunk;

// Lanes the rerun serves without recorded events (threads the recording does
// not have) get ids above every recorded lane's.
constexpr uint32_t kFirstUnrecordedLane = kMaxThreads;

}  // namespace

Rerunner::Rerunner(const format::TraceReader* reader, const RerunOptions& options,
                   RerunSummary* summary, format::TraceWriter* out)
    : reader_(reader),
      options_(options),
      summary_(summary),
      out_(out),
      stream_(reader, format::kDecodeCursor, 0, true),
      chunk_(&kNoChunk),
      next_unrecorded_(kFirstUnrecordedLane) {
  cursor_.Reset(chunk_);
  main_.env.stdout_fd = options.stdout_fd;
  main_.env.stderr_fd = options.stderr_fd;
  main_.env.trace = out;  // writing effects refuse the trace being written
  SetMainLaneContext(&main_);
  const format::KindNames& names = reader->kind_names();
  for (int k = kFirstUserKind; k < 256; ++k) {
    if (!names[k].empty()) SetUserKind(EffectKind(k), names[k]);
  }
  lane0_ = &LaneOf(0);
  lane0_->mapped = true;
  main_.recorded = lane0_;
  live_.insert(0);
}

void Rerunner::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      reader_->path() + ": a recorded result of " + KindName(uint8_t(kind), &reader_->kind_names()) +
      " does not have that effect's layout")};
}

void Rerunner::Note(std::string note) {
  if (summary_->notes.size() < kMaxNotes) summary_->notes.push_back(std::move(note));
}

std::string Rerunner::Describe(uint8_t kind, Bytes args, uint64_t site) const {
  std::string where = reader_->SiteLocation(site);
  return DescribeCall(KindName(kind, &reader_->kind_names()), kind, args) + " at " +
         (where.empty() ? fmt::format("site {}", site) : where);
}

std::string Rerunner::DescribeNow(EffectKind kind, Bytes args, const Site& site) const {
  return DescribeCall(KindLabel(kind), uint8_t(kind), args) + " at " + std::string(site.location);
}

void Rerunner::Held(int64_t events, int64_t bytes) {
  held_events_ = uint64_t(int64_t(held_events_) + events);
  held_bytes_ = uint64_t(int64_t(held_bytes_) + bytes);
}

// --- calls -------------------------------------------------------------------------

std::string_view Rerunner::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) {
  if (RunServes(site.id, kind) && args.empty() && live.fn == nullptr) [[likely]] {
    CheckThread(site);
    return ServeRun();
  }
  if (run_count_ != 0) SettleRun();
  if (!threads_started()) [[likely]] {
    CheckThread(site);
    if (drift_) [[unlikely]] throw DriftError(*drift_);
    ++calls_;
    std::string_view result;
    if (Lockstep(site, kind, args, live, &result)) [[likely]] return result;
    std::unique_lock<std::mutex> unlocked;
    return PerformGeneral(main_, site, kind, args, live, unlocked);
  }
  Lane& lane = *static_cast<Lane*>(CurrentLaneContext(site));
  std::unique_lock lock(mu_);
  if (drift_) throw DriftError(*drift_);
  WaitForTurn(lock, *lane.recorded);
  ++calls_;
  struct Wake {  // whatever the call did, the next lane may be due now
    std::condition_variable& cv;
    ~Wake() { cv.notify_all(); }
  } wake{turn_cv_};
  return PerformGeneral(lane, site, kind, args, live, lock);
}

bool Rerunner::Lockstep(const Site& site, EffectKind kind, std::string_view args,
                        const LiveCall& live, std::string_view* result) {
  RecordedLane& lane = *lane0_;
  if (!lane.window.empty() || !lane.segments.empty() || lane.closed || !NextEvent()) return false;
  const uint8_t k = uint8_t(kind);
  if (cursor_.lane() != 0 || cursor_.kind() != k) return false;
  const Direction direction = DirectionOf(k);
  if (direction == Direction::kControl) return false;
  if (direction == Direction::kInput) {
    if (cursor_.site() != site.id) return false;
    if (args.empty() && live.fn == nullptr && out_ == nullptr && OpenRun(site, kind)) {
      *result = ServeRun();
      return true;
    }
  }
  const uint64_t seq = CursorSeq(), recorded_site = cursor_.site();
  format::PayloadView recorded, recorded_result;
  cursor_.Take(&recorded, &recorded_result);
  ++read_;
  const uint64_t index = lane.read++;
  if (recorded.spilled() || recorded.size != args.size() ||
      !format::SameBytes(recorded.data, reinterpret_cast<const uint8_t*>(args.data()),
                         args.size())) {
    // Not the call after all: the event joins the window, and the general
    // path decides.
    Recorded e{seq, index, recorded_site, k, false, {}, {}};
    for (auto [view, to] :
         {std::pair{&recorded, &e.args}, std::pair{&recorded_result, &e.result}}) {
      if (!view->spilled()) {
        to->assign(AsChars(view->bytes()));
      } else if (Status s = reader_->ReadWholePayload(*view, to); !s.ok()) {
        throw TraceReadFailed{s.WithContext(fmt::format("rerun stops at seq {}", seq))};
      }
    }
    Held(1, int64_t(e.args.size() + e.result.size()));
    lane.window.push_back(std::move(e));
    return false;
  }
  lane.frontier = index + 1;
  std::string_view served;
  if (!recorded_result.spilled()) {
    served = AsChars(recorded_result.bytes());
  } else if (Status s = reader_->ReadWholePayload(recorded_result, &spilled_); !s.ok()) {
    throw TraceReadFailed{s.WithContext(fmt::format("rerun stops at seq {}", seq))};
  } else {
    served = spilled_;
  }
  if (direction == Direction::kInput) {
    ++summary_->by_site;
  } else {
    ++summary_->outputs_same;
    const EffectSpec* spec = FindEffect(k);
    if (spec->reenact != nullptr) {
      spec->reenact(main_.env, AsBytes(args));
    } else if (options_.live) {
      main_.result.clear();
      if (live.fn != nullptr) {
        live.fn(live.context, &main_.env, args, &main_.result);
        served = main_.result;
      } else {
        served = spec->live(main_.env, AsBytes(args), &main_.result);
      }
    }
  }
  Append(main_, site, kind, AsBytes(args), AsBytes(served));
  *result = served;
  return true;
}

bool Rerunner::OpenRun(const Site& site, EffectKind kind) {
  run_count_ = OpenIntRun(cursor_, site, kind, UINT64_MAX, &int_run_);
  return run_count_ != 0;
}

std::string_view Rerunner::ServeRun() {
  int64_t value = NextOfIntRun();
  format::StoreU64(run_result_, uint64_t(value));  // §13: an i64 is its 8 little-endian bytes
  return {reinterpret_cast<const char*>(run_result_), 8};
}

void Rerunner::SettleRun() {
  if (run_count_ == 0) return;
  uint32_t taken = run_count_ - RunLeft();
  cursor_.SkipIntRun(taken);
  read_ += taken;
  lane0_->read += taken;
  lane0_->frontier = lane0_->read;
  summary_->by_site += taken;
  calls_ += taken;
  run_count_ = 0;
  int_run_.next = int_run_.end = nullptr;
}

std::string_view Rerunner::PerformGeneral(Lane& lane, const Site& site, EffectKind kind,
                                          std::string_view args, const LiveCall& live,
                                          std::unique_lock<std::mutex>& lock) {
  switch (DirectionOf(uint8_t(kind))) {
    case Direction::kOutput: return Output(lane, site, kind, args, live);
    case Direction::kControl: return Control(lane, site, kind, args, live, lock);
    case Direction::kInput: break;
  }
  return Input(lane, site, kind, args, live, lock);
}

std::string_view Rerunner::Input(Lane& lane, const Site& site, EffectKind kind,
                                 std::string_view args, const LiveCall& live,
                                 std::unique_lock<std::mutex>& lock) {
  const uint8_t k = uint8_t(kind);
  RecordedLane& recorded = *lane.recorded;
  How how;
  size_t i = Find(recorded, site, k, AsBytes(args), &how);
  if (how == How::kNone) {
    const Layout* layout = ResultLayout(k);
    if (layout != nullptr && layout->count == 0) {  // time.sleep: nothing to serve
      Append(lane, site, kind, AsBytes(args), {});
      return {};
    }
    if (!options_.live) Unrecorded(&recorded, site, kind, AsBytes(args));
    ++summary_->live;
    lane.result.clear();
    std::string_view result;
    {
      Unlocked unlocked(lock);  // a live call may take long (a request, a command)
      if (live.fn != nullptr) {
        live.fn(live.context, &lane.env, args, &lane.result);
        result = lane.result;
      } else {
        result = FindEffect(k)->live(lane.env, AsBytes(args), &lane.result);
      }
    }
    Append(lane, site, kind, AsBytes(args), AsBytes(result));
    return result;
  }
  switch (how) {
    case How::kSite: ++summary_->by_site; break;
    case How::kKey: ++summary_->by_key; break;
    default: ++summary_->by_kind; break;
  }
  Recorded& e = recorded.window[i];
  lane.result = e.result;
  if (e.args != args) {
    ++summary_->adjusted;
    std::string served = fmt::format("the recorded result of {} (seq {})",
                                     Describe(e.kind, AsBytes(e.args), e.site), e.seq);
    // The recorded result made to fit the call (random.bits(n): n bytes).
    const EffectSpec* spec = FindEffect(k);
    if (spec != nullptr && spec->rerun_fit != nullptr) {
      spec->rerun_fit(AsBytes(args), &lane.result, &served);
    }
    Note(DescribeNow(kind, AsBytes(args), site) + " was served " + served);
  }
  Consume(recorded, i);
  Append(lane, site, kind, AsBytes(args), AsBytes(lane.result));
  return lane.result;
}

void Rerunner::Unrecorded(RecordedLane* lane, const Site& site, EffectKind kind, Bytes args) {
  const uint8_t k = uint8_t(kind);
  // What the recording has instead: the same effect at this place, else
  // the first of the same effect in the window.
  const Recorded* at_site = nullptr;
  const Recorded* nearest = nullptr;
  for (const Recorded& e : lane->window) {
    if (e.index >= lane->frontier + kWindow) break;
    if (e.consumed || e.kind != k) continue;
    if (nearest == nullptr) nearest = &e;
    if (e.site == site.id) {
      at_site = &e;
      break;
    }
  }
  const Recorded* other = at_site != nullptr ? at_site : nearest;
  DriftInfo d{DriftKind::kUnrecordedInput, calls_ - 1, "", DescribeNow(kind, args, site), ""};
  if (threads_started()) d.lane = int64_t(CurrentLane());
  const std::string live = "; to perform such inputs for real: --live";
  if (other != nullptr) {
    std::string recorded = DescribeCall(KindLabel(kind), k, AsBytes(other->args));
    d.expected =
        fmt::format("{} (seq {})", Describe(k, AsBytes(other->args), other->site), other->seq);
    d.hint = "the key differs: the recording has " + recorded +
             (at_site != nullptr ? " at this place" : " nearby") + ", the program now asks for " +
             DescribeCall(KindLabel(kind), k, args) +
             "; rerun serves an input only to the same question (specs/rerun.md §3)" + live;
  } else {
    std::string where = lane->id < kFirstUnrecordedLane
                            ? fmt::format(" within {} events of ", kWindow) +
                                  (lane->id == 0 ? fmt::format("seq {}", lane->frontier)
                                                 : fmt::format("event {} of lane {}",
                                                               lane->frontier, lane->id))
                            : ": the thread making it was not in the recording";
    d.expected = "no unconsumed recorded " + KindLabel(kind) + where;
    d.hint = "the changed program asks for an input the recording does not have" + live;
  }
  drift_ = std::move(d);
  throw DriftError(*drift_);
}

std::string_view Rerunner::Output(Lane& lane, const Site& site, EffectKind kind,
                                  std::string_view args, const LiveCall& live) {
  const uint8_t k = uint8_t(kind);
  const EffectSpec* spec = FindEffect(k);
  // Performed as the new program asks: stdout and stderr always, files only
  // with --live.
  std::string_view live_result;
  if (spec->reenact != nullptr) {
    spec->reenact(lane.env, AsBytes(args));
  } else if (options_.live) {
    lane.result.clear();
    if (live.fn != nullptr) {
      live.fn(live.context, &lane.env, args, &lane.result);
      live_result = lane.result;
    } else {
      live_result = spec->live(lane.env, AsBytes(args), &lane.result);
    }
  }
  RecordedLane& recorded = *lane.recorded;
  Load(recorded, recorded.frontier + kWindow - 1);
  const uint64_t end = recorded.frontier + kWindow;
  std::deque<Recorded>& w = recorded.window;
  size_t match = w.size();
  for (size_t i = 0; i < w.size() && w[i].index < end; ++i) {
    if (!w[i].consumed && w[i].kind == k && w[i].args == args) {
      match = i;
      break;
    }
  }
  if (match == w.size()) {
    Segment& g = recorded.segments[k];
    if (g.added++ == 0) {
      g.first_added.call = calls_ - 1;
      g.first_added.lane = recorded.id;
      g.first_added.now = DescribeCall(KindLabel(kind), k, AsBytes(args));
      g.first_added.now_at = std::string(site.location);
      g.added_bytes = args;
    }
    if (live_result.empty()) {
      lane.result = ZeroPayload(spec->result.layout);
      live_result = lane.result;
    }
    Append(lane, site, kind, AsBytes(args), AsBytes(live_result));
    return live_result;
  }
  // Recorded outputs before the equal one that were not made again: removed.
  for (size_t i = 0; i < match; ++i) {
    Recorded& e = w[i];
    if (!e.consumed && DirectionOf(e.kind) == Direction::kOutput) {
      Drop(recorded, e);
      e.consumed = true;
    }
  }
  CloseSegments(recorded);
  ++summary_->outputs_same;
  if (live_result.empty()) {
    lane.result = w[match].result;
    live_result = lane.result;
  }
  Consume(recorded, match);
  Append(lane, site, kind, AsBytes(args), AsBytes(live_result));
  return live_result;
}

std::string_view Rerunner::Control(Lane& lane, const Site& site, EffectKind kind,
                                   std::string_view args, const LiveCall& live,
                                   std::unique_lock<std::mutex>& lock) {
  // Scheduling, neither input nor output: the action runs (a thread gets its
  // lane, a tape::Mutex is acquired), and the recorded event it matches is
  // consumed without being compared.
  lane.result.clear();
  if (kind == EffectKind::kMutexLock && threads_started() && live.fn != nullptr) {
    AcquireMutex(lane, live.context, lock);
  } else if (live.fn != nullptr) {
    live.fn(live.context, &lane.env, args, &lane.result);
  }
  RecordedLane& recorded = *lane.recorded;
  size_t i = FindControl(recorded, site, uint8_t(kind));
  bool matched = i < recorded.window.size();
  if (kind == EffectKind::kThreadStart && lane.result.size() == 4) {
    // The new thread is served from the recorded lane this start matched.
    uint32_t now = format::LoadU32(AsBytes(lane.result).data());
    const std::string& then = matched ? recorded.window[i].result : std::string();
    uint32_t from = then.size() == 4 ? format::LoadU32(AsBytes(then).data()) : next_unrecorded_++;
    lane_map_[now] = from;
    LaneOf(from).mapped = true;
    live_.insert(from);
    ++summary_->threads;
  }
  if (matched) Consume(recorded, i);
  Append(lane, site, kind, AsBytes(args), AsBytes(lane.result));
  return lane.result;
}

// --- version markers (specs/rerun.md §3) ----------------------------------------

bool Rerunner::HasVersionMarker(const Site& site, std::string_view change_id) {
  // A marker for the change among the events the call may be served from:
  // served as an input (by site, else by key). None: the trace predates it.
  if (run_count_ != 0) SettleRun();
  std::unique_lock<std::mutex> lock;
  Lane* lane = &main_;
  if (threads_started()) {
    lane = static_cast<Lane*>(CurrentLaneContext(site));
    lock = std::unique_lock(mu_);
  } else {
    CheckThread(site);
  }
  if (drift_) throw DriftError(*drift_);
  RecordedLane& recorded = *lane->recorded;
  Load(recorded, recorded.frontier + kWindow - 1);
  const uint64_t end = recorded.frontier + kWindow;
  for (const Recorded& e : recorded.window) {
    if (e.index >= end) break;
    if (!e.consumed && e.kind == uint8_t(EffectKind::kVersionMarker) && e.args == change_id) {
      return true;
    }
  }
  return false;
}

void Rerunner::OnVersionNotRecorded(const Site& site, std::string_view change_id, int32_t min) {
  std::unique_lock<std::mutex> lock;
  Lane* lane = &main_;
  if (threads_started()) {
    lane = static_cast<Lane*>(CurrentLaneContext(site));
    lock = std::unique_lock(mu_);
  }
  ++calls_;
  uint8_t bytes[4];
  format::StoreU32(bytes, uint32_t(min));
  Append(*lane, site, EffectKind::kVersionMarker, AsBytes(change_id), Bytes(bytes, 4));
}

void Rerunner::RaiseDrift(DriftInfo info) {
  if (threads_started()) {
    std::lock_guard lock(mu_);
    if (!drift_) drift_ = std::move(info);
  } else if (!drift_) {
    drift_ = std::move(info);
  }
  turn_cv_.notify_all();
  throw DriftError(*drift_);
}

void Rerunner::OnUserKind(EffectKind, std::string_view) {}  // defined in the output trace on first use

// --- the output trace -------------------------------------------------------------

void Rerunner::Append(Lane& lane, const Site& site, EffectKind kind, Bytes args, Bytes result) {
  if (out_ == nullptr) return;
  if (out_sites_.insert(site.id).second) out_->DefineSite(site.id, site.location);
  uint8_t k = uint8_t(kind);
  if (k >= kFirstUserKind && !out_kinds_[k]) {
    out_kinds_[k] = true;
    out_->DefineKind(k, UserKindName(kind));
  }
  if (lane.queue != nullptr) {
    out_->AppendFromLane(lane.queue, lane.lane, site.id, k, args, result);
  } else {
    out_->Append(site.id, k, args, result);
  }
  if (!out_->ok()) throw TraceWriteFailed{};
}

// --- the end -------------------------------------------------------------------

void Rerunner::Finish() {
  SettleRun();
  // The windows first (their events come before the rest of the trace),
  // then the events not read yet: every lane is closed, the ones first seen
  // now too, so each is counted as it is read.
  finishing_ = true;
  for (uint32_t id : LaneIds()) CloseWindow(recorded_[id]);
  while (ReadOne()) {
  }
  for (uint32_t id : LaneIds()) CloseSegments(recorded_[id]);
  if (out_of_turn_ != 0) {
    Note(fmt::format("{} calls of threads went out of the recorded order: every running thread "
                     "waited and the one whose call was due no longer made it",
                     out_of_turn_));
  }
}

void Rerunner::Stop() {
  SettleRun();
  uint64_t held = 0;
  for (uint32_t id : LaneIds()) {
    RecordedLane& lane = recorded_[id];
    // The comparison since the last equal output is cut short: the outputs
    // added since then stand for the recorded outputs of their kind that
    // come next (as the end of the program would have paired them), and
    // only the rest of the recording is not reached.
    for (auto& [kind, g] : lane.segments) {
      for (Recorded& e : lane.window) {
        if (g.removed >= g.added || e.index >= lane.frontier + kWindow) break;
        if (e.consumed || e.kind != kind) continue;
        Drop(lane, e);
        e.consumed = true;
      }
    }
    for (const Recorded& e : lane.window) held += e.consumed ? 0 : 1;
    CloseSegments(lane);
  }
  uint64_t in_trace = reader_->event_count() - reader_->missing_events();
  summary_->not_reached = held + (in_trace > read_ ? in_trace - read_ : 0);
}

std::vector<uint32_t> Rerunner::LaneIds() const {
  std::vector<uint32_t> ids;
  for (const auto& [id, lane] : recorded_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace tape::engine
