// Rerunner: a Runtime that runs a changed program on a trace's recorded
// inputs (specs/rerun.md).
//
// Recorded events are read in seq order, each into the window of its lane
// (thread). An input takes the first unconsumed event of its lane's window
// with the same site and kind; failing that, the first with the same kind
// and key (the path of fs.read, the name of env.get), then the first of the
// same kind, and gets its recorded result. Outputs are performed as the new
// program asks (io.write goes to stdout) and compared with the lane's
// recorded outputs the way a diff compares two texts: an output equal to a
// recorded one is "same" and anchors the comparison; between two anchors,
// the new outputs are added and the recorded ones not made again are
// removed, and as many of those as pair up are "changed".
//
// A lane's window holds its events from kWindow before the furthest one
// consumed to kWindow after it: an event that falls behind unconsumed
// counts as not asked for (an unused input, a removed output). Work per
// call is bounded by the window, memory by the windows and their payloads.
//
// Lockstep: while the program makes exactly the recorded calls (its window
// holds nothing unconsumed and the next recorded event is the call), a call
// is served straight from the decoded chunk, as replay serves it, without
// copying the event into the window; a run of clock readings is served by
// the typed method itself (Runtime::int_run_). Anything else goes the
// general way, and lockstep resumes once the window is empty again.
//
// Threads: a tape::Thread's lane is served from the recorded lane whose
// thread.start its creation matched (by site, then by kind, in the
// creator's window); a thread the recording does not have gets no recorded
// events. The calls of all lanes go through one lock, and take turns as
// recorded: a call waits while another lane's recorded event comes first
// (so tape::Mutexes are acquired in the recorded order and an unchanged
// program prints what it printed). When every running thread waits (the
// changed program no longer makes the call that is due), the caller goes
// out of turn instead. A thread that ends closes its recorded lane: what
// it did not ask for is counted then.
//
// With an output trace (RerunOptions::out_path), every call is also
// appended to it with the result the program got, so the trace replays the
// program as it is now.

#ifndef TAPE_ENGINE_RERUNNER_H_
#define TAPE_ENGINE_RERUNNER_H_

#include <atomic>
#include <bitset>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/effects/live_env.h"
#include "engine/effects/registry.h"
#include "format/chunk_cursor.h"
#include "format/chunk_stream.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tape/drift.h"
#include "tape/runtime.h"
#include "tape/session.h"

namespace tape::engine {

// Whether events of `kind` are inputs, outputs or control (user effects are
// inputs).
inline Direction DirectionOf(uint8_t kind) {
  const EffectSpec* spec = FindEffect(kind);
  return spec == nullptr ? Direction::kInput : spec->direction;
}

class Rerunner final : public Runtime {
 public:
  // §2 of specs/rerun.md.
  static constexpr uint64_t kWindow = 4096;
  // The most recorded events (and payload bytes) held for lanes other than
  // the one being served: a thread that runs far ahead of the others does
  // not make the rerun buffer the trace. Past it, the lane's search stops at
  // what was read (§7 of specs/rerun.md).
  static constexpr uint64_t kMaxHeldEvents = uint64_t(1) << 20;
  static constexpr uint64_t kMaxHeldBytes = uint64_t(256) << 20;

  // `reader` and `summary` must outlive the rerunner, and `out` (the trace
  // being written, or nullptr) too.
  Rerunner(const format::TraceReader* reader, const RerunOptions& options, RerunSummary* summary,
           format::TraceWriter* out);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return calls_ + (run_count_ - RunLeft()); }

  // After the program ended: counts the recorded events it did not ask for
  // and closes the comparison of outputs.
  void Finish();
  // After the rerun stopped early (an unrecorded input): closes the
  // comparison of the outputs made so far and counts the recorded events
  // not reached, without calling them unused or removed.
  void Stop();
  // Stops decoding chunks ahead; call before leaving the scope that guards
  // reads of the trace. No Perform() after it.
  void StopReadAhead() { stream_.Stop(); }
  // The unrecorded input that stopped the rerun, if any. Sticky: every later
  // call throws it again, so a program that catches it cannot go on.
  const std::optional<DriftInfo>& drift() const { return drift_; }

