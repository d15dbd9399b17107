#include "engine/src/replayer.h"

#include <signal.h>
#include <xxhash.h>

#include <fmt/core.h>

#include <cstring>

#include "engine/internal/effect_text.h"
#include "engine/src/int_run.h"
#include "format/layout.h"

namespace tape::engine {

using format::AsBytes;
using format::Bytes;

namespace {
const format::DecodedChunk kNoChunk;
}  // namespace

Replayer::Replayer(const format::TraceReader* reader, int stdout_fd, bool read_ahead,
                   uint64_t first_seq, int stderr_fd)
    : reader_(reader),
      stream_(reader, format::kDecodeCursor, first_seq == 0 ? 0 : reader->ChunkFor(first_seq),
              read_ahead),
      chunk_(&kNoChunk) {
  env_.stdout_fd = stdout_fd;
  env_.stderr_fd = stderr_fd;
  cursor_.Reset(chunk_);
  const format::KindNames& names = reader->kind_names();
  for (int k = kFirstUserKind; k < 256; ++k) {
    if (!names[k].empty()) SetUserKind(EffectKind(k), names[k]);
  }
  if (first_seq == 0) return;
  size_t c = reader->ChunkFor(first_seq);
  if (c >= reader->chunks().size()) {
    seq_ = first_seq;  // at the end: the next call is past the recording
    return;
  }
  seq_ = reader->chunks()[c].first_seq;
  if (seq_ > first_seq) {  // in a gap of a recovered trace
    throw TraceReadFailed{reader->MissingEvent(first_seq).WithContext(
        fmt::format("replay stops at seq {}", first_seq))};
  }
  LoadNextChunk();
  format::PayloadView args, result;
  while (seq_ < first_seq && !cursor_.at_end()) {
    cursor_.Take(&args, &result);
    ++seq_;
  }
}

std::string_view Replayer::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) {
  if (int_run_.next != int_run_.end && site.id == int_run_.site && kind == int_run_.kind &&
      args.empty() && live.fn == nullptr) [[likely]] {
    CheckThread(site);
    return ServeRun();
  }
  if (PayloadRunServes(site, kind, args) && live.fn == nullptr) [[likely]] {
    CheckThread(site);
    return ServePayloadRun(args);
  }
  return PerformSlow(site, kind, args, live);
}

bool Replayer::NextEventIs(const Site& site, EffectKind kind) const {
  return !drift_ && !cursor_.at_end() && cursor_.site() == site.id &&
         cursor_.kind() == uint8_t(kind);
}

bool Replayer::OpenRun(const Site& site, EffectKind kind) {
  if (!NextEventIs(site, kind)) return false;
  // The run ends before the stop.
  uint64_t limit = stop_at_ != UINT64_MAX && stop_at_ > seq_ ? stop_at_ - seq_ : UINT64_MAX;
  if (OpenIntRun(cursor_, site, kind, limit, &int_run_) == 0) return false;
  run_begin_ = int_run_.next;
  return true;
}

bool Replayer::OpenPayloadRun(const Site& site, EffectKind kind) {
  if (!NextEventIs(site, kind)) return false;
  uint32_t left = cursor_.PayloadRunLeft();
  if (stop_at_ != UINT64_MAX && stop_at_ > seq_ && stop_at_ - seq_ < left) {
    left = uint32_t(stop_at_ - seq_);  // the run ends before the stop
  }
  if (left == 0) return false;
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  // A debugger shows output through its hook, event by event (Reenact).
  if (output_hook_ && spec != nullptr && spec->reenact != nullptr) return false;
  payload_run_.site = site.id;
  payload_run_.kind = kind;
  payload_run_.args = cursor_.args();
  payload_run_.result = cursor_.result();
  payload_run_.args_size = cursor_.args_size();
  payload_run_.result_size = cursor_.result_size();
  payload_run_.left = payload_run_.count = left;
  payload_reenact_ = spec != nullptr ? spec->reenact : nullptr;
  // Runtime::IoWrite serves the run's writes itself (ShowReplayedOutput).
  payload_run_.write_fd = kind == EffectKind::kIoWrite ? env_.stdout_fd : -1;
  return true;
}

