#include "format/memory_writer.h"

#include <xxhash.h>
#include <zstd.h>

#include "format/blob.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format {

Result<std::unique_ptr<MemoryTraceWriter>> MemoryTraceWriter::Create(const TraceHeader& header,
                                                                     const WriterOptions& options) {
  TAPE_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<MemoryTraceWriter> w(new MemoryTraceWriter(options));
  TraceHeader h = header;
  h.chunk_max_events = options.chunk_max_events;
  h.chunk_max_payload = options.chunk_max_payload;
  h.flush_ms = options.flush_ms;
  AppendPrelude(&w->out_, options.packed_columns ? kFormatMinorPacked : kFormatMinorGaps);
  AppendRecord(kTagHeader, EncodeHeaderBody(h), &w->out_);
  return w;
}

MemoryTraceWriter::MemoryTraceWriter(const WriterOptions& options)
    : options_(options),
      builder_(options.chunk_max_events, options.chunk_max_payload),
      encoder_(options.zstd_level, options.packed_columns) {
  cursor_ = builder_.Reset(0);
}

MemoryTraceWriter::~MemoryTraceWriter() { ZSTD_freeCCtx(blob_cctx_); }

void MemoryTraceWriter::DefineSite(uint64_t id, std::string_view location) {
  if (sites_known_.insert(id).second) {
    sites_pending_.emplace_back(id, std::string(location.substr(0, kMaxSiteText)));
  }
}

void MemoryTraceWriter::Append(uint64_t site, uint8_t kind, Bytes args, Bytes result) {
  // A spilled payload's BLOB records go to the file before the chunk that
  // refers to them (§8); the builder keeps the 24-byte reference instead.
  uint8_t entries[2][kBuilderSpillEntry];
  uint8_t flags = 0;
  Bytes parts[2] = {args, result};
  for (int i = 0; i < 2; ++i) {
    if (parts[i].size() <= options_.spill_threshold) continue;
    if (!blob_cctx_) blob_cctx_ = ZSTD_createCCtx();
    uint64_t hash = XXH3_64bits(parts[i].data(), parts[i].size());
    uint64_t first = out_.size();
    EncodeBlobRecords(parts[i], hash, blob_cctx_, options_.zstd_level, kBlobFrameBytes,
                      [&](Bytes record) {
                        out_.insert(out_.end(), record.begin(), record.end());
                        return true;
                      });
    StoreU64(entries[i], hash);
    StoreU64(entries[i] + 8, first);
    StoreU64(entries[i] + 16, parts[i].size());
    parts[i] = {entries[i], kBuilderSpillEntry};
    flags |= i == 0 ? kArgsSpilled : kResultSpilled;
  }
  if (!cursor_.HasRoom(parts[0].size(), parts[1].size())) Seal();
  cursor_.Append(site, kind, parts[0], parts[1], flags);
  ++next_seq_;
}

void MemoryTraceWriter::Seal() {
  uint32_t n = builder_.published();
  if (n > 0) {
    uint64_t hash = 0;
    encoder_.Encode(builder_, 0, n, uint32_t(index_.size()), sites_pending_, &record_, &hash);
    index_.push_back({out_.size(), builder_.first_seq(), n, uint32_t(record_.size()), hash, true});
    out_.insert(out_.end(), record_.begin(), record_.end());
    for (auto& [id, text] : sites_pending_) sites_written_.emplace(id, std::move(text));
    sites_pending_.clear();
  }
  cursor_ = builder_.Reset(next_seq_);
}

std::vector<uint8_t> MemoryTraceWriter::Finish(const Outcome& outcome, uint64_t finished_unix_ns) {
  Seal();
  Footer footer;
  footer.event_count = next_seq_;
  footer.finished_unix_ns = finished_unix_ns;
  footer.outcome = outcome;
  footer.chunks = std::move(index_);
  footer.sites = std::move(sites_written_);
  uint64_t footer_offset = out_.size();
  AppendRecord(kTagFooter, EncodeFooterBody(footer), &out_);
  AppendTrailer(footer_offset, &out_);
  return std::move(out_);
}

}  // namespace tape::format
