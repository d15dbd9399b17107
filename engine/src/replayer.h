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
#include <functional>
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
  // ahead on a thread of their own (format::ChunkStream). `first_seq`: the
  // replay starts there, as if events 0..first_seq-1 had been served (a
  // debugger restoring a snapshot); throws TraceReadFailed when the trace
  // cannot be read there. io.write and io.error show the recorded output
  // again on `stdout_fd` and `stderr_fd`.
  Replayer(const format::TraceReader* reader, int stdout_fd, bool read_ahead = true,
           uint64_t first_seq = 0, int stderr_fd = 2);

  // Replayed output (io.write, io.error) goes to `hook` instead of the
  // process's stdout and stderr: a debugger shows each event's output once,
  // however often it runs the same events again.
  using OutputHook = std::function<void(uint64_t seq, EffectKind kind, std::string_view bytes)>;
  void set_output_hook(OutputHook hook) { output_hook_ = std::move(hook); }
  // Calls `stop` (once) just before event `seq` is served (`--stop-at`).
  void StopAt(uint64_t seq, void (*stop)(uint64_t seq)) {
    stop_at_ = seq;
    on_stop_ = stop;
  }

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override {
    return seq_ + uint64_t(int_run_.next - run_begin_) + (payload_run_.count - payload_run_.left);
  }

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
  bool HasVersionMarker(const Site& site, std::string_view change_id) override;
  [[noreturn]] void RaiseDrift(DriftInfo info) override { Drift(std::move(info)); }

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
  // served by reading its value (by the typed method itself for clock.now,
  // here for the others). Any other call first settles the run (moves the
  // cursor past the events served) and then goes the general way. Runs open
  // only before threads start.
  std::string_view ServeRun() {
    int64_t value = NextOfIntRun();
    // §13: an i64 result is its 8 little-endian bytes.
    format::StoreU64(run_result_, uint64_t(value));
    return {reinterpret_cast<const char*>(run_result_), 8};
  }
  // Payload runs (ChunkCursor::PayloadRunLeft), in Runtime::payload_run_:
  // while one is open, a call at its site and kind whose args are the next
  // event's recorded args gets that event's recorded result, without the
  // general match (and io.write is re-enacted). Any other call settles the
  // run as above.
  bool PayloadRunServes(const Site& site, EffectKind kind, std::string_view args) const {
    return payload_run_.left != 0 && site.id == payload_run_.site && kind == payload_run_.kind &&
           args.size() == payload_run_.args_size &&
           format::SameBytes(payload_run_.args, format::AsBytes(args).data(), args.size());
  }
  std::string_view ServePayloadRun(std::string_view args) {
    std::string_view result(reinterpret_cast<const char*>(payload_run_.result),
                            payload_run_.result_size);
    NextOfPayloadRun();
    if (payload_reenact_ != nullptr) payload_reenact_(env_, format::AsBytes(args));
    return result;
  }
  void SettleRun() {
    uint32_t taken = uint32_t(int_run_.next - run_begin_);
    cursor_.SkipIntRun(taken);
    seq_ += taken;
    int_run_.next = int_run_.end = run_begin_ = nullptr;
    taken = payload_run_.count - payload_run_.left;
    cursor_.SkipPayloadRun(taken);
    seq_ += taken;
    payload_run_ = PayloadRun();
  }
  // Whether the cursor's next event is a call at `site` of `kind` (and no
  // drift happened).
  bool NextEventIs(const Site& site, EffectKind kind) const;
  // Opens the integer or payload run that the next event starts, if it is
  // this call's.
  bool OpenRun(const Site& site, EffectKind kind);
  bool OpenPayloadRun(const Site& site, EffectKind kind);
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

  // Before serving event stop_at_ (integer and payload runs are opened to
  // end before it, so that the event goes through PerformSlow).
  void ReachedStop() {
    stop_at_ = UINT64_MAX;
    on_stop_(seq_);
  }

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

  // Where the open integer run (Runtime::int_run_) started (seq_ counts
  // none of its events); guarded by being single-threaded.
  const int64_t* run_begin_ = nullptr;
  uint8_t run_result_[8];
  void (*payload_reenact_)(LiveEnv&, format::Bytes) = nullptr;  // the open payload run's effect's

  uint64_t stop_at_ = UINT64_MAX;
  void (*on_stop_)(uint64_t seq) = nullptr;
  OutputHook output_hook_;
  // Shows the output of the event just served.
  void Reenact(const EffectSpec& spec, EffectKind kind, std::string_view args) {
    if (output_hook_) {
      output_hook_(seq_ - 1, kind, args);
    } else {
      spec.reenact(env_, format::AsBytes(args));
    }
  }

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
