// MemoryTraceWriter: builds a whole finalized trace in memory, on the calling
// thread, for converters that have every event up front (tape import).
//
// It writes what TraceWriter writes (prelude, HEAD, CHNK and BLOB records,
// FOOT, trailer; specs/trace-format.md §3) with the same encoder and the same
// chunking and spilling rules, but without the encoder thread, the flush
// timer or a file; and the footer's finish time is the caller's, because a
// converted trace's recording did not finish now.

#ifndef TAPE_FORMAT_MEMORY_WRITER_H_
#define TAPE_FORMAT_MEMORY_WRITER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "format/chunk_builder.h"
#include "format/chunk_encoder.h"
#include "format/status.h"
#include "format/trace_info.h"
#include "format/trace_writer.h"

struct ZSTD_CCtx_s;

namespace tape::format {

class MemoryTraceWriter {
 public:
  // Starts a trace with `header` (the writer settings in it are filled from
  // `options`). Fails only if `options` is invalid.
  static Result<std::unique_ptr<MemoryTraceWriter>> Create(const TraceHeader& header,
                                                           const WriterOptions& options);
  ~MemoryTraceWriter();
  MemoryTraceWriter(const MemoryTraceWriter&) = delete;
  MemoryTraceWriter& operator=(const MemoryTraceWriter&) = delete;

  // As TraceWriter::DefineSite: must precede the first Append that uses `id`.
  void DefineSite(uint64_t id, std::string_view location);
  // Appends the next event. Payloads larger than options.spill_threshold go
  // to BLOB records (§8); a payload may be up to 2^40 bytes.
  void Append(uint64_t site, uint8_t kind, Bytes args, Bytes result);
  uint64_t events() const { return next_seq_; }

  // Seals the last chunk, writes the footer and the trailer, and returns the
  // finished trace. `finished_unix_ns` goes to the footer (0: unknown).
  // The writer is spent afterwards.
  std::vector<uint8_t> Finish(const Outcome& outcome, uint64_t finished_unix_ns);

 private:
  MemoryTraceWriter(const WriterOptions& options);
  void Seal();  // encodes the builder's events as the next chunk

  const WriterOptions options_;
  ChunkBuilder builder_;
  ChunkBuilder::Cursor cursor_;
  ChunkEncoder encoder_;
  ZSTD_CCtx_s* blob_cctx_ = nullptr;  // made for the first spilled payload
  std::vector<uint8_t> out_;
  std::vector<uint8_t> record_;
  uint64_t next_seq_ = 0;
  std::vector<ChunkIndexEntry> index_;
  std::unordered_set<uint64_t> sites_known_;
  SiteDefinitions sites_pending_;  // defined since the last chunk was sealed
  SiteTable sites_written_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_MEMORY_WRITER_H_
