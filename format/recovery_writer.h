// RecoveryWriter: writes a new trace from the events of an existing one:
// the trace `tape recover` makes from a damaged or unfinished one, and the
// one `tape redact` makes with some payloads replaced (it appends events whose
// payload views point at its own bytes).
//
// Events keep their seqs. Seqs that could not be read become gaps (§9.3): a
// recovered trace says which events it lacks instead of renumbering the rest
// or dropping everything after the first damage. Spilled payloads are copied
// as their BLOB records, checked as they stream past and never materialised,
// so recovering a trace with a 200 MB payload needs no 200 MB buffer.
//
// The trace is written to a temporary file beside `path` and renamed over it
// by Finish() (format/output_file.h): a reader of an existing `path` never
// sees it change under it, and a recovery that fails leaves nothing behind.
// A character device or FIFO at `path` (with CopyOptions::force) gets the
// whole trace when Finish() succeeds.
//
// Single-threaded and synchronous, unlike TraceWriter: recovery copies a
// finished file and has no program to keep waiting.

#ifndef TAPE_FORMAT_RECOVERY_WRITER_H_
#define TAPE_FORMAT_RECOVERY_WRITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "format/blob.h"
#include "format/chunk_builder.h"
#include "format/chunk_decoder.h"
#include "format/chunk_encoder.h"
#include "format/output_file.h"
#include "format/records.h"
#include "format/status.h"
#include "format/trace_info.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace tape::format {

class TraceReader;

// How a RecoveryWriter lays out its copy. The defaults are `tape recover`'s.
struct CopyOptions {
  // The HEAD to write instead of the source's (copied by Create; its chunk
  // settings are replaced by the ones the copy uses).
  const TraceHeader* header = nullptr;
  // Size chunks as the source's writer did (the chunk settings of its HEAD,
  // where TraceWriter would accept them), so that a caller that ends each
  // chunk where the source's ended (EndChunk) keeps the source's chunk
  // boundaries. Otherwise chunks are sized by TraceWriter's defaults.
  bool source_chunking = false;
  // The verb's --force: a character device or FIFO at the path is written
  // in place. Without it such a path is refused; a directory, block device
  // or socket is refused either way.
  bool force = false;
};

class RecoveryWriter {
 public:
  // Starts a trace for `path` holding events of `source` (which must
  // outlive the writer), with the source's header or `options.header`, whose
  // chunk settings are replaced by the ones the copy uses.
  static Result<std::unique_ptr<RecoveryWriter>> Create(const std::string& path,
                                                        const TraceReader& source,
                                                        const CopyOptions& options = {});
  // Without Finish(), removes the temporary file.
  ~RecoveryWriter();
  RecoveryWriter(const RecoveryWriter&) = delete;
  RecoveryWriter& operator=(const RecoveryWriter&) = delete;

  // Declares a site's location; later calls for the same id are ignored.
  void DefineSite(uint64_t id, std::string_view location);

  // Copies event `e` of the source (its site, kind, payloads, marks, lane,
  // time and duration). REQUIRES: e.seq is greater than the seq
  // of every event appended before; seqs skipped since the previous one
  // become a gap. A spilled payload's BLOB records are copied once, however
  // many events refer to them. Returns:
  //   Corrupt      a payload cannot be read from the source; nothing of the
  //                event was written (the caller counts it as missing);
  //   Unsupported  the event would open gap number kMaxGaps (§11): the
  //                caller stops, and Finish makes the rest one trailing gap;
  //   IoError      the first write error (sticky: every later call returns it).
  Status Append(const EventView& e);

  // Seals the events appended since the last chunk ended, so that the next
  // event starts a chunk. The chunks sealed since the previous EndChunk get
  // the time range [first_time_ns, last_time_ns] in the footer's index (§9.4;
  // 0, 0: unknown).
  Status EndChunk(int64_t first_time_ns = 0, int64_t last_time_ns = 0);

  // Events written so far.
  uint64_t events() const { return events_; }
  // The gaps so far (a trailing one is added by Finish).
  const std::vector<SeqRange>& gaps() const { return gaps_; }

  // Seals the last chunk, writes the footer with `outcome` and the trailer,
  // and moves the file into place. Seqs from the last event appended up to
  // `end_seq` (exclusive) are a trailing gap. `finished_unix_ns` and
  // `program_steps` are written as given (§9).
  Status Finish(const Outcome& outcome, uint64_t end_seq, uint64_t finished_unix_ns,
                std::optional<uint64_t> program_steps = std::nullopt);

 private:
  RecoveryWriter(std::unique_ptr<OutputFile> out, const TraceReader& source,
                 uint32_t chunk_events, uint32_t chunk_heap);
  Status Write(const uint8_t* data, size_t size);
  Status Seal();
  void AddGap(uint64_t first, uint64_t end);
  // Stores one payload of `e` for the builder: inline bytes, or a spill
  // entry (hash, offset of the copied BLOB records, size) in `entry`.
  Status StorePayload(const PayloadView& p, uint8_t entry[24], Bytes* stored, bool* spilled);

  const TraceReader& source_;
  BlobVerifier chains_;  // the source's BLOB chains, each checked once
  // Source chains copied so far, by first offset: where their copy starts.
  struct Copy {
    uint64_t size, hash, offset;
  };
  std::unordered_map<uint64_t, Copy> copies_;
  std::vector<uint64_t> copies_in_event_;  // added by the event being appended
  // Removes the temporary file unless committed, and if a signal ends the
  // tool first (format/partial_outputs.h).
  std::unique_ptr<OutputFile> out_;
  int fd_;                 // out_'s
  std::string temp_path_;  // out_'s, for messages
  Status error_;           // sticky write error
  uint64_t offset_ = 0;    // bytes written: the next record's offset
  ChunkBuilder builder_;
  ChunkBuilder::Cursor cursor_;
  const uint32_t spill_threshold_;  // larger inline payloads go to BLOB records
  ChunkEncoder encoder_;
  ZSTD_CCtx_s* cctx_;
  ZSTD_DCtx_s* dctx_;
  std::vector<uint8_t> record_;
  uint64_t next_seq_ = 0;  // one past the last event appended
  uint64_t events_ = 0;
  std::vector<ChunkIndexEntry> index_;
  size_t untimed_ = 0;  // index_ entries from here on were sealed since the last EndChunk
  std::vector<SeqRange> gaps_;
  SiteTable sites_;
  std::unordered_set<uint64_t> sites_known_;
  SiteDefinitions sites_pending_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_RECOVERY_WRITER_H_
