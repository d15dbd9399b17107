// Replayer: a Runtime that answers each effect call with the recorded
// result, after checking that the call is the one the recording holds.
//
// The match is, in order: is there a next event (EndOfTrace), does it come
// from the same site (SiteMismatch), is it the same effect (KindMismatch),
// with the same args (ArgsMismatch). The first failure is kept (sticky) and
// thrown as tape::DriftError from this and every later call.

#ifndef TAPE_ENGINE_REPLAYER_H_
#define TAPE_ENGINE_REPLAYER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "engine/effects/live_env.h"
#include "engine/effects/registry.h"
#include "format/chunk_cursor.h"
#include "format/chunk_stream.h"
#include "format/trace_reader.h"
#include "tape/drift.h"
#include "tape/runtime.h"

namespace tape::engine {

// Thrown when a chunk cannot be read during replay (a damaged trace).
struct TraceReadFailed {
  Status status;
};

// Thrown when replay reaches the point where the recording was ended by a
// signal that the effect itself raised: an io.write after the last event of
// a recording killed by SIGPIPE (its standard output was a closed pipe).
struct ReachedRecordedSignal {
  int signal;
  std::string note;
};

// Threads (lanes): once the program starts a tape::Thread, every call waits
// for its turn: the recording's next event must be its lane's. Then it is
// matched as above, under one lock, and the lanes waiting are woken. A
// drift in any lane wakes them all with the drift; when every live lane
// waits and none of them is due (the due lane is blocked outside tape),
// replay stops with ThreadsStuck instead of hanging.
class Replayer final : public Runtime {
 public:
  // `reader` must outlive the replayer. `read_ahead`: chunks are decoded
  // ahead on a thread of their own (format::ChunkStream). io.write and
  // io.error show the recorded output again on `stdout_fd` and `stderr_fd`.
  Replayer(const format::TraceReader* reader, int stdout_fd, bool read_ahead = true,
           int stderr_fd = 2);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return seq_ + (run_count_ - int_run_.left); }

  const std::optional<DriftInfo>& drift() const { return drift_; }

  // Stops decoding chunks ahead (joins the read-ahead thread). Call once the
  // program has ended and before leaving the scope that guards reads of the
  // trace: afterwards nothing of this replayer touches the trace's mapping,
  // so a file that shrinks later cannot fault in it. No Perform() after it.
  void StopReadAhead() { stream_.Stop(); }

 protected:
  void OnUserKind(EffectKind, std::string_view) override {}
  [[noreturn]] void BadResult(EffectKind kind) override;
  std::unique_ptr<LaneContext> NewLaneContext(uint32_t lane) override;
  void WaitOutside(const std::atomic<bool>& done) override;
  void OnLaneEnd(LaneContext*) override { turn_cv_.notify_all(); }

 private:
  struct Lane : LaneContext {
    std::string result;  // the last result served to this lane
  };
  std::string_view PerformSlow(const Site& site, EffectKind kind, std::string_view args,
                               const LiveCall& live);
  std::string_view PerformOnLane(const Site& site, EffectKind kind, std::string_view args,
                                 const LiveCall& live);

  // Integer runs (ChunkCursor::IntRunLeft), in Runtime::int_run_: while one
  // is open, a call at its site and kind with no args is its next event,
  // served by adding one delta (by the typed method itself for clock.now,
  // here for the others). Any other call first settles the run (moves the
  // cursor past the events served) and then goes the general way. Runs open
  // only before threads start.
  std::string_view ServeRun() {
    int64_t value = NextOfIntRun();
    // §13: an i64 result is its 8 little-endian bytes.
    format::StoreU64(run_result_, uint64_t(value));
    return {reinterpret_cast<const char*>(run_result_), 8};
  }
  void SettleRun() {
    uint32_t taken = run_count_ - int_run_.left;
    cursor_.SkipIntRun(taken, int_run_.deltas, int_run_.value);
    seq_ += taken;
    run_count_ = int_run_.left = 0;
  }
  // Opens the run that the next event starts, if it is this call's.
  bool OpenRun(const Site& site, EffectKind kind);
  // Waits until the next recorded event is `lane`'s, or the trace ends.
  void WaitForTurn(std::unique_lock<std::mutex>& lock, uint32_t lane);
  // The lane of the next recorded event, or -1 at the end of the trace.
  int64_t DueLane();
  [[noreturn]] void Stuck(uint32_t lane);

