// Every byte a trace file holds, stored and decoded: for tests that must
// show that some text is nowhere in a trace (a redacted secret), not even
// inside a compressed chunk section or BLOB piece.

#ifndef TAPE_TESTS_FORMAT_TRACE_BYTES_H_
#define TAPE_TESTS_FORMAT_TRACE_BYTES_H_

#include <gtest/gtest.h>
#include <zstd.h>

#include <string>

#include "format/bytes.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format::testing {

// The file's bytes, then for each record from the HEAD on: every zstd
// section of a CHNK record (§7.2) and every zstd BLOB piece (§8)
// decompressed. Fails the test on a record that does not verify.
inline std::string AllTraceBytes(const std::string& file) {
  std::string all = file;
  Bytes f = AsBytes(file);
  uint64_t end = file.size();
  uint64_t footer = 0;
  if (ReadTrailer(f, &footer)) end = file.size() - kTrailerSize;
  auto inflate = [&](Bytes stored, size_t size) {
    std::string out(size, '\0');
    size_t n = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
    EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    EXPECT_EQ(n, size);
    all += out;
  };
  for (uint64_t at = kPreludeSize; at < end;) {
    RecordView rec;
    Status s = ReadRecord(f, at, &rec);
    if (!s.ok()) {
      ADD_FAILURE() << s.message();
      break;
    }
    Bytes body = rec.body;
    if (rec.tag == kTagChunk) {
      uint16_t sections = LoadU16(body.data() + 18);
      size_t data = kChunkFixedSize + size_t(sections) * kSectionEntrySize;
      for (uint16_t i = 0; i < sections; ++i) {
        const uint8_t* entry = body.data() + kChunkFixedSize + size_t(i) * kSectionEntrySize;
        uint32_t stored = LoadU32(entry + 4), decoded = LoadU32(entry + 8);
        if (entry[1] == uint8_t(Codec::kZstd)) inflate(body.subspan(data, stored), decoded);
        data += stored;
      }
    } else if (rec.tag == kTagBlob && body[28] == uint8_t(Codec::kZstd)) {
      inflate(body.subspan(kBlobFixedSize), LoadU32(body.data() + 24));
    }
    at += rec.size();
  }
  return all;
}

}  // namespace tape::format::testing

#endif  // TAPE_TESTS_FORMAT_TRACE_BYTES_H_