std::string_view Replayer::PerformSlow(const Site& site, EffectKind kind, std::string_view args,
                                       const LiveCall& live) {
  if (run_begin_ != nullptr || payload_run_.count != 0) SettleRun();
  if (threads_started()) [[unlikely]] return PerformOnLane(site, kind, args, live);
  if (seq_ == stop_at_) [[unlikely]] ReachedStop();
  CheckThread(site);
  if (args.empty() && live.fn == nullptr && OpenRun(site, kind)) return ServeRun();
  if (live.fn == nullptr && OpenPayloadRun(site, kind)) {
    if (PayloadRunServes(site, kind, args)) return ServePayloadRun(args);
    SettleRun();  // not the recorded args: the general match says how
  }
  // (A version marker's action only says what recording returns: replay
  // serves the stored version.)
  if (live.fn != nullptr && uint8_t(kind) < kFirstUserKind &&
      kind != EffectKind::kVersionMarker) [[unlikely]] {
    // A control effect before any thread (a tape::Mutex in a one-thread
    // program): its action runs now too.
    std::string ran;
    format::PayloadView e = Match(site, kind, AsBytes(args));
    live.fn(live.context, &env_, args, &ran);
    spilled_.assign(format::AsChars(ResultBytes(e)));
    if (ran != spilled_) BadResult(kind);
    return spilled_;
  }
  format::PayloadView e = Match(site, kind, AsBytes(args));
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if (spec != nullptr && spec->reenact != nullptr) [[unlikely]] Reenact(*spec, kind, args);
  return format::AsChars(ResultBytes(e));
}

void Replayer::Drift(DriftInfo info) {
  if (!drift_) {
    info.lane = current_lane_;
    if (info.kind != DriftKind::kEndOfTrace) info.recent = RecentEvents(info.seq, kRecentEvents);
    drift_ = std::move(info);
  }
  throw DriftError(*drift_);
}

std::string Replayer::RecentEvents(uint64_t seq, uint64_t count) const {
  // Re-read from the file: the events before `seq` may be in a chunk the
  // replay has already left. Best effort: a damaged chunk shows nothing.
  uint64_t from = seq > count ? seq - count : 0;
  std::string out;
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (uint64_t s = from; s < seq; ++s) {
    if (chunk.size() == 0 || s < chunk.first_seq() || s >= chunk.first_seq() + chunk.size()) {
      size_t c = reader_->ChunkFor(s);
      if (c >= reader_->chunks().size() ||
          !reader_->ReadChunk(c, format::kDecodeAll, &decoder, &chunk).ok() ||
          s < chunk.first_seq() || s >= chunk.first_seq() + chunk.size()) {
        continue;
      }
    }
    uint32_t i = uint32_t(s - chunk.first_seq());
    std::string call = fmt::format("seq {}  ", s);
    if (chunk.lane(i) != 0) call += fmt::format("[lane {}] ", chunk.lane(i));
    uint8_t kind = chunk.kind(i);
    std::string name = KindName(kind, &reader_->kind_names());
    format::PayloadView args = chunk.args(i), result = chunk.result(i);
    call += args.spilled() ? fmt::format("{}({} bytes)", name, args.size)
                           : DescribeCall(name, kind, args.bytes(), 40);
    if (!result.spilled()) call += " -> " + DescribeResult(kind, result.bytes(), 40);
    std::string where = reader_->SiteLocation(chunk.site(i));
    call += "  at " + (where.empty() ? fmt::format("site {}", chunk.site(i)) : where);
    out += (out.empty() ? "" : "\n") + call;
  }
  return out;
}

namespace {

// "file", line of a site location "file:line:col"; false if it is not one.
bool SplitLocation(std::string_view location, std::string_view* file, uint64_t* line) {
  size_t col = location.rfind(':');
  if (col == std::string_view::npos || col == 0) return false;
  size_t ln = location.rfind(':', col - 1);
  if (ln == std::string_view::npos) return false;
  *file = location.substr(0, ln);
  *line = 0;
  for (char c : location.substr(ln + 1, col - ln - 1)) {
    if (c < '0' || c > '9') return false;
    *line = *line * 10 + uint64_t(c - '0');
  }
  return true;
}

}  // namespace