 protected:
  void OnUserKind(EffectKind kind, std::string_view name) override;
  void OnThreadsStart() override;
  std::unique_ptr<LaneContext> NewLaneContext(uint32_t lane) override;
  void OnLaneEnd(LaneContext* context) override;
  void WaitOutside(const std::atomic<bool>& done) override;
  void OnMutexUnlock(const std::mutex* m) override;
  bool HasVersionMarker(const Site& site, std::string_view change_id) override;
  void OnVersionNotRecorded(const Site& site, std::string_view change_id, int32_t min) override;
  [[noreturn]] void RaiseDrift(DriftInfo info) override;
  [[noreturn]] void BadResult(EffectKind kind) override;

 private:
  // A recorded event read into its lane's window.
  struct Recorded {
    uint64_t seq;
    uint64_t index;  // in its lane
    uint64_t site;
    uint8_t kind;
    bool consumed = false;
    std::string args, result;
  };
  // The outputs of a lane since its last equal one, per kind (only outputs
  // of one kind pair up as changed): how many were added and removed, and
  // the first of each, for the report.
  struct Segment {
    uint64_t added = 0, removed = 0;
    OutputChange first_added, first_removed;
    std::string added_bytes, removed_bytes;
  };
  // One recorded lane: its events read and not yet consumed or dropped.
  struct RecordedLane {
    uint32_t id = 0;
    std::deque<Recorded> window;
    uint64_t read = 0;      // events of the lane read from the trace so far
    uint64_t frontier = 0;  // one past the furthest index consumed
    // No thread of the rerun will ask for the lane's events any more (its
    // thread ended, or no thread took its thread.start): events that arrive
    // are dropped at once.
    bool closed = false;
    // A thread of the rerun is served from it (lane 0, or its thread.start
    // was matched): its events take part in the turns.
    bool mapped = false;
    std::map<uint8_t, Segment> segments;
  };
  // A lane (thread) of the rerun.
  struct Lane : LaneContext {
    RecordedLane* recorded = nullptr;
    LiveEnv env;
    std::string result;
    format::LaneQueue* queue = nullptr;  // the output trace's, once threads started
  };
  enum class How { kNone, kSite, kKey, kKind };

  // The general path, under mu_ once threads started.
  std::string_view PerformGeneral(Lane& lane, const Site& site, EffectKind kind,
                                  std::string_view args, const LiveCall& live,
                                  std::unique_lock<std::mutex>& lock);
  // Lockstep (see above): serves the call from the next recorded event when
  // it is the call; false (having moved nothing) when the general path must.
  bool Lockstep(const Site& site, EffectKind kind, std::string_view args, const LiveCall& live,
                std::string_view* result);
  // Integer runs in lockstep, as the Replayer's.
  bool OpenRun(const Site& site, EffectKind kind);
  // The events of the open integer run not served yet (0: none open).
  uint32_t RunLeft() const { return uint32_t(int_run_.end - int_run_.next); }
  std::string_view ServeRun();
  void SettleRun();

  // Reading the trace.
  bool NextEvent();  // positions cursor_ at the next event; false at the end
  uint64_t CursorSeq() const { return chunk_->first_seq() + cursor_.index(); }
  void TakeEvent(Recorded* r);  // the event at cursor_, whose payloads are copied; moves on
  bool ReadOne();               // reads the next event into its lane; false at the end
  // Reads events until `lane` holds index `upto` (or the trace ends, or the
  // held events reach their bound).
  void Load(RecordedLane& lane, uint64_t upto);
  RecordedLane& LaneOf(uint32_t id);

  // Matching within a lane.
  size_t Find(RecordedLane& lane, const Site& site, uint8_t kind, format::Bytes args, How* how);
  size_t FindControl(RecordedLane& lane, const Site& site, uint8_t kind);
  void Consume(RecordedLane& lane, size_t i);
  // A recorded event not asked for (or removed): counted, and for a
  // thread.start, its lane closed.
  void Drop(RecordedLane& lane, const Recorded& e);
  void CloseLane(RecordedLane& lane);
  // Closes the lane and drops its unconsumed events; segments stay open.
  void CloseWindow(RecordedLane& lane);
  std::vector<uint32_t> LaneIds() const;  // of the recorded lanes, in order
  void CloseSegments(RecordedLane& lane);
  void CloseSegment(Segment& g);

