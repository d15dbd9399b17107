// tape verify FILE [--json]: checks the prelude and header, every record's
// checksum, every chunk against the index (position, counts, content hash),
// every spilled payload, and the footer. Exit 0 only for a sound, finalized
// trace. A recovered trace with gaps (events lost before it was recovered)
// is sound: its gaps are reported, not counted as problems.
//
// Bounded work and memory whatever the file claims: each BLOB chain is
// hashed once, streaming (format/blob.h, BlobVerifier), and verify stops
// after kMaxProblems problems.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <vector>
#include <nlohmann/json.hpp>

#include "engine/effects/registry.h"
#include "engine/internal/effect_text.h"
#include "format/blob.h"
#include "format/layout.h"
#include "format/records.h"
#include "tape/runtime.h"
#include "tools/cli.h"
#include "tools/event_text.h"
#include "tools/original_import.h"

namespace tape::cli {

namespace {

// What is wrong with event `i` of `chunk` as an effect (specs/trace-format.md
// §13): a reserved kind, a user kind the trace does not name, or payloads
// without the kind's layout. "" when nothing is. Spilled payloads are checked
// by their BLOB chains, not their layout (that would read them whole).
// Runs once per event: the good path builds no string.
std::string EventProblem(const format::TraceReader& r, uint8_t kind,
                         const format::PayloadView& args, const format::PayloadView& result) {
  if (engine::ArgsLayout(kind) == nullptr) return fmt::format("kind {} is reserved", kind);
  if (kind >= kFirstUserKind && r.kind_names()[kind].empty()) {
    return fmt::format("kind {} is a user-defined kind the trace does not name", kind);
  }
  if (args.spilled() || result.spilled()) return {};
  Status why = engine::CheckEvent(kind, args.bytes(), result.bytes());
  if (why.ok()) return {};
  return engine::KindName(kind, &r.kind_names()) + ": " + why.message();
}

// The lane invariants (specs/trace-format.md §7.7): a lane's events come
// after its thread.start and not after its thread.end, and thread.start
// numbers lanes 1, 2, 3, ... in seq order.
class LaneRules {
 public:
  LaneRules() { state_[0] = kRunning; }  // lane 0 runs from the start

  // "" when event (lane, kind, result) keeps the rules.
  std::string Check(uint32_t lane, uint8_t kind, const format::PayloadView& result) {
    if (lane >= state_.size()) return fmt::format("lane {} is out of range", lane);
    if (state_[lane] == kUnseen && !lenient_) {
      return fmt::format("lane {} has an event before its thread.start", lane);
    }
    if (state_[lane] == kEnded) {
      return fmt::format("lane {} has an event after its thread.end", lane);
    }
    if (kind == uint8_t(EffectKind::kThreadEnd)) {
      if (lane == 0) return "lane 0 (the program's thread) cannot end with thread.end";
      state_[lane] = kEnded;
    }
    if (kind == uint8_t(EffectKind::kThreadStart) && !result.spilled() && result.size == 4) {
      uint32_t started = format::LoadU32(result.data);
      if (started >= state_.size() || state_[started] != kUnseen) {
        return fmt::format("thread.start gives lane {}, which is already used", started);
      }
      std::string problem;
      if (started != next_ && !lenient_) {
        problem = fmt::format("thread.start gives lane {}, expected lane {}", started, next_);
      }
      state_[started] = kRunning;
      next_ = started + 1;
      return problem;
    }
    return {};
  }
  // After missing events (a recovered trace's gap) starts and ends may be
  // missing: only what the rest still shows is checked.
  void MissedEvents() { lenient_ = true; }

  // True when an event in `lane` of a kind other than thread.start and
  // thread.end keeps the rules (Check would return "" and change nothing).
  bool Plain(uint32_t lane) const {
    return lane < state_.size() &&
           (state_[lane] == kRunning || (state_[lane] == kUnseen && lenient_));
  }

 private:
  enum : uint8_t { kUnseen, kRunning, kEnded };
  std::vector<uint8_t> state_ = std::vector<uint8_t>(kMaxThreads, kUnseen);
  uint32_t next_ = 1;
  bool lenient_ = false;
};

// Per kind, the payload sizes with which an event is sound by its sizes
// alone: a built-in kind without a cross check whose layouts are fixed-width
// numbers, optionally followed by one field that takes the rest of the
// payload as any bytes (kText, kHex). Such a payload is sound exactly when
// its size is the numbers' width, or at least that with a rest field:
// engine::CheckEvent would parse it and find nothing. thread.start and
// thread.end, which change the lane rules, have no rule: their events are
// checked one by one.
class SizeRules {
 public:
  SizeRules() {
    for (int k = 0; k < 256; ++k) {
      const engine::EffectSpec* spec = engine::FindEffect(uint8_t(k));
      if (spec == nullptr || spec->cross_check != nullptr ||
          k == int(EffectKind::kThreadStart) || k == int(EffectKind::kThreadEnd)) {
        continue;
      }
      Side a = Of(spec->args.layout), r = Of(spec->result.layout);
      if (a.min < 0 || r.min < 0) continue;
      sides_[0][k] = a;
      sides_[1][k] = r;
    }
  }