std::string Replayer::SiteMismatchHint(const Site& site, EffectKind kind, Bytes args) const {
  const char* path = "the program took a different path than the recording";
  // The chunk is decoded for the cursor only (no args(i), site(i)): a copy
  // of the cursor reads the recorded event without moving the replay on.
  format::ChunkCursor peek = cursor_;
  uint64_t recorded_site = peek.site();
  uint8_t recorded_kind = peek.kind();
  format::PayloadView recorded, result;
  peek.Take(&recorded, &result);
  if (recorded_kind != uint8_t(kind) || recorded.spilled() || recorded.size != args.size() ||
      (!args.empty() && std::memcmp(recorded.data, args.data(), args.size()) != 0)) {
    return path;
  }
  // The same call from another line of the same file: code above it moved.
  std::string was = reader_->SiteLocation(recorded_site);
  std::string_view file_was, file_now;
  uint64_t line_was, line_now;
  if (!SplitLocation(was, &file_was, &line_was) ||
      !SplitLocation(site.location, &file_now, &line_now) || file_was != file_now ||
      line_was == line_now) {
    return path;
  }
  return fmt::format(
      "the same call moved from line {} to line {} of {}: the code above it changed. Replay "
      "needs the recorded program; to run the changed one on the recorded inputs: tape rerun",
      line_was, line_now, file_now);
}

// --- threads -------------------------------------------------------------------

std::unique_ptr<Runtime::LaneContext> Replayer::NewLaneContext(uint32_t) {
  return std::make_unique<Lane>();
}

int64_t Replayer::DueLane() {
  if (cursor_.at_end()) {
    if (seq_ >= reader_->event_count()) return -1;
    LoadNextChunk();
  }
  return cursor_.lane();
}

void Replayer::Stuck(uint32_t lane) {
  int64_t due = DueLane();
  current_lane_ = due;
  Drift({DriftKind::kThreadsStuck, seq_,
         fmt::format("the next call is lane {}'s: {}", due, RecordedCall(cursor_.index())),
         fmt::format("every running thread waits: {} for their turn, {} joining a thread",
                     waiting_.size(), outside_),
         fmt::format("lane {} does not make its recorded call; it may be blocked on something "
                     "tape does not see (a std::mutex or condition variable instead of "
                     "tape::Mutex), or the program now joins threads in another order",
                     due)});
  (void)lane;
}

