// tape verify FILE [--json]: checks the prelude and header, every record's
// checksum, every chunk against the index (position, counts, content hash),
// every spilled payload, and the footer. Exit 0 only for a sound, finalized
// trace.

#include <cstdio>
#include <nlohmann/json.hpp>

#include "format/layout.h"
#include "format/records.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

struct Report {
  uint64_t events = 0;
  size_t chunks = 0;
  std::string outcome;
  bool finalized = false;
  std::vector<std::string> problems;
  bool unreadable = false;  // not a trace, or not one this tape can read
};

void Check(const format::TraceReader& r, Report* out, Progress* progress) {
  out->events = r.event_count();
  out->chunks = r.chunks().size();
  out->outcome = r.outcome().Describe();
  out->finalized = r.finalized();
  if (!r.finalized()) out->problems.push_back(r.recovery_note());

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
      if (!indexed) {
        out->problems.push_back(s.ok() ? "chunk record at byte " + std::to_string(offset) +
                                             " is not in the index"
                                       : s.message());
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
    out->problems.push_back("the index lists " + std::to_string(r.chunks().size()) +
                            " chunks but the file holds " + std::to_string(next_chunk));
  }

  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  std::string payload;
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    const format::ChunkIndexEntry& entry = r.chunks()[c];
    Status s = r.ReadChunk(c, format::kDecodeAll, &decoder, &chunk);
    if (!s.ok()) {
      out->problems.push_back(s.message());
      continue;
    }
    if (entry.content_hash_known) {
      format::RecordView rec;
      (void)format::ReadRecord(file, entry.file_offset, &rec);
      auto hash = decoder.ContentHash(rec.body, entry.file_offset);
      if (!hash.has_value() || *hash != entry.content_hash) {
        out->problems.push_back("chunk " + std::to_string(c) + " at byte " +
                                std::to_string(entry.file_offset) +
                                ": content hash differs from the index");
      }
    }
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      for (const format::PayloadView& p : {chunk.args(i), chunk.result(i)}) {
        if (!p.spilled()) continue;
        Status ps = r.ReadPayload(p, UINT64_MAX, &payload);
        if (!ps.ok()) out->problems.push_back("seq " + std::to_string(chunk.first_seq() + i) + ": " + ps.message());
      }
    }
    progress->Update(entry.first_seq + entry.event_count);
  }
}

}  // namespace

int RunVerify(const VerifyArgs& args) {
  auto opened = format::TraceReader::Open(args.file);
  Report report;
  if (!opened.has_value()) {
    StatusCode code = opened.error().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kIoError ||
        code == StatusCode::kInvalidArgument) {
      return Fail("verify", kExitTrace, opened.error().message());
    }
    report.problems.push_back(opened.error().message());
    report.unreadable = true;
  } else {
    Progress progress("verify", (*opened)->event_count());
    Check(**opened, &report, &progress);
  }
  bool sound = report.problems.empty();
  if (args.json) {
    nlohmann::ordered_json j = {{"file", args.file},       {"sound", sound},
                        {"finalized", report.finalized}, {"events", report.events},
                        {"chunks", report.chunks}, {"outcome", report.outcome},
                        {"readable", !report.unreadable},
                        {"problems", report.problems}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s: %s\n", args.file.c_str(), sound ? "ok" : "NOT SOUND");
    if (!report.unreadable) {
      std::printf("  events:    %llu in %s\n", (unsigned long long)report.events,
                  Count(report.chunks, "chunk", "chunks").c_str());
      std::printf("  finalized: %s\n", report.finalized ? "yes" : "no (interrupted or damaged)");
      std::printf("  outcome:   the program %s\n", report.outcome.c_str());
    }
    for (const std::string& p : report.problems) std::printf("  problem:   %s\n", p.c_str());
    if (!sound && !report.unreadable) {
      std::printf("  to keep every readable event: tape recover %s --out FIXED\n",
                  args.file.c_str());
    }
  }
  return sound ? kExitOk : kExitDifferent;
}

}  // namespace tape::cli