  // Whether an event of `kind` with payloads of these sizes is sound.
  bool Sound(uint8_t kind, uint64_t args_size, uint64_t result_size) const {
    return sides_[0][kind].Holds(args_size) && sides_[1][kind].Holds(result_size);
  }

  // Whether every event of a chunk whose lengths are all one byte (none
  // spilled, §7.4: the byte is length << 1) is sound by these rules. Loops
  // the compiler vectorizes when the chunk has one kind (most do).
  bool AllSound(const uint8_t* kinds, const uint8_t* arg_lens, const uint8_t* result_lens,
                uint32_t n) const {
    uint8_t diff = 0;
    for (uint32_t i = 0; i < n; ++i) diff |= kinds[i] ^ kinds[0];
    if (diff == 0) {
      const Side &a = sides_[0][kinds[0]], &r = sides_[1][kinds[0]];
      if (a.min < 0 || r.min < 0) return false;
      return InRange(arg_lens, n, a) && InRange(result_lens, n, r);
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (!Sound(kinds[i], arg_lens[i] >> 1, result_lens[i] >> 1)) return false;
    }
    return true;
  }

 private:
  struct Side {
    int min = -1;       // the width of the numbers; -1: no rule
    bool rest = false;  // a last field takes the rest: any size from min up
    bool Holds(uint64_t size) const {
      return min >= 0 && (rest ? size >= uint64_t(min) : size == uint64_t(min));
    }
  };
  static Side Of(const engine::Layout& layout) {
    engine::SizeRule rule = engine::SizeRuleOf(layout);
    return {rule.width, rule.rest};
  }
  // Whether every one-byte length in `lens` is one `side` holds.
  static bool InRange(const uint8_t* lens, uint32_t n, const Side& side) {
    // One-byte lengths are at most 63: 2 * min above 126 holds none.
    if (side.min > 63) return false;
    uint8_t lo = uint8_t(side.min << 1);
    if (!side.rest) {
      uint8_t diff = 0;
      for (uint32_t i = 0; i < n; ++i) diff |= lens[i] ^ lo;
      return diff == 0;
    }
    uint8_t low = 0xFF;
    for (uint32_t i = 0; i < n; ++i) low = std::min(low, lens[i]);
    return low >= lo;
  }

  Side sides_[2][256];  // [0] args, [1] result
};

// True when the per-event checks below would find nothing in `chunk`
// (decoded with kDecodeNoArrays) and change no lane state: every length is
// one byte (nothing spilled), every event is sound by its sizes, and every
// event's lane is running. A chunk it declines is checked event by event.
bool PlainChunk(const format::DecodedChunk& chunk, const SizeRules& rules,
                const LaneRules& lanes) {
  const format::DecodedChunk::Columns& c = chunk.columns();
  if (!c.one_byte_arg_lens || !c.one_byte_result_lens ||
      !rules.AllSound(chunk.kinds(), c.arg_lens.data(), c.result_lens.data(), chunk.size())) {
    return false;
  }
  if (const uint32_t* lane = chunk.lanes()) {
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      if ((i == 0 || lane[i] != lane[i - 1]) && !lanes.Plain(lane[i])) return false;
    }
  } else if (!lanes.Plain(0)) {
    return false;
  }
  return true;
}

// Past this many problems a trace is hopeless; listing more helps no one.
constexpr size_t kMaxProblems = 1000;
// Text output lists this many; --json lists them all.
constexpr size_t kShownProblems = 20;

struct Report {
  uint64_t events = 0;
  uint64_t missing = 0;
  std::string gaps;  // "events 10..19, ..."
  size_t chunks = 0;
  std::string outcome;
  bool finalized = false;
  std::vector<std::string> problems;
  bool gave_up = false;     // stopped at kMaxProblems
  bool unreadable = false;  // not a trace, or not one this tape can read

