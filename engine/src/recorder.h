// Recorder: a Runtime that performs each effect for real and appends the
// event to a TraceWriter.

#ifndef TAPE_ENGINE_RECORDER_H_
#define TAPE_ENGINE_RECORDER_H_

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/effects/live_env.h"
#include "engine/effects/registry.h"
#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "format/trace_writer.h"
#include "tape/runtime.h"

namespace tape::engine {

// Thrown from an effect call when the trace can no longer be written (disk
// full, ...): continuing would run the program without recording it. Not a
// std::exception, for the same reason as DriftError.
struct TraceWriteFailed {};

// Threads (lanes): until the program starts a tape::Thread, lane 0 appends
// straight to the writer. After, each lane appends to its own queue in the
// writer (TraceWriter::AppendFromLane), which takes the event's seq: the
// recorded order is the order in which the calls completed.
class Recorder final : public Runtime {
 public:
  // `writer` must outlive the recorder. io.write and io.error write to
  // `stdout_fd` and `stderr_fd`.
  Recorder(format::TraceWriter* writer, std::vector<std::string> args, int stdout_fd,
           int stderr_fd = 2);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return writer_->events(); }
  // Perturbs results per `chaos` (nullptr: none). `chaos` must outlive the
  // recorder.
  void SetChaos(Chaos* chaos) { chaos_ = chaos; }

  // Whether RecordPerformed may be used: no chaos, no redaction, one thread.
  bool plain() const {
    return chaos_ == nullptr && main_.env.redact_env == nullptr && !threads_started();
  }
  // Records an input effect its caller performed itself, with that result
  // (tape's interposer reads the vDSO's clocks so, without the effect
  // table's indirection). REQUIRES: plain().
  void RecordPerformed(const Site& site, EffectKind kind, Bytes args, Bytes result) {
    CheckThread(site);
    Append(main_, site, kind, args, result);
  }

  // Records env.get of the variables matching `globs` (fnmatch) with their
  // values redacted, and the copies of those values in later events
  // (RecordOptions::redact_env). Call before the program runs.
  void RedactEnv(std::vector<std::string> globs);
  // `text` (the outcome's message) with the copies of the values redacted so
  // far replaced by their markers, as in the events, and also where it
  // quotes a value or shows it cut short (MessageValueFinder).
  std::string RedactCopiesIn(std::string_view text);

 protected:
  void OnUserKind(EffectKind kind, std::string_view name) override;
  [[noreturn]] void Misuse(const std::string& message) override;
  void OnThreadsStart() override;
  std::unique_ptr<LaneContext> NewLaneContext(uint32_t lane) override;
  void OnLaneEnd(LaneContext* context) override;

 private:
  static constexpr size_t kKnownSlots = 64;
  // What one lane (thread) uses while it performs an effect.
  struct Lane : LaneContext {
    LiveEnv env;
    uint64_t known_sites[kKnownSlots] = {};  // direct-mapped cache of defined sites
    std::string result;
    EffectKind in_user_fn{};  // the user effect whose function is running, or 0
    format::LaneQueue* queue = nullptr;  // once threads started
    std::string redacted[2];             // RedactEnv: the args and result the trace stores
  };

  // Records one event of `lane`. `time_ns` and `duration_ns`: when an effect
  // that took time started and how long it took (§7.8; Measured); 0: the
  // event clock's time, no duration.
  void Append(Lane& lane, const Site& site, EffectKind kind, Bytes args, Bytes result,
              uint8_t marks = 0, int64_t time_ns = 0, uint64_t duration_ns = 0) {
    if (lane.known_sites[site.id & (kKnownSlots - 1)] != site.id) DefineSite(lane, site);
    if (lane.queue == nullptr) [[likely]] {
      if (time_ns == 0) [[likely]] {
        writer_->Append(site.id, uint8_t(kind), args, result, marks);
      } else {
        writer_->AppendTimed(site.id, uint8_t(kind), args, result, time_ns, duration_ns, marks);
      }
    } else {
      writer_->AppendFromLane(lane.queue, lane.lane, site.id, uint8_t(kind), args, result, marks,
                              time_ns, duration_ns);
    }
    if (!writer_->ok()) throw TraceWriteFailed{};
  }
  // The time an effect started and how long it took: Start() before the live
  // call, End() right after it (before any redaction work), so the duration
  // is the effect's own.
  struct Measured {
    int64_t begin = 0;
    uint64_t duration = 0;
  };
  Measured Start() { return {writer_->PreciseTime(), 0}; }
  void End(Measured* m) { m->duration = uint64_t(writer_->PreciseTime() - m->begin); }
  void DefineSite(Lane& lane, const Site& site);
  // A built-in effect that waits for the outside world (EffectSpec::measured):
  // its duration is recorded (§7.8). User and control effects (a user
  // function, a thread starting or ending, a mutex acquired) are measured
  // by PerformWithAction.
  std::string_view PerformMeasured(Lane& lane, const Site& site, const EffectSpec& spec,
                                   std::string_view args);
  // Append for a recording with RedactEnv: stores markers in place of the
  // values a live effect asked to redact (LiveEnv::redact_marks) and of the
  // copies of redacted values in args and results (§13.6). `time_ns` and
  // `duration_ns` as for Append; `marks`: the event's other marks (perturbed).
  void AppendRedacted(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                      std::string_view result, int64_t time_ns = 0, uint64_t duration_ns = 0,
                      uint8_t marks = 0);
  // Perform for a user or control effect (runs the caller's function, whose
  // duration is recorded), or an effect called from inside a user effect's
  // function (misuse).
  std::string_view PerformWithAction(Lane& lane, const Site& site, EffectKind kind,
                                     std::string_view args, const LiveCall& live);
  [[noreturn]] void NestedEffect(Lane& lane, EffectKind kind);
  // Perform under a perturbation chaos mode drew (the event is marked).
  // REQUIRES: chaos_mu_ held once threads started.
  std::string_view PerformPerturbed(Lane& lane, const Site& site, EffectKind kind,
                                    std::string_view args, const Perturbation& p);
  // clock.now after a faked wait: the real time plus the waits faked so far.
  // REQUIRES: chaos_mu_ held once threads started.
  std::string_view PerformLateClock(Lane& lane, const Site& site, std::string_view args);
  // Moves a clock.now reading (8 bytes) on by faked_wait_ns_, into `scratch`.
  void ShiftClock(std::string_view* reading, std::string* scratch) const;

  format::TraceWriter* writer_;
  std::vector<std::string> args_;
  Lane main_;
  LiveEnv base_env_;  // what every lane's env starts as (its buffers are not shared)
  std::mutex defined_mu_;
  std::unordered_set<uint64_t> defined_;  // guarded by defined_mu_ once threads started
  Chaos* chaos_ = nullptr;
  std::mutex chaos_mu_;  // the chaos generator's draws, once threads started
  // The time chaos mode's faked timeouts stood for, added to every later
  // clock.now reading (specs/chaos.md §3). Guarded by chaos_mu_ once
  // threads started.
  uint64_t faked_wait_ns_ = 0;
  // RedactEnv: the globs (read-only once the program runs), and the markers
  // and values redacted so far, shared by the lanes so that a value has one
  // marker in the whole trace.
  std::vector<std::string> redact_env_;
  std::mutex redact_mu_;
  MarkerTable markers_;          // guarded by redact_mu_
  ValueFinder redacted_values_;  // guarded by redact_mu_
  // The same values, as the outcome message may show them; guarded by redact_mu_.
  MessageValueFinder message_values_;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RECORDER_H_
