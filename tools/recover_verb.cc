// tape recover FILE --out FIXED: writes a finalized trace holding every event
// that can be read from a damaged or interrupted one.
//
// Every readable chunk is kept, before and after damage; events that cannot
// be read (a damaged chunk, a damaged spilled payload) keep their seqs as
// gaps in FIXED (specs/trace-format.md §9.3), and an intact footer's outcome
// is kept. With the footer's index, every chunk it lists is tried. Without
// one, the chunks found by the recovery rule (§12) come first, then recover
// looks past the damage for more: the damaged record's own length first,
// then the next bytes that read as an intact record.

#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include "format/clock.h"
#include "format/layout.h"
#include "format/recovery_writer.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

// Hashing budget of the search past damage, as multiples of the file size:
// bounds the work a file full of record-like bytes can cause.
constexpr uint64_t kSearchHashFactor = 4;

// Events that could not be copied, and why.
struct Lost {
  format::SeqRange range;
  std::string why;
};

class Recovery {
 public:
  Recovery(const format::TraceReader& r, format::RecoveryWriter* w) : r_(r), w_(w) {}

  // Copies the events of `chunk` (decoded whole); a damaged spilled payload
  // loses its event only. Returns a write error, if any. After too many
  // separate losses (§11) copying stops: stopped() is set.
  Status CopyChunk(const format::DecodedChunk& chunk) {
    for (uint32_t i = 0; i < chunk.size() && stopped_.empty(); ++i) {
      format::EventView e = chunk.event(i);
      std::string where = r_.SiteLocation(e.site);
      if (where.empty()) {
        auto it = extra_sites_.find(e.site);
        if (it != extra_sites_.end()) where = it->second;
      }
      if (!where.empty()) w_->DefineSite(e.site, where);
      Status s = w_->Append(e);
      if (s.code() == StatusCode::kCorrupt) {
        Lose({e.seq, 1}, s.message());
      } else if (s.code() == StatusCode::kUnsupported) {
        stopped_ = s.message();
      } else if (!s.ok()) {
        return s;
      }
    }
    return Status::Ok();
  }

  // Site locations learnt past the damage (a scanned trace's table stops
  // where its scan did), within the limits of §11.
  void LearnSites(const format::DecodedChunk& chunk) {
    for (const auto& [id, text] : chunk.new_sites()) {
      if (extra_sites_.size() >= format::kMaxSites) return;
      extra_text_ += text.size();
      if (extra_text_ > format::kMaxSiteTableText) return;
      extra_sites_.emplace(id, text);
    }
  }

  void Lose(format::SeqRange range, std::string why) {
    if (range.count == 0) return;
    if (!lost_.empty() && lost_.back().range.end() == range.first && lost_.back().why == why) {
      lost_.back().range.count += range.count;
    } else {
      lost_.push_back({range, std::move(why)});
    }
  }

  const std::vector<Lost>& lost() const { return lost_; }
  // Why copying stopped early, if it did.
  const std::string& stopped() const { return stopped_; }

 private:
  const format::TraceReader& r_;
  format::RecoveryWriter* w_;
  std::vector<Lost> lost_;
  std::string stopped_;
  std::unordered_map<uint64_t, std::string> extra_sites_;
  uint64_t extra_text_ = 0;
};

// The next offset after `offset` where an intact record starts, or the
// file's size. `hash_budget` bounds the bytes hashed while searching.
uint64_t NextIntactRecord(format::Bytes file, uint64_t offset, uint64_t* hash_budget) {
  format::RecordView rec;
  // A flipped body byte leaves the damaged record's length intact.
  if (file.size() - offset >= format::kRecordHeaderSize) {
    uint64_t next = offset + format::kRecordHeaderSize + format::LoadU32(file.data() + offset + 4);
    if (next < file.size() && format::ReadRecord(file, next, &rec).ok()) return next;
  }
  for (uint64_t at = offset + 1; file.size() - at >= format::kRecordHeaderSize; ++at) {
    uint32_t tag = format::LoadU32(file.data() + at);
    if (tag != format::kTagChunk && tag != format::kTagBlob && tag != format::kTagFooter) continue;
    uint32_t len = format::LoadU32(file.data() + at + 4);
    if (len > file.size() - at - format::kRecordHeaderSize) continue;
    if (len > *hash_budget) return file.size();
    *hash_budget -= len;
    if (format::ReadRecord(file, at, &rec).ok()) return at;
  }
  return file.size();
}

std::string RangeText(const format::SeqRange& g) {
  return g.count == 1 ? fmt::format("event {}", g.first)
                      : fmt::format("events {}..{}", g.first, g.end() - 1);
}

}  // namespace

