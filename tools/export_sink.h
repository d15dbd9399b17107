// The formats `tape export` writes, each a sink that sees the selected events
// one at a time, in seq order, and writes them as they come: memory stays
// flat however many events are exported.
//
//   chrome    Chrome's Trace Event JSON (Perfetto UI, chrome://tracing,
//             speedscope): one track per lane (thread: tid = lane), an instant event per
//             effect, or a complete event ("X") with its duration for an
//             effect whose duration was measured (§7.8: sleeps, files, HTTP,
//             processes, user effects).
//   perfetto  Perfetto's protobuf trace (TracePacket / TrackEvent) with
//             interned names: the same tracks and events, smaller and faster
//             to load for large ranges.
//   csv       one row per event: seq, lane, time, duration, kind, site,
//             location, args and result (the payloads as JSON text).
//   jsonl     one JSON object per line, the objects of `tape inspect --json`.

#ifndef TAPE_TOOLS_EXPORT_SINK_H_
#define TAPE_TOOLS_EXPORT_SINK_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/status.h"
#include "format/trace_reader.h"

namespace tape::cli {

// A file written through a large buffer. Write errors are sticky and
// reported by Close().
class ExportOutput {
 public:
  // `file` is owned (closed by Close) unless it is stdout.
  ExportOutput(std::FILE* file, std::string name);
  ~ExportOutput();
  void Write(std::string_view bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      failed_ = true;
    }
  }
  bool ok() const { return !failed_ && !std::ferror(file_); }
  Status Close();

 private:
  std::FILE* file_;
  std::string name_;
  bool failed_ = false;
  bool closed_ = false;
};

struct ExportContext {
  const format::TraceReader* reader = nullptr;
  std::string program;    // "builtin program 'dice'"
  int64_t origin_ns = 0;  // time zero of the timeline: the start of the recording
  // Payloads are carried whole up to this size, then cut and marked truncated.
  uint64_t max_payload = 4096;
};

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  // Timeline formats place events by time and skip events of unknown time.
  virtual bool needs_times() const = 0;
  virtual void Begin(const ExportContext& context) = 0;
  virtual void Event(const format::EventView& e) = 0;
  virtual void End() = 0;
};

// True when the file at `path` holds what an earlier `tape export` wrote, in
// any format (recognised by its first bytes), or nothing: export replaces
// such a file without --force, and no other.
bool LooksLikeExport(const std::string& path);

// nullptr for an unknown name.
std::unique_ptr<ExportSink> MakeExportSink(std::string_view format, ExportOutput* out);
inline constexpr const char* kExportFormats = "chrome, perfetto, csv or jsonl";

// The track name of a lane: "lane 0 (main)", "lane 3".
std::string LaneName(uint32_t lane);
// The lanes a timeline has named a track for so far (lane numbers are below
// 65536, §7.3 LANES; 8 KiB).
class SeenLanes {
 public:
  // Whether `lane` was seen before; marks it seen.
  bool Seen(uint32_t lane) {
    if (lane >= seen_.size()) seen_.resize(size_t(lane) + 1, false);
    bool was = seen_[lane];
    seen_[lane] = true;
    return was;
  }

 private:
  std::vector<bool> seen_;
};
// "fs" for fs.read, "user" for a user-defined effect: a category for viewers.
std::string KindCategory(uint8_t kind);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EXPORT_SINK_H_
