// Recorder: a Runtime that performs each effect for real and appends the
// event to a TraceWriter.

#ifndef TAPE_ENGINE_RECORDER_H_
#define TAPE_ENGINE_RECORDER_H_

#include <string>
#include <unordered_set>
#include <vector>

#include "engine/src/effect_table.h"
#include "engine/src/live_effects.h"
#include "format/trace_writer.h"
#include "tape/runtime.h"

namespace tape::engine {

// Thrown from an effect call when the trace can no longer be written (disk
// full, ...): continuing would run the program without recording it. Not a
// std::exception, for the same reason as DriftError.
struct TraceWriteFailed {};

class Recorder final : public Runtime {
 public:
  // `writer` must outlive the recorder.
  Recorder(format::TraceWriter* writer, std::vector<std::string> args, int stdout_fd);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return writer_->events(); }

 protected:
  void OnUserKind(EffectKind kind, std::string_view name) override;
  [[noreturn]] void Misuse(const std::string& message) override;

 private:
  void Append(const Site& site, EffectKind kind, Bytes args, Bytes result) {
    if (known_sites_[site.id & (kKnownSlots - 1)] != site.id) DefineSite(site);
    writer_->Append(site.id, uint8_t(kind), args, result);
    if (!writer_->ok()) throw TraceWriteFailed{};
  }
  // An event whose effect took from `begin` until now (§7.7).
  void AppendMeasured(const Site& site, EffectKind kind, Bytes args, Bytes result, int64_t begin) {
    int64_t end = writer_->PreciseTime();
    if (known_sites_[site.id & (kKnownSlots - 1)] != site.id) DefineSite(site);
    writer_->AppendTimed(site.id, uint8_t(kind), args, result, begin, uint64_t(end - begin));
    if (!writer_->ok()) throw TraceWriteFailed{};
  }
  // A built-in effect that waits for the outside world: its duration is
  // recorded.
  std::string_view PerformMeasured(const Site& site, EffectKind kind, std::string_view args);
  void DefineSite(const Site& site);
  // Perform for a user effect (runs the user's function), or an effect called
  // from inside one (misuse).
  std::string_view PerformUser(const Site& site, EffectKind kind, std::string_view args,
                               const LiveCall& live);
  [[noreturn]] void NestedEffect(EffectKind kind);

  static constexpr size_t kKnownSlots = 64;
  format::TraceWriter* writer_;
  std::vector<std::string> args_;
  LiveEnv env_;
  uint64_t known_sites_[kKnownSlots] = {};  // direct-mapped cache of defined sites
  std::unordered_set<uint64_t> defined_;
  std::string result_;
  EffectKind in_user_fn_{};  // the user effect whose function is running, or 0
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RECORDER_H_