void Replayer::WaitForTurn(std::unique_lock<std::mutex>& lock, uint32_t lane) {
  waiting_.insert(lane);
  struct Leave {
    std::unordered_set<uint32_t>* waiting;
    uint32_t lane;
    ~Leave() { waiting->erase(lane); }
  } leave{&waiting_, lane};
  for (;;) {
    if (drift_) throw DriftError(*drift_);
    if (trace_failure_) throw *trace_failure_;
    int64_t due = DueLane();
    if (due < 0 || due == int64_t(lane)) return;
    if (waiting_.size() + outside_ >= live_lanes_ && !waiting_.contains(uint32_t(due))) {
      Stuck(lane);
    }
    // Timed: a lane blocked outside tape that comes back is seen by the
    // check above on the next round.
    turn_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void Replayer::WaitOutside(const std::atomic<bool>& done) {
  std::unique_lock lock(turn_mu_);
  ++outside_;
  turn_cv_.notify_all();
  while (!done.load() && !drift_) turn_cv_.wait_for(lock, std::chrono::milliseconds(20));
  --outside_;
}

bool Replayer::HasVersionMarker(const Site& site, std::string_view change_id) {
  // The marker is the calling thread's next event, or the trace predates it
  // (specs/trace-format.md §13.6): nothing is consumed then.
  if (run_begin_ != nullptr || payload_run_.count != 0) SettleRun();
  std::unique_lock<std::mutex> lock;
  int64_t lane = 0;
  if (threads_started()) {
    lane = static_cast<Lane*>(CurrentLaneContext(site))->lane;
    lock = std::unique_lock(turn_mu_);
    WaitForTurn(lock, uint32_t(lane));
  } else {
    CheckThread(site);
  }
  if (drift_) throw DriftError(*drift_);
  if (DueLane() != lane || cursor_.kind() != uint8_t(EffectKind::kVersionMarker)) return false;
  format::ChunkCursor peek = cursor_;  // reads the event without moving on
  format::PayloadView args, result;
  peek.Take(&args, &result);
  return !args.spilled() && args.size == change_id.size() &&
         std::memcmp(args.data, change_id.data(), change_id.size()) == 0;
}

std::string_view Replayer::PerformOnLane(const Site& site, EffectKind kind, std::string_view args,
                                         const LiveCall& live) {
  Lane* lane = static_cast<Lane*>(CurrentLaneContext(site));
  std::unique_lock lock(turn_mu_);
  try {
    if (trace_failure_) throw *trace_failure_;
    WaitForTurn(lock, lane->lane);
    if (seq_ == stop_at_) [[unlikely]] ReachedStop();  // in its turn: the other lanes wait
    std::string ran;
    bool acted = false;
    // Past the last recorded event (an interrupted recording) no lane may
    // take a tape::Mutex for real: the recording may have ended with lanes
    // deadlocked on mutexes the others hold, and the acquisition would block
    // forever. Match() reports the end of the trace instead.
    if (live.fn != nullptr && kind == EffectKind::kMutexLock && DueLane() >= 0) {
      // Acquire the mutex in this lane's turn, but without turn_mu_: the
      // lane holding it may need turn_mu_ to get to its unlock. The turn
      // stays this lane's (nothing advanced), so no other lane's event is
      // served meanwhile. The lane counts as running: in a faithful replay
      // the holder unlocks without waiting for a turn (its calls inside the
      // critical section came earlier in the recording).
      lock.unlock();
      live.fn(live.context, &env_, args, &ran);
      lock.lock();
      acted = true;
      if (drift_) throw DriftError(*drift_);
      if (trace_failure_) throw *trace_failure_;
    }
    current_lane_ = lane->lane;
    format::PayloadView e = Match(site, kind, AsBytes(args));
    lane->result.assign(format::AsChars(ResultBytes(e)));
    if (live.fn != nullptr && uint8_t(kind) < kFirstUserKind &&
        kind != EffectKind::kVersionMarker) {
      // A control effect: its action runs in its turn (a tape::Mutex is
      // acquired then, so in the recorded order) and must give the
      // recorded result (thread.start's lane).
      if (!acted) live.fn(live.context, &env_, args, &ran);
      if (ran != lane->result) BadResult(kind);
      if (kind == EffectKind::kThreadStart) ++live_lanes_;
      if (kind == EffectKind::kThreadEnd) --live_lanes_;
    }
    const EffectSpec* spec = FindEffect(uint8_t(kind));
    if (spec != nullptr && spec->reenact != nullptr) [[unlikely]] Reenact(*spec, kind, args);
  } catch (const TraceReadFailed& failed) {
    // Every lane stops with it: the events after it cannot be served.
    if (!trace_failure_) trace_failure_ = failed;
    turn_cv_.notify_all();
    throw;
  } catch (...) {
    turn_cv_.notify_all();
    throw;
  }
  turn_cv_.notify_all();
  return lane->result;
}

void Replayer::LoadNextChunk() {
  Result<const format::DecodedChunk*> next = stream_.Next();
  if (!next.has_value()) throw TraceReadFailed{next.error()};
  // No chunk holds seq_: a gap in a recovered trace (§9.3), or the end.
  if (*next == nullptr || (*next)->first_seq() != seq_) {
    throw TraceReadFailed{
        reader_->MissingEvent(seq_).WithContext(fmt::format("replay stops at seq {}", seq_))};
  }
  chunk_ = *next;
  cursor_.Reset(chunk_);
}

std::string Replayer::RecordedCall(uint32_t i) {
  uint8_t kind = chunk_->kind(i);
  std::string name = KindName(kind, &reader_->kind_names());
  // The chunk decoded fine for the cursor a moment ago, so this succeeds
  // unless the file changed under us.
  if (!full_decoder_) full_decoder_ = std::make_unique<format::ChunkDecoder>();
  Status s = reader_->ReadChunk(chunk_->chunk_number(), format::kDecodeAll, full_decoder_.get(),
                                &full_chunk_);
  if (!s.ok()) return name + " (" + s.message() + ")";
  format::PayloadView args = full_chunk_.args(i);
  std::string call = args.spilled() ? fmt::format("{}({} bytes)", name, args.size)
                                    : DescribeCall(name, kind, args.bytes());
  uint64_t site = full_chunk_.site(i);
  std::string where = reader_->SiteLocation(site);
  return call + " at " + (where.empty() ? fmt::format("site {}", site) : where);
}

std::string Replayer::CallNow(const Site& site, EffectKind kind, Bytes args) const {
  return DescribeCall(KindLabel(kind), uint8_t(kind), args) + " at " + std::string(site.location);
}

format::PayloadView Replayer::MatchSlow(const Site& site, EffectKind kind, Bytes args) {
  if (drift_) throw DriftError(*drift_);
  if (cursor_.at_end()) {
    if (seq_ >= reader_->event_count()) {
      const format::Outcome& ended = reader_->outcome();
      const EffectSpec* spec = FindEffect(uint8_t(kind));
      if (spec != nullptr && spec->ends_on_sigpipe && ended.kind == format::OutcomeKind::kSignal &&
          ended.code == SIGPIPE) {
        throw ReachedRecordedSignal{
            SIGPIPE, fmt::format("at seq {} the recorded program wrote to a closed pipe and was "
                                 "killed by SIGPIPE; replay ends the same way here",
                                 seq_)};
      }
      DriftInfo d{DriftKind::kEndOfTrace, seq_,
                  fmt::format("no more calls (the recording has {})", reader_->event_count()),
                  CallNow(site, kind, args), ""};
      if (!reader_->finalized() || reader_->outcome().kind == format::OutcomeKind::kInterrupted) {
        d.hint = fmt::format(
            "trace ends at seq {}: the recording was interrupted, so replay stops where it stopped",
            seq_);
      } else {
        d.hint = "the program makes more effect calls than it did when recorded";
      }
      Drift(std::move(d));
    }
    LoadNextChunk();
  }
  uint32_t i = cursor_.index();
  if (cursor_.site() != site.id) {
    Drift({DriftKind::kSiteMismatch, seq_, RecordedCall(i), CallNow(site, kind, args),
           SiteMismatchHint(site, kind, args)});
  }
  if (cursor_.kind() != uint8_t(kind)) {
    Drift({DriftKind::kKindMismatch, seq_, RecordedCall(i), CallNow(site, kind, args),
           "the same place in the program now calls a different effect"});
  }
  format::PayloadView recorded, result;
  cursor_.Take(&recorded, &result);
  bool same = recorded.size == args.size() &&
              (recorded.spilled() ? XXH3_64bits(args.data(), args.size()) == recorded.spill_hash
                                  : args.empty() ||
                                        std::memcmp(recorded.data, args.data(), args.size()) == 0);
  if (!same) ArgsDrift(i, recorded, site, kind, args);
  ++seq_;
  return result;
}

void Replayer::ArgsDrift(uint32_t i, format::PayloadView recorded, const Site& site,
                         EffectKind kind, Bytes args) {
  // Redacted args (§13.6) hold markers where the program's args had secrets:
  // there is nothing to compare them with, so the site and kind must do.
  if (chunk_->marks(i) & format::kMarkArgsRedacted) return;
  if (recorded.spilled() && recorded.size == args.size() &&
      XXH3_64bits(args.data(), args.size()) == recorded.spill_hash) {
    return;  // the same large argument, stored outside the chunk
  }
  std::string hint = "the program passed different arguments than when recorded";
  if (!recorded.spilled()) hint += "; " + FirstDifference(recorded.bytes(), args);
  Drift({DriftKind::kArgsMismatch, seq_, RecordedCall(i), CallNow(site, kind, args), hint});
}

Bytes Replayer::SpilledBytes(const format::PayloadView& result) {
  // Bounded by the reader's memory budget; a larger payload is a clear error.
  Status s = reader_->ReadWholePayload(result, &spilled_);
  if (!s.ok()) {
    throw TraceReadFailed{s.WithContext(fmt::format("replay stops at seq {}", seq_ - 1))};
  }
  return AsBytes(spilled_);
}

void Replayer::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      fmt::format("{}: the recorded result of {} at seq {} does not have that effect's layout",
                  reader_->path(), KindName(uint8_t(kind), &reader_->kind_names()), seq_ - 1))};
}

}  // namespace tape::engine