  std::string_view Input(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                         const LiveCall& live, std::unique_lock<std::mutex>& lock);
  std::string_view Output(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                          const LiveCall& live);
  std::string_view Control(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live, std::unique_lock<std::mutex>& lock);
  // UnrecordedInput for a call with no recorded event to serve it.
  [[noreturn]] void Unrecorded(RecordedLane* lane, const Site& site, EffectKind kind,
                               format::Bytes args);

  // Turns (threads): the recorded lane whose event comes first among the
  // lanes served, or -1 when none has one left.
  int64_t DueLane();
  void WaitForTurn(std::unique_lock<std::mutex>& lock, const RecordedLane& lane);
  // Whether lane `id`'s thread cannot go on by itself: it waits for its
  // turn, joins a thread, or waits for a tape::Mutex held by such a thread.
  bool Blocked(uint32_t id, int depth = 0) const;
  // The recorded lane of the calling thread (-1 for one tape does not know).
  int64_t CallingLane();
  void AcquireMutex(Lane& lane, void* action, std::unique_lock<std::mutex>& lock);

  // The output trace.
  void Append(Lane& lane, const Site& site, EffectKind kind, format::Bytes args,
              format::Bytes result);

  std::string Describe(uint8_t kind, format::Bytes args, uint64_t site) const;
  std::string DescribeNow(EffectKind kind, format::Bytes args, const Site& site) const;
  void Note(std::string note);
  void Held(int64_t events, int64_t bytes);

  const format::TraceReader* reader_;
  const RerunOptions options_;
  RerunSummary* summary_;
  format::TraceWriter* out_;

  // Reading: chunks decoded ahead, walked by a cursor.
  format::ChunkStream stream_;
  const format::DecodedChunk* chunk_;
  format::ChunkCursor cursor_;
  bool ended_ = false;  // the stream has no more chunks
  uint64_t read_ = 0;   // events read from the trace (into windows, dropped, or served in lockstep)
  std::string spilled_;

  // Recorded lanes by id (node-based: references stay valid).
  std::unordered_map<uint32_t, RecordedLane> recorded_;
  RecordedLane* lane0_;
  uint64_t held_events_ = 0, held_bytes_ = 0;  // in all windows
  bool held_full_noted_ = false;
  bool finishing_ = false;  // Finish(): every lane is closed, new ones too
  // The rerun's lanes (numbered in the order its threads start) mapped to
  // the recorded lanes they are served from, set at thread.start.
  std::unordered_map<uint32_t, uint32_t> lane_map_;
  uint32_t next_unrecorded_ = 0;  // ids above every recorded lane, for threads it lacks

  Lane main_;
  uint64_t calls_ = 0;
  std::optional<DriftInfo> drift_;
  std::mutex mu_;  // everything above and the turns, once threads started
  std::condition_variable turn_cv_;
  // The threads running (started and not ended), by the recorded lane they
  // are served from, and which of them wait: for their turn, for a thread
  // they join, for a tape::Mutex (which one), and which thread holds each
  // tape::Mutex acquired and not yet unlocked.
  std::unordered_set<uint32_t> live_;
  std::unordered_set<uint32_t> waiting_;
  std::unordered_map<uint32_t, uint32_t> joining_;  // lane -> joins in progress
  std::unordered_map<uint32_t, const std::mutex*> acquiring_;
  std::unordered_map<const std::mutex*, uint32_t> holders_;
  uint64_t out_of_turn_ = 0;  // calls that went out of turn (every thread waited)

  // The open integer run (Runtime::int_run_) held this many events when it opened.
  uint32_t run_count_ = 0;
  uint64_t run_site_ = 0;
  uint8_t run_result_[8];

  // The output trace: sites and kinds it defines already.
  std::unordered_set<uint64_t> out_sites_;
  std::bitset<256> out_kinds_;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RERUNNER_H_