  // Matches the next event against (site, kind, args); returns its result.
  // Inlined into every caller: it is the general replay path's hot part.
  [[gnu::always_inline]] format::PayloadView Match(const Site& site, EffectKind kind,
                                                   format::Bytes args) {
    if (drift_ || cursor_.at_end() || cursor_.site() != site.id ||
        cursor_.kind() != uint8_t(kind)) [[unlikely]] {
      return MatchSlow(site, kind, args);
    }
    uint32_t i = cursor_.index();
    format::PayloadView recorded, result;
    cursor_.Take(&recorded, &result);
    if (recorded.spilled() || recorded.size != args.size() ||
        !format::SameBytes(recorded.data, args.data(), args.size())) [[unlikely]] {
      ArgsDrift(i, recorded, site, kind, args);
    }
    ++seq_;
    return result;
  }
  format::PayloadView MatchSlow(const Site& site, EffectKind kind, format::Bytes args);
  // Checks spilled args by checksum; drifts unless they are the recorded ones.
  void ArgsDrift(uint32_t i, format::PayloadView recorded, const Site& site,
                 EffectKind kind, format::Bytes args);
  [[noreturn]] void Drift(DriftInfo info);
  // The recorded events [seq - count, seq), one line each, for drift reports.
  std::string RecentEvents(uint64_t seq, uint64_t count) const;
  static constexpr uint64_t kRecentEvents = 3;
  // Why the call at `site` is not the recorded one at the same seq: another
  // path, or the same call moved to another line.
  std::string SiteMismatchHint(const Site& site, EffectKind kind, format::Bytes args) const;
  void LoadNextChunk();
  // The result's bytes, reading a spilled payload from its BLOB records.
  format::Bytes ResultBytes(const format::PayloadView& result) {
    if (!result.spilled()) [[likely]] return result.bytes();
    return SpilledBytes(result);
  }
  format::Bytes SpilledBytes(const format::PayloadView& result);
  // Event i of the current chunk as text, for drift reports. The stream
  // decodes for the cursor only, so this decodes the chunk again, whole.
  std::string RecordedCall(uint32_t i);
  std::string CallNow(const Site& site, EffectKind kind, format::Bytes args) const;

  const format::TraceReader* reader_;
  LiveEnv env_;
  // Chunks are decoded one ahead on the stream's thread.
  format::ChunkStream stream_;
  const format::DecodedChunk* chunk_;  // the chunk being replayed (empty before the first)
  format::ChunkCursor cursor_;
  uint64_t seq_ = 0;
  std::optional<DriftInfo> drift_;
  std::string spilled_;
  std::unique_ptr<format::ChunkDecoder> full_decoder_;  // for RecordedCall, made on first use
  format::DecodedChunk full_chunk_;

  // The open integer run (Runtime::int_run_) held this many events when it
  // opened (seq_ counts none of them); guarded by being single-threaded.
  uint32_t run_count_ = 0;
  uint8_t run_result_[8];

  // Threads.
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint32_t live_lanes_ = 1;                // started and not ended; guarded by turn_mu_
  std::unordered_set<uint32_t> waiting_;   // lanes waiting for their turn; guarded by turn_mu_
  uint32_t outside_ = 0;                   // lanes joining a thread; guarded by turn_mu_
  int64_t current_lane_ = -1;              // the lane being served, for drift reports
  std::optional<TraceReadFailed> trace_failure_;  // guarded by turn_mu_
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_REPLAYER_H_