int RunRecover(const RecoverArgs& args) {
  std::error_code ec;
  if (std::filesystem::equivalent(args.file, args.out, ec)) {
    return Fail("recover", kExitUsage, "--out must name a new file, not the damaged trace itself");
  }
  Status out_ok = CheckOutputPath(args.out, args.force);
  if (!out_ok.ok()) return Fail("recover", kExitUsage, out_ok.message());
  OpenedTrace reader = OpenTrace("recover", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;
  out_ok = CheckOutputPath(args.out, args.force, &r.header());
  if (!out_ok.ok()) return Fail("recover", kExitUsage, out_ok.message());

  format::CopyOptions options;
  options.force = args.force;
  auto writer = format::RecoveryWriter::Create(args.out, r, options);
  if (!writer.has_value()) {
    return Fail("recover",
                writer.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitTrace,
                writer.error().message());
  }
  format::RecoveryWriter& w = **writer;
  Recovery recovery(r, &w);
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  Progress progress("recover", r.event_count());
  for (size_t c = 0; c < r.chunks().size() && recovery.stopped().empty(); ++c) {
    const format::ChunkIndexEntry& entry = r.chunks()[c];
    Status s = r.ReadChunk(c, format::kDecodeAll, &decoder, &chunk);
    if (s.ok()) {
      s = recovery.CopyChunk(chunk);
      if (!s.ok()) return Fail("recover", kExitTrace, s.message());
    } else {
      recovery.Lose({entry.first_seq, entry.event_count}, s.message());
    }
    progress.Update(entry.first_seq + entry.event_count);
  }

  format::Outcome outcome = r.outcome();
  bool outcome_known =
      r.finalized() || !(outcome == format::Outcome{format::OutcomeKind::kInterrupted, 0, ""});
  uint64_t end_seq = r.event_count();
  uint64_t finished_unix_ns = r.finished_unix_ns();
  format::Bytes file = r.file();
  if (!r.finalized() && r.valid_bytes() < file.size() && recovery.stopped().empty()) {
    // Past the point where the scan stopped: chunks that continue the seqs.
    uint64_t budget = kSearchHashFactor * file.size();
    uint64_t offset = NextIntactRecord(file, r.valid_bytes(), &budget);
    while (offset < file.size() && recovery.stopped().empty()) {
      format::RecordView rec;
      if (!format::ReadRecord(file, offset, &rec).ok()) {
        offset = NextIntactRecord(file, offset, &budget);
        continue;
      }
      format::ChunkHeader h;
      if (rec.tag == format::kTagChunk && format::ParseChunkHeader(rec.body, offset, &h).ok() &&
          h.first_seq >= end_seq) {
        Status s = decoder.Decode(rec.body, offset, format::kDecodeAll, &chunk);
        if (s.ok()) {
          recovery.Lose({end_seq, h.first_seq - end_seq}, "the records holding them are damaged");
          recovery.LearnSites(chunk);
          s = recovery.CopyChunk(chunk);
          if (!s.ok()) return Fail("recover", kExitTrace, s.message());
          end_seq = h.first_seq + h.event_count;
        }
      } else if (rec.tag == format::kTagFooter) {
        format::Footer footer;
        if (format::ParseFooterBody(rec.body, &footer).ok()) {
          outcome = footer.outcome;
          outcome_known = true;
          finished_unix_ns = footer.finished_unix_ns;
          if (footer.event_count > end_seq) {
            recovery.Lose({end_seq, footer.event_count - end_seq},
                          "the records holding them are damaged");
            end_seq = footer.event_count;
          }
        }
      }
      offset += rec.size();
    }
  }
  progress.Finish();
  if (!outcome_known) {
    outcome = {format::OutcomeKind::kInterrupted, 0,
               "recovered " + Count(w.events(), "event", "events") + " from " + args.file};
  }
  // A source that does not know when it finished gets the time of the recovery.
  Status s = w.Finish(outcome, end_seq,
                      outcome_known && finished_unix_ns != 0 ? finished_unix_ns : WallClockNs());
  if (!s.ok()) return Fail("recover", kExitTrace, s.message());

  std::printf(
      "recovered %s into %s; the program %s\n",
      w.gaps().empty()
          ? Count(w.events(), "event", "events").c_str()
          : fmt::format("{} of {}", w.events(), Count(end_seq, "event", "events")).c_str(),
      Shown(args.out).c_str(), Shown(outcome.Describe()).c_str());
  if (!r.finalized()) std::printf("  source:  %s\n", Shown(r.recovery_note()).c_str());
  constexpr size_t kShownLost = 10;
  for (size_t i = 0; i < recovery.lost().size() && i < kShownLost; ++i) {
    const Lost& l = recovery.lost()[i];
    if (l.range.count == 0) continue;
    std::printf("  missing: %s: %s\n", RangeText(l.range).c_str(), Shown(l.why).c_str());
  }
  if (recovery.lost().size() > kShownLost) {
    std::printf("  ... and %zu more missing ranges (tape inspect %s lists them)\n",
                recovery.lost().size() - kShownLost, Shown(args.out).c_str());
  }
  if (!recovery.stopped().empty()) {
    std::printf("  stopped copying: %s; the events after the last one copied are missing\n",
                recovery.stopped().c_str());
  }
  if (!w.gaps().empty()) {
    std::printf(
        "  %s records the missing events as %s (the other events keep their seqs); "
        "replay of it stops at seq %llu\n",
        Shown(args.out).c_str(), w.gaps().size() == 1 ? "a gap" : "gaps",
        (unsigned long long)w.gaps().front().first);
  }
  return kExitOk;
}

}  // namespace tape::cli
