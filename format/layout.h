// Constants of the trace file format. Each cites the section of
// specs/trace-format.md that defines it; change both together, and bump the
// format version (kFormatMajor/kFormatMinor) when the layout changes.

#ifndef TAPE_FORMAT_LAYOUT_H_
#define TAPE_FORMAT_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace tape::format {

// §4 Prelude: the first 16 bytes of every trace.
inline constexpr uint8_t kFileMagic[8] = {0x89, 'T', 'A', 'P', 'E', '\r', '\n', 0x1a};
inline constexpr uint16_t kFormatMajor = 1;  // readers reject any other major
inline constexpr uint16_t kFormatMinor = 2;  // readers accept any minor (§15)
// §15: the minor version a trace with gaps (§9.3) needs at least.
inline constexpr uint16_t kFormatMinorGaps = 1;
// §15: the minor version of a trace whose chunks use INT_PACKED or
// TIMES_PACKED (§7.9); a writer of the older varint columns writes 1.1.
inline constexpr uint16_t kFormatMinorPacked = 2;
inline constexpr size_t kPreludeSize = 16;

// §5 Records: tag (4) | body length (4) | checksum (8) | body.
inline constexpr size_t kRecordHeaderSize = 16;
constexpr uint32_t MakeTag(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) | uint32_t(uint8_t(b)) << 8 | uint32_t(uint8_t(c)) << 16 |
         uint32_t(uint8_t(d)) << 24;
}
inline constexpr uint32_t kTagHeader = MakeTag('H', 'E', 'A', 'D');  // §6
inline constexpr uint32_t kTagChunk = MakeTag('C', 'H', 'N', 'K');   // §7
inline constexpr uint32_t kTagBlob = MakeTag('B', 'L', 'O', 'B');    // §8
inline constexpr uint32_t kTagFooter = MakeTag('F', 'O', 'O', 'T');  // §9
// §5: a tag whose first byte is a lower-case ASCII letter is ancillary: a
// reader that does not know it skips it. Any other unknown tag is critical.
constexpr bool IsAncillaryTag(uint32_t tag) {
  uint8_t first = uint8_t(tag);
  return first >= 'a' && first <= 'z';
}
inline constexpr uint32_t kMaxRecordBody = 1u << 30;  // §5, 1 GiB

// §6 HEAD limits.
inline constexpr size_t kMaxShortString = 4096;        // recorder, program name, origin
inline constexpr size_t kMaxCodeHash = 64;
inline constexpr size_t kMaxScriptSource = 64u << 20;  // 64 MiB

// §7 CHNK.
inline constexpr uint32_t kMaxChunkEvents = 1u << 20;
inline constexpr size_t kChunkFixedSize = 20;  // number..section_count
inline constexpr size_t kSectionEntrySize = 12;
inline constexpr uint32_t kMaxHeapBytes = 64u << 20;   // per heap section, decoded
inline constexpr uint32_t kMaxNewSitesBytes = 16u << 20;
inline constexpr size_t kMaxSiteText = 4096;
// §11: a trace's whole site table (NEW_SITES of every chunk, or the footer's)
// holds at most this many sites and this many bytes of location text; a
// chunk whose NEW_SITES would exceed them is damaged.
inline constexpr uint32_t kMaxSites = 1u << 18;
inline constexpr uint64_t kMaxSiteTableText = 32u << 20;

enum class SectionId : uint8_t {  // §7.3, in the order they must appear
  kSiteDict = 1,
  kSiteIndex = 2,
  kKinds = 3,
  kArgLens = 4,
  kArgHeap = 5,
  kResultLens = 6,
  kResultHeap = 7,
  kIntKinds = 8,
  kIntResults = 9,
  kNewSites = 10,
  kBlobRefs = 11,
  kLanes = 12,  // format 1.1: each event's lane, when some event is not in lane 0
  // Format 1.2: integer-coded results (§7.5) and event times (§7.8) as
  // packed integers (§7.9), in place of INT_RESULTS and EVENT_TIMES.
  kIntPacked = 13,
  kTimesPacked = 14,
};
inline constexpr uint8_t kLastCriticalSection = 14;
// §11: the largest decoded INT_PACKED and TIMES_PACKED of a chunk of n events.
constexpr uint64_t MaxIntPackedBytes(uint64_t n) { return 16 * n + 4096; }
constexpr uint64_t MaxTimesPackedBytes(uint64_t n) { return 20 * n + 64; }
// §7.3: lane numbers are below this.
inline constexpr uint32_t kMaxLanes = 1u << 16;
inline constexpr uint8_t kFirstAncillarySection = 128;  // ids >= 128 are skipped when unknown
// §7.3 ancillary sections (format 1.1).
inline constexpr uint8_t kKindNamesSection = 128;
// EVENT_TIMES: each event's time (a start and deltas), then optionally each
// event's duration; omitted unless every event of the chunk has a time (§7.8).
inline constexpr uint8_t kEventTimesSection = 129;
// §7.8: decoded EVENT_TIMES holds at most two varints per event.
inline constexpr size_t kMaxEventTimesPerEvent = 2 * 10;
// EVENT_MARKS: a byte per event, omitted when every mark is 0 (§7.3).
inline constexpr uint8_t kEventMarksSection = 130;
inline constexpr uint8_t kMarkPerturbed = 1;       // chaos mode changed the result
inline constexpr uint8_t kMarkArgsRedacted = 2;    // the args were replaced by a marker
inline constexpr uint8_t kMarkResultRedacted = 4;  // the result was replaced by a marker
inline constexpr size_t kMaxKindName = 255;

enum class Codec : uint8_t { kRaw = 0, kZstd = 1 };  // §7.2

// §7.4: a payload whose length column entry has this bit set is stored
// outside the chunk, in BLOB records; the heap holds its 8-byte checksum.
inline constexpr uint64_t kSpilledBit = 1;
inline constexpr size_t kSpilledHeapEntry = 8;

// §8 BLOB.
inline constexpr size_t kBlobFixedSize = 32;
inline constexpr uint32_t kBlobFrameBytes = 4u << 20;  // what the writer puts in one BLOB record
inline constexpr uint32_t kMaxBlobFrame = 16u << 20;  // decoded bytes per BLOB record
inline constexpr uint64_t kMaxPayloadBytes = uint64_t(1) << 40;
// §8: the largest BLOB record body a reader hashes: the fixed fields plus a
// piece stored raw, or a zstd frame of a piece (ZSTD_COMPRESSBOUND of 16 MiB).
inline constexpr uint32_t kMaxBlobRecordBody =
    uint32_t(kBlobFixedSize) + kMaxBlobFrame + (kMaxBlobFrame >> 8) + (128u << 10);

// §9 FOOT.
inline constexpr size_t kIndexEntrySize = 32;
inline constexpr size_t kGapEntrySize = 16;  // §9.3: u64 first_seq, u64 count
inline constexpr uint32_t kMaxGaps = 1u << 16;  // §9.3, §11

// §10 Trailer: the last 16 bytes of a finalized trace.
inline constexpr uint8_t kEndMagic[8] = {'T', 'A', 'P', 'E', '-', 'E', 'N', 'D'};
inline constexpr size_t kTrailerSize = 16;

}  // namespace tape::format

#endif  // TAPE_FORMAT_LAYOUT_H_
