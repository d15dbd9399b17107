// Replayer: a Runtime that answers each effect call with the recorded
// result, after checking that the call is the one the recording holds.
//
// The match is, in order: is there a next event (EndOfTrace), does it come
// from the same site (SiteMismatch), is it the same effect (KindMismatch),
// with the same args (ArgsMismatch). The first failure is kept (sticky) and
// thrown as tape::DriftError from this and every later call.

#ifndef TAPE_ENGINE_REPLAYER_H_
#define TAPE_ENGINE_REPLAYER_H_

#include <deque>
#include <optional>
#include <string>

#include "engine/src/effect_table.h"
#include "engine/src/live_effects.h"
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

class Replayer final : public Runtime {
 public:
  // `reader` must outlive the replayer.
  Replayer(const format::TraceReader* reader, int stdout_fd);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return seq_; }

  const std::optional<DriftInfo>& drift() const { return drift_; }

 protected:
  void OnUserKind(EffectKind, std::string_view) override {}
  [[noreturn]] void BadResult(EffectKind kind) override;

 private:
  // Matches the next event against (site, kind, args); returns its result.
  format::PayloadView Match(const Site& site, EffectKind kind, format::Bytes args) {
    if (drift_ || cursor_.at_end() || cursor_.site() != site.id ||
        cursor_.kind() != uint8_t(kind)) [[unlikely]] {
      return MatchSlow(site, kind, args);
    }
    uint32_t i = cursor_.index();
    format::PayloadView recorded, result;
    cursor_.Take(&recorded, &result);
    if (recorded.spilled() || recorded.size != args.size() ||
        (!args.empty() && std::memcmp(recorded.data, args.data(), args.size()) != 0))
        [[unlikely]] {
      ArgsDrift(i, site, kind, args);
    }
    ++seq_;
    return result;
  }
  format::PayloadView MatchSlow(const Site& site, EffectKind kind, format::Bytes args);
  // Checks spilled args by checksum; drifts unless they are the recorded ones.
  void ArgsDrift(uint32_t i, const Site& site, EffectKind kind, format::Bytes args);
  [[noreturn]] void Drift(DriftInfo info);
  void LoadNextChunk();
  // The result's bytes, reading a spilled payload from its BLOB records.
  format::Bytes ResultBytes(const format::PayloadView& result) {
    if (!result.spilled()) [[likely]] return result.bytes();
    return SpilledBytes(result);
  }
  format::Bytes SpilledBytes(const format::PayloadView& result);
  std::string RecordedCall(uint32_t i) const;
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
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_REPLAYER_H_
