// Rerunner: a Runtime that runs a changed program on a trace's recorded
// inputs (specs/rerun.md).
//
// Recorded events are read in seq order into a window. An input takes the
// first unconsumed event in the window with the same site and kind; failing
// that, the first with the same kind and key (the path of fs.read, the name
// of env.get), then the first of the same kind, and gets its recorded result.
// Outputs are performed as the new program asks (io.write goes to stdout) and
// compared with the recording the way a diff compares two texts: an output
// equal to a recorded one is "same" and anchors the comparison; between two
// anchors, the new outputs are added and the recorded ones not made again
// are removed, and as many of those as pair up are "changed".
//
// The window holds events from kWindow before the furthest event consumed to
// kWindow after it: an event that falls behind unconsumed counts as not asked
// for (an unused input, a removed output). Work per call is bounded by the
// window, memory by the window and its payloads.

#ifndef TAPE_ENGINE_RERUNNER_H_
#define TAPE_ENGINE_RERUNNER_H_

#include <deque>
#include <map>
#include <string>

#include "engine/effects/live_env.h"
#include "engine/effects/registry.h"
#include "format/trace_reader.h"
#include "tape/drift.h"
#include "tape/runtime.h"
#include "tape/session.h"

namespace tape::engine {

class Rerunner final : public Runtime {
 public:
  // §2 of specs/rerun.md.
  static constexpr uint64_t kWindow = 4096;

  // `reader` and `summary` must outlive the rerunner.
  Rerunner(const format::TraceReader* reader, const RerunOptions& options, RerunSummary* summary);

  std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                           const LiveCall& live) override;
  uint64_t seq() const override { return calls_; }

  // After the program ended: counts the recorded events it did not ask for.
  void Finish();

 protected:
  void OnUserKind(EffectKind, std::string_view) override {}
  void OnThreadsStart() override;
  [[noreturn]] void BadResult(EffectKind kind) override;

 private:
  struct Recorded {
    uint64_t seq;
    uint64_t site;
    uint8_t kind;
    bool consumed = false;
    std::string args, result;
  };
  enum class How { kNone, kSite, kKey, kKind };

  // The window position of the event for an input call, and how it matched.
  size_t Find(const Site& site, EffectKind kind, format::Bytes args, How* how);
  // Reads events into the window up to seq `upto` (inclusive) or the end.
  void Load(uint64_t upto);
  void Consume(size_t i);
  void Drop(const Recorded& e);
  struct Segment;
  // Ends the current stretch between two equal outputs (see above).
  void CloseSegment();
  void CloseSegment(Segment* segment);
  std::string_view Input(const Site& site, EffectKind kind, std::string_view args,
                         const LiveCall& live);
  std::string_view Output(const Site& site, EffectKind kind, std::string_view args,
                          const LiveCall& live);
  std::string Describe(uint8_t kind, format::Bytes args, uint64_t site) const;
  void Note(std::string note);

  const format::TraceReader* reader_;
  const RerunOptions options_;
  RerunSummary* summary_;
  LiveEnv env_;
  format::EventCursor cursor_;  // the next recorded event to read into the window
  std::deque<Recorded> window_;
  uint64_t frontier_ = 0;  // one past the furthest seq consumed
  uint64_t calls_ = 0;
  std::string result_;
  // The outputs since the last equal one, per kind (only outputs of one kind
  // pair up as changed): how many were added and removed, and the first of
  // each, for the report.
  struct Segment {
    uint64_t added = 0, removed = 0;
    std::string first_added, first_removed;
    std::string added_bytes, removed_bytes;
  };
  std::map<uint8_t, Segment> segment_;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RERUNNER_H_