  // False once verify should stop looking.
  bool Add(std::string problem) {
    if (problems.size() >= kMaxProblems) {
      gave_up = true;
      return false;
    }
    problems.push_back(std::move(problem));
    return true;
  }
};

void Check(const format::TraceReader& r, Report* out, Progress* progress) {
  out->events = r.event_count();
  out->missing = r.missing_events();
  out->gaps = GapsText(r);
  out->chunks = r.chunks().size();
  out->outcome = OutcomeDescription(r);
  out->finalized = r.finalized();
  if (!r.finalized()) out->Add(r.recovery_note());

  // Walk every record between the header and the footer: each must verify,
  // and the chunks must be exactly the ones the index lists, in order. A
  // damaged chunk is reported by the chunk pass below; the walk resumes at
  // the next indexed chunk.
  format::Bytes file = r.file();
  format::RecordView head;
  if (!format::ReadRecord(file, format::kPreludeSize, &head).ok()) return;
  uint64_t offset = format::kPreludeSize + head.size();
  uint64_t end = r.finalized() ? file.size() - format::kTrailerSize : r.valid_bytes();
  size_t next_chunk = 0;
  bool walk_complete = true;
  while (offset < end) {
    format::RecordView rec;
    Status s = format::ReadRecord(file.first(size_t(end)), offset, &rec);
    bool indexed = next_chunk < r.chunks().size() && r.chunks()[next_chunk].file_offset == offset;
    if (!s.ok() || (rec.tag == format::kTagChunk && !indexed)) {
      if (!indexed &&
          !out->Add(s.ok() ? fmt::format("chunk record at byte {} is not in the index", offset)
                           : s.message())) {
        return;
      }
      // Resume at the next chunk the index knows, if any.
      uint64_t resume = end;
      for (size_t c = next_chunk; c < r.chunks().size(); ++c) {
        if (r.chunks()[c].file_offset > offset) {
          resume = r.chunks()[c].file_offset;
          next_chunk = c;
          break;
        }
      }
      if (resume == end) walk_complete = false;
      offset = resume;
      continue;
    }
    if (rec.tag == format::kTagChunk) ++next_chunk;
    offset += rec.size();
  }
  if (walk_complete && next_chunk != r.chunks().size()) {
    out->Add(fmt::format("the index lists {} but the file holds {}",
                         Count(r.chunks().size(), "chunk", "chunks"), next_chunk));
  }

  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  format::BlobVerifier blobs(file);
  LaneRules lanes;
  static const SizeRules rules;
  // Chunks in a row that needed the per-event checks. The next chunk is
  // likely to need them too and is decoded once, with arrays, except after
  // 1, 2, 4, 8, ... of them: a trace whose chunks turn plain again is
  // noticed, and one that never does decodes few chunks twice.
  uint64_t general_run = 0;
  uint64_t next_seq = 0;
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    const format::ChunkIndexEntry& entry = r.chunks()[c];
    if (entry.first_seq != next_seq) lanes.MissedEvents();
    next_seq = entry.first_seq + entry.event_count;
    // The content hash (§7.6) from the sections just decompressed;
    // decompressing again only if the decode did not cover them all. False
    // when verify should stop.
    auto check_hash = [&] {
      if (!entry.content_hash_known) return true;
      std::optional<uint64_t> hash = decoder.DecodedContentHash();
      if (!hash) {
        format::RecordView rec;
        (void)format::ReadRecord(file, entry.file_offset, &rec);
        Result<uint64_t> again = decoder.ContentHash(rec.body, entry.file_offset);
        if (again.has_value()) hash = *again;
      }
      return (hash && *hash == entry.content_hash) ||
             out->Add(fmt::format("chunk {} at byte {}: content hash differs from the index", c,
                                  entry.file_offset));
    };
    // Every chunk is validated as fully as kDecodeAll does; without the
    // per-event arrays first, when it then needs no per-event check. Any
    // fault is found again, and named, by the general path below.
    bool hashed = false;
    bool try_plain = (general_run & (general_run - 1)) == 0;
    if (try_plain &&
        r.ReadChunk(c, format::kDecodeAll | format::kDecodeNoArrays, &decoder, &chunk).ok()) {
      if (!check_hash()) return;
      hashed = true;
      if (PlainChunk(chunk, rules, lanes)) {
        general_run = 0;
        progress->Update(entry.first_seq + entry.event_count);
        continue;
      }
    }
    ++general_run;
    Status s = r.ReadChunk(c, format::kDecodeAll, &decoder, &chunk);
    if (!s.ok()) {
      lanes.MissedEvents();
      if (!out->Add(s.message())) return;
      continue;
    }
    if (!hashed && !check_hash()) return;
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint8_t kind = chunk.kind(i);
      format::PayloadView args = chunk.args(i), result = chunk.result(i);
      // Every event has a defined kind and its kind's layout (§13).
      std::string bad =
          rules.Sound(kind, args.size, result.size) ? std::string() : EventProblem(r, kind, args, result);
      if (!bad.empty() && !out->Add(fmt::format("seq {}: {}", chunk.first_seq() + i, bad))) {
        return;
      }
      bad = lanes.Check(chunk.lane(i), kind, result);
      if (!bad.empty() && !out->Add(fmt::format("seq {}: {}", chunk.first_seq() + i, bad))) {
        return;
      }
      if (!args.spilled() && !result.spilled()) [[likely]] continue;
      for (const format::PayloadView& p : {args, result}) {
        if (!p.spilled()) continue;
        Status ps = blobs.Check(p.blob_offset, p.size, p.spill_hash);
        if (!ps.ok() && !out->Add(fmt::format("seq {}: {}: {}", chunk.first_seq() + i, r.path(),
                                              ps.message()))) {
          return;
        }
      }
    }
    progress->Update(entry.first_seq + entry.event_count);
  }
}

}  // namespace

