// BLOB records (§8): payloads too large for a chunk heap are written outside
// the chunk, as a run of consecutive BLOB records of bounded size, before the
// chunk whose event refers to them.

#ifndef TAPE_FORMAT_BLOB_H_
#define TAPE_FORMAT_BLOB_H_

#include <cstdint>
#include <functional>
#include <string>

#include "format/bytes.h"
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
// At most `max_bytes` are returned (a prefix, for display); the payload's
// checksum is verified only when it is read whole.
Status ReadBlobPayload(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                       uint64_t max_bytes, ZSTD_DCtx_s* dctx, std::string* out);

}  // namespace tape::format

#endif  // TAPE_FORMAT_BLOB_H_
