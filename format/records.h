// Framing shared by every structure in a trace: the prelude (§4), records
// (§5), the HEAD and FOOT bodies (§6, §9) and the trailer (§10). CHNK and
// BLOB bodies have their own files (chunk_encoder, chunk_decoder, blob).

#ifndef TAPE_FORMAT_RECORDS_H_
#define TAPE_FORMAT_RECORDS_H_

#include <cstdint>
#include <vector>

#include "format/bytes.h"
#include "format/layout.h"
#include "format/status.h"
#include "format/trace_info.h"

namespace tape::format {

// §5: XXH3-64 of the body, seeded with the tag and the body length so that a
// record whose tag or length was damaged does not verify either.
uint64_t RecordChecksum(uint32_t tag, Bytes body);

// Appends a complete record (header + body) to `out`.
void AppendRecord(uint32_t tag, Bytes body, std::vector<uint8_t>* out);

// The 16-byte record header for `body`.
void EncodeRecordHeader(uint32_t tag, Bytes body, uint8_t out[16]);

struct RecordView {
  uint32_t tag = 0;
  uint64_t offset = 0;  // of the record header in the file
  Bytes body;
  uint64_t size() const { return 16 + body.size(); }
};

// Reads and verifies the record at `offset` of `file`: the header must fit,
// the body must fit in the file and not exceed `max_body` (kMaxRecordBody
// unless a caller expects a smaller record: its length is checked before the
// body is hashed), and the checksum must match. Errors say what is wrong and
// at which byte.
Status ReadRecord(Bytes file, uint64_t offset, RecordView* out,
                  uint32_t max_body = kMaxRecordBody);

// "HEAD", "CHNK", or the tag's bytes escaped when they are not printable.
std::string TagName(uint32_t tag);

// §4 Prelude.
void AppendPrelude(std::vector<uint8_t>* out, uint16_t minor = kFormatMinor);
// Checks the magic, the major version and the reserved flags.
Status CheckPrelude(Bytes file, uint16_t* major, uint16_t* minor);

// §6 HEAD body.
std::vector<uint8_t> EncodeHeaderBody(const TraceHeader& header);
Status ParseHeaderBody(Bytes body, TraceHeader* header);

// §9.3: events a trace does not hold: [first, first + count).
struct SeqRange {
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t end() const { return first + count; }
  bool operator==(const SeqRange&) const = default;
};

// §9 FOOT body. `gaps` (§9.3) are written after the sites when not empty.
std::vector<uint8_t> EncodeFooterBody(const Footer& footer,
                                      const std::vector<SeqRange>& gaps = {});
// Parses the fields of §9 and checks the site table against §11's limits;
// with `gaps`, also reads the gap list (empty when the body has none). The
// index is checked against the file by the reader (§9.2).
Status ParseFooterBody(Bytes body, Footer* footer, std::vector<SeqRange>* gaps = nullptr);

// §10 Trailer.
void AppendTrailer(uint64_t footer_offset, std::vector<uint8_t>* out);
// Returns true and the footer offset if the file ends with a trailer.
bool ReadTrailer(Bytes file, uint64_t* footer_offset);

}  // namespace tape::format

#endif  // TAPE_FORMAT_RECORDS_H_
