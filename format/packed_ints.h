// Packed integers (specs/trace-format.md §7.9): a sequence of 64-bit values
// stored in blocks, each as a frame of reference (the block's smallest
// value) and, per miniblock of 32 values, the offsets from it in the fewest
// bits that hold them. This is how columnar formats store timestamps
// (Parquet's DELTA_BINARY_PACKED stores deltas this way): a clock read in a
// loop, whose deltas differ by a few nanoseconds, takes a few bits per
// reading, and decoding is shifts and masks, without a branch per byte.
//
// The callers store deltas (INT_PACKED, TIMES_PACKED); this file only knows
// the blocks. Values are unsigned 64-bit; a block's base is signed, so that
// negative deltas (a counter that goes down) pack as well as positive ones:
// value = base + offset, modulo 2^64.
//
// Decoding checks every length before using it: a block that declares more
// bits than the bytes left, a width over 64, or padding bits that are not
// zero make the sequence corrupt.

#ifndef TAPE_FORMAT_PACKED_INTS_H_
#define TAPE_FORMAT_PACKED_INTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "format/bytes.h"

namespace tape::format {

inline constexpr uint32_t kPackedBlockValues = 128;
inline constexpr uint32_t kPackedMiniblockValues = 32;
inline constexpr uint32_t kPackedMiniblocks = kPackedBlockValues / kPackedMiniblockValues;

// Appends the blocks of values[0..n) to `out` (nothing when n is 0).
void PackBlocks(const uint64_t* values, size_t n, ByteBuffer* out);

// The blocks of n values that start at *p and end at or before `end`.
// Decode stores the values in out[0..n), or with `running` their running
// sums from *running (out[i] = *running += x[i], modulo 2^64: a sequence of
// deltas decoded to the values they lead to); Skip only checks them. Both
// move *p past the blocks. On damage they return false and set *why to what
// is wrong (a static string).
bool DecodeBlocks(const uint8_t** p, const uint8_t* end, size_t n, uint64_t* out,
                  const char** why, uint64_t* running = nullptr);
bool SkipBlocks(const uint8_t** p, const uint8_t* end, size_t n, const char** why);

}  // namespace tape::format

#endif  // TAPE_FORMAT_PACKED_INTS_H_
