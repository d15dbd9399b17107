// Recorder: a Runtime that performs each effect for real and appends the
// event to a TraceWriter.

#ifndef TAPE_ENGINE_RECORDER_H_
#define TAPE_ENGINE_RECORDER_H_

#include <string>
#include <unordered_set>
#include <vector>

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

  int64_t ClockNowAt(const Site& site) override;
  std::string RandomBitsAt(const Site& site, uint32_t n) override;
  int IoWriteAt(const Site& site, std::string_view bytes) override;
  FsReadResult FsReadAt(const Site& site, std::string_view path) override;
  int FsWriteAt(const Site& site, std::string_view path, std::string_view data) override;
  std::optional<std::string> EnvGetAt(const Site& site, std::string_view name) override;
  std::vector<std::string> ArgsGetAt(const Site& site) override;
  void TimeSleepAt(const Site& site, uint64_t ms) override;
  uint64_t seq() const override { return writer_->events(); }

 private:
  void Append(const Site& site, EffectKind kind, format::Bytes args, format::Bytes result) {
    if (known_sites_[site.id & (kKnownSlots - 1)] != site.id) DefineSite(site);
    writer_->Append(site.id, uint8_t(kind), args, result);
    if (!writer_->ok()) throw TraceWriteFailed{};
  }
  void DefineSite(const Site& site);

  static constexpr size_t kKnownSlots = 64;
  format::TraceWriter* writer_;
  std::vector<std::string> args_;
  int stdout_fd_;
  uint64_t known_sites_[kKnownSlots] = {};  // direct-mapped cache of defined sites
  std::unordered_set<uint64_t> defined_;
  std::string args_scratch_, result_scratch_;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RECORDER_H_
