// BLOB records (§8): payloads too large for a chunk heap are written outside
// the chunk, as a run of consecutive BLOB records of bounded size, before the
// chunk whose event refers to them.
//
// A chunk's reference claims a payload's size and hash, and the pieces make
// the same claim; neither is trusted. Readers here never allocate according
// to a claimed size: a whole payload is materialised only by ReadBlobPayload,
// whose caller bounds it (TraceReader's memory budget, §11), and checking a
// payload hashes its pieces as they stream past.

#ifndef TAPE_FORMAT_BLOB_H_
#define TAPE_FORMAT_BLOB_H_

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "format/bytes.h"
#include "format/records.h"
#include "format/status.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace tape::format {

// Splits `payload` into BLOB records and hands each complete record (header
// included) to `sink`, which returns false to stop early (a write failed).
// `frame_bytes` bounds the payload bytes per record.
bool EncodeBlobRecords(Bytes payload, uint64_t payload_hash, ZSTD_CCtx_s* cctx, int level,
                       uint32_t frame_bytes, const std::function<bool(Bytes record)>& sink);

// Reads the payload whose first BLOB record is at `first_offset` of `file`.
// At most `max_bytes` are returned (a prefix, for display; only that much of
// each piece is decompressed); the payload's checksum is verified only when
// it is read whole. REQUIRES: max_bytes < size, or the caller accepts
// materialising `size` bytes.
Status ReadBlobPayload(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                       uint64_t max_bytes, ZSTD_DCtx_s* dctx, std::string* out);

// Walks the BLOB chain at `first_offset` that must hold a payload of `size`
// bytes hashing to `hash`: checks every piece (§8) and the whole payload's
// hash, decompressing one piece at a time (memory: one piece, at most 16 MiB).
// `on_piece`, if given, sees each verified record before the next is read;
// an error it returns stops the walk.
Status WalkBlobChain(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                     ZSTD_DCtx_s* dctx, const std::function<Status(const RecordView&)>& on_piece);

// Checks spilled payloads for `tape verify`: each BLOB chain is walked once,
// by its first offset, however many events refer to it; a reference whose
// size or hash differs from the chain's first piece fails without reading
// the chain again. Work is O(file size + payload bytes), not O(references).
class BlobVerifier {
 public:
  explicit BlobVerifier(Bytes file);
  ~BlobVerifier();
  BlobVerifier(const BlobVerifier&) = delete;
  BlobVerifier& operator=(const BlobVerifier&) = delete;

  // `on_piece`, if given, sees each piece when this call walks the chain
  // (it is the first to check it); `walked` says whether it did.
  Status Check(uint64_t first_offset, uint64_t size, uint64_t hash,
               const std::function<Status(const RecordView&)>& on_piece = nullptr,
               bool* walked = nullptr);

 private:
  struct Chain {
    Status head;        // reading the first piece's record
    uint64_t size = 0;  // the first piece's claim
    uint64_t hash = 0;
    bool walked = false;
    Status status;  // the walk with the first piece's claim
  };
  Bytes file_;
  ZSTD_DCtx_s* dctx_;
  std::unordered_map<uint64_t, Chain> chains_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_BLOB_H_
