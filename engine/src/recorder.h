// Recorder: a Runtime that performs each effect for real and appends the
// event to a TraceWriter.

#ifndef TAPE_ENGINE_RECORDER_H_
#define TAPE_ENGINE_RECORDER_H_

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/effects/live_env.h"
#include "engine/effects/random_source.h"
#include "engine/effects/wall_clock.h"
#include "engine/effects/registry.h"
#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "engine/internal/secret_finder.h"
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
  ~Recorder() override;

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override {
    // The common recording (no chaos, redaction or threads; a built-in
    // effect that does not wait) is one predictable branch, the effect and
    // the column stores. Which recordings take it is decided when they
    // change (ChoosePath), not per event.
    if (plain_kinds_[uint8_t(kind)] && live.fn == nullptr) [[likely]] {
      CheckThread(site);
      std::string_view result =
          FindEffect(uint8_t(kind))->live(main_.env, format::AsBytes(args), &main_.result);
      AppendPlain(site, kind, format::AsBytes(args), format::AsBytes(result));
      return result;
    }
    return PerformGeneral(site, kind, args, live);
  }
  uint64_t seq() const override { return writer_->events(); }
  // Perturbs results per `chaos` (nullptr: none). `chaos` must outlive the
  // recorder.
  void SetChaos(Chaos* chaos) {
    chaos_ = chaos;
    ChoosePath();
  }

  // Whether RecordPerformed may be used: no chaos, no redaction, one thread.
  bool plain() const {
    return chaos_ == nullptr && !redacting_ && !threads_started();
  }
  // Records an input effect its caller performed itself, with that result
  // (tape's interposer reads the vDSO's clocks so, without the effect
  // table's indirection). REQUIRES: plain().
  void RecordPerformed(const Site& site, EffectKind kind, Bytes args, Bytes result) {
    CheckThread(site);
    AppendPlain(site, kind, args, result);
  }

  // Record-time redaction (specs/trace-format.md §13.6). Records with their
  // values redacted: env.get of the variables matching `env_globs`
  // (fnmatch), the values of the HTTP headers (request and response) whose
  // names match `header_globs` (fnmatch, any case), and the text the
  // patterns of `patterns` match in any byte field; and every later copy of
  // a value so redacted (RecordOptions::redact_env, redact_header,
  // redact_match). Call before the program runs.
  void Redact(std::vector<std::string> env_globs, std::vector<std::string> header_globs,
              SecretFinder patterns);
  bool redacting() const { return redacting_; }
  // The program cannot change its environment (a script): env.get may
  // read each variable once (LiveEnv::fixed_environment). Call before the
  // program runs.
  void FixEnvironment();
  // `text` (the outcome's message, the script's source) with what the
  // patterns match and the copies of the values redacted so far replaced by
  // their markers, as in the events, and also where it quotes a value or
  // shows it cut short (MessageValueFinder). False, leaving `out` alone,
  // when there is nothing to replace.
  bool RedactText(std::string_view text, std::string* out);

 protected:
  // The plain recording's clock.now and random.bits(n) (n up to 15, what a
  // std::string holds without allocating): the reading and the event, with
  // no effect table, result buffer or thread check between them (the caller
  // is on the runtime's own thread). Any other recording goes to Perform.
  int64_t OwnClockNow(const Site& site) override {
    // What is not this common case is in calls of its own, so that the
    // function saves and restores few registers.
    if (!plain_) [[unlikely]] return PerformClockNowCold(site);
    int64_t ns = WallClockNs();
    if (main_.known_sites[site.id & (kKnownSlots - 1)] != site.id ||
        !writer_->TryAppendPlainU64(cursor_, site.id, uint8_t(EffectKind::kClockNow),
                                    uint64_t(ns))) [[unlikely]] {
      AppendClockSlow(site, ns);
    }
    if (!writer_->ok()) [[unlikely]] WriteFailed();
    return ns;
  }
  std::string OwnRandomBits(const Site& site, uint32_t n) override {
    if (!plain_ || n > kSmallDraw) [[unlikely]] {
      return PerformRandomBits(site, n);
    }
    return RecordSmallDraw(site, n);
  }
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
    std::string redacted[3];  // Redact: the args and result the trace stores, the result fitted
  };

  // Perform for every call the plain path does not take.
  std::string_view PerformGeneral(const Site& site, EffectKind kind, std::string_view args,
                                  const LiveCall& live);
  // Sets plain_kinds_ for what the recording is now: the kinds whose calls
  // take the plain path (built-in effects that do not wait for the outside
  // world), or none while chaos, redaction, threads or a user effect's
  // function are on. Called whenever one of those changes.
  void ChoosePath();
  // Sets plain_kinds_ and plain_ together: every path that reads either
  // must agree.
  void SetPlain(bool plain);

  // OwnRandomBits' draw: n bytes into a std::string's own buffer.
  static constexpr uint32_t kSmallDraw = 15;
  std::string RecordSmallDraw(const Site& site, uint32_t n) {
    char drawn[kSmallDraw];
    DrawRandom(drawn, n);
    uint8_t args[4];
    format::StoreU32(args, n);
    AppendPlain(site, EffectKind::kRandomBits, args, {reinterpret_cast<uint8_t*>(drawn), n});
    return std::string(drawn, n);
  }
  // Records an event of the plain recording (no chaos, redaction or
  // threads; no marks, no duration): the trace writer's hot path.
  // The common case has no call in it, so that the hot paths inlining it
  // save and restore few registers; the rest is AppendPlainSlow's.
  void AppendPlain(const Site& site, EffectKind kind, Bytes args, Bytes result) {
    if (main_.known_sites[site.id & (kKnownSlots - 1)] != site.id ||
        !writer_->TryAppendPlain(cursor_, site.id, uint8_t(kind), args, result)) [[unlikely]] {
      AppendPlainSlow(site, kind, args, result);
    }
    if (!writer_->ok()) [[unlikely]] WriteFailed();
  }
  [[gnu::noinline, gnu::cold]] void AppendPlainSlow(const Site& site, EffectKind kind, Bytes args,
                                                    Bytes result);
  [[noreturn, gnu::noinline, gnu::cold]] static void WriteFailed() { throw TraceWriteFailed{}; }
  // OwnClockNow's uncommon cases: a recording that is not plain, and an
  // event AppendPlain's common case does not take.
  [[gnu::noinline, gnu::cold]] int64_t PerformClockNowCold(const Site& site);
  [[gnu::noinline, gnu::cold]] void AppendClockSlow(const Site& site, int64_t ns);
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
  // Append for a recording with redaction rules: stores markers in place of
  // the values a live effect asked to redact (LiveEnv::redact_marks), of the
  // named headers' values, of what the patterns match and of the copies of
  // redacted values in args and results (§13.6). `time_ns` and
  // `duration_ns` as for Append; `marks`: the event's other marks (perturbed).
  void AppendRedacted(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                      std::string_view result, int64_t time_ns = 0, uint64_t duration_ns = 0,
                      uint8_t marks = 0);
  // The args (`args`) or result of an event with what the rules redact in it
  // replaced by markers, into `out`; true if something was.
  // REQUIRES: redact_mu_ held.
  bool RedactPart(EffectKind kind, bool args, bool whole, Bytes payload, std::string* out);
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
  // The writer's cursor into the chunk being built, attached here
  // (TraceWriter::AttachCursor) for as long as the recorder lives, so that
  // the plain path's stores find the columns one load from the recorder.
  format::ChunkBuilder::Cursor cursor_;
  // Whether the recording is plain (ChoosePath): clock.now and random.bits,
  // built-in effects that do not wait, are then among plain_kinds_. Beside
  // the cursor, one load from the recorder.
  bool plain_ = false;
  // Per kind: whether Perform's plain path serves its calls: all false, or
  // plain_table_ (ChoosePath).
  const bool* plain_kinds_;
  std::array<bool, 256> plain_table_{};  // built-in effects that do not wait
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
  // Redact: the rules (read-only once the program runs), and the markers and
  // values redacted so far, shared by the lanes so that a value has one
  // marker in the whole trace.
  bool redacting_ = false;
  std::vector<std::string> redact_env_;
  std::vector<std::string> redact_headers_;
  std::mutex redact_mu_;
  MarkerTable markers_;  // guarded by redact_mu_
  SecretFinder finder_;  // the patterns and the values redacted; guarded by redact_mu_
  // The same values, as the outcome message may show them; guarded by redact_mu_.
  MessageValueFinder message_values_;
  std::vector<ByteRange> ranges_;                // guarded by redact_mu_
  std::vector<NamedValue> named_values_;         // guarded by redact_mu_
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RECORDER_H_