int RunVerify(const VerifyArgs& args) {
  GuardTraceReads("verify");
  auto opened = format::TraceReader::Open(args.file);
  Report report;
  if (!opened.has_value()) {
    StatusCode code = opened.error().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kIoError ||
        code == StatusCode::kInvalidArgument) {
      return Fail("verify", kExitTrace, opened.error().message());
    }
    // Not a trace at all is not a damaged trace: exit 81, as for inspect.
    if (!LooksLikeTrace(args.file)) {
      return Fail("verify", kExitTrace,
                  opened.error().message() +
                      (LooksLikeOriginalTrace(args.file)
                           ? " (it is a trace of the original tape, which has no checksums to "
                             "verify: tape inspect reads it, tape import converts it)"
                           : ""));
    }
    report.problems.push_back(opened.error().message());
    report.unreadable = true;
  } else {
    Progress progress("verify", (*opened)->event_count());
    Check(**opened, &report, &progress);
    // Problems found in a file that shrank meanwhile are not the trace's.
    Status changed = (*opened)->CheckUnchanged();
    if (!changed.ok()) return Fail("verify", kExitTrace, changed.message());
  }
  bool sound = report.problems.empty();
  if (args.json) {
    nlohmann::ordered_json j = {{"file", args.file},
                                {"sound", sound},
                                {"finalized", report.finalized},
                                {"events", report.events},
                                {"missing_events", report.missing},
                                {"chunks", report.chunks},
                                {"outcome", report.outcome},
                                {"readable", !report.unreadable},
                                {"problems", report.problems},
                                {"stopped_early", report.gave_up}};
    std::printf("%s\n", j.dump(-1, ' ', /*ensure_ascii=*/true,
                               nlohmann::ordered_json::error_handler_t::replace)
                            .c_str());
  } else {
    std::printf("%s: %s\n", Shown(args.file).c_str(), sound ? "ok" : "NOT SOUND");
    if (!report.unreadable) {
      std::printf("  events:    %llu in %s\n", (unsigned long long)report.events,
                  Count(report.chunks, "chunk", "chunks").c_str());
      if (report.missing > 0) {
        std::printf("  missing:   %s (%s, recorded as %s by tape recover)\n", report.gaps.c_str(),
                    Count(report.missing, "event", "events").c_str(),
                    report.gaps.find(',') == std::string::npos ? "a gap" : "gaps");
      }
      std::printf("  finalized: %s\n",
                  report.finalized ? "yes" : "no (still being recorded, interrupted, or damaged)");
      std::printf("  outcome:   the program %s\n", ShownIndented(report.outcome, 13).c_str());
    }
    for (size_t i = 0; i < report.problems.size() && i < kShownProblems; ++i) {
      std::printf("  problem:   %s\n", Shown(report.problems[i]).c_str());
    }
    if (report.problems.size() > kShownProblems) {
      std::printf("  ... and %zu more problems (--json lists them all)\n",
                  report.problems.size() - kShownProblems);
    }
    if (report.gave_up) {
      std::printf("  verify stopped after %zu problems\n", kMaxProblems);
    }
    if (!sound && !report.unreadable) {
      std::printf("  to keep every readable event: tape recover %s --out FIXED\n",
                  Shown(args.file).c_str());
    }
  }
  return sound ? kExitOk : kExitDifferent;
}

}  // namespace tape::cli
