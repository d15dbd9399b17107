// ChunkStream: the chunks of a trace in order, decoded ahead on a helper
// thread, so that a sequential reader (replay) overlaps decoding with its own
// work; or, without read-ahead, each decoded by Next() on the caller's
// thread (one core; and to measure what decoding costs).
//
// With read-ahead, the first chunk is still decoded by the first Next(), on
// the caller's thread, while the helper thread starts and decodes the
// second: the first events do not wait for a new thread to be scheduled (on
// a busy machine that can take milliseconds) nor for a hand-over.

#ifndef TAPE_FORMAT_CHUNK_STREAM_H_
#define TAPE_FORMAT_CHUNK_STREAM_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "format/chunk_decoder.h"
#include "format/trace_reader.h"

namespace tape::format {

class ChunkStream {
 public:
  // Decodes `parts` of chunks first_chunk, first_chunk + 1, ... of `reader`,
  // which must outlive the stream; ahead on a thread of its own if
  // `read_ahead`.
  ChunkStream(const TraceReader* reader, unsigned parts, size_t first_chunk = 0,
              bool read_ahead = true);
  ~ChunkStream();
  ChunkStream(const ChunkStream&) = delete;
  ChunkStream& operator=(const ChunkStream&) = delete;

  // The next chunk, or nullptr after the last one. The chunk returned by the
  // previous call is released (its memory is reused). After Stop(), an error.
  Result<const DecodedChunk*> Next();

  // Stops decoding ahead and joins the helper thread: after it returns, the
  // stream no longer reads the trace's mapping (a caller that guards reads
  // against a file shrinking under it can drop the guard). Idempotent; the
  // destructor calls it.
  void Stop();

 private:
  struct Slot {
    DecodedChunk chunk;
    Status status;
    bool ready = false;  // decoded, waiting for the consumer
  };
  void DecodeLoop();
  // Next() for the first chunk with read-ahead: decodes it on the caller's
  // thread. Out of line: make perf-check counts it by name.
  [[gnu::noinline]] Result<const DecodedChunk*> NextFirst();
  // Chunks decoded ahead of the consumer, plus the one it holds.
  static constexpr size_t kSlots = 3;

  const TraceReader* reader_;
  const unsigned parts_;
  const bool read_ahead_;
  std::unique_ptr<ChunkDecoder> decoder_;  // the consumer's: without read-ahead, or the first chunk
  const size_t end_;
  std::mutex mu_;
  std::condition_variable cv_;
  Slot slots_[kSlots];
  size_t next_to_decode_;   // guarded by mu_
  size_t next_to_return_;   // consumer side
  // The consumer holds slots_[(next_to_return_ - 1) % kSlots]; guarded by
  // mu_. With read-ahead it starts true: the slot of the first chunk is the
  // consumer's, which decodes it (first_pending_).
  bool holding_ = false;
  bool first_pending_ = false;  // consumer side: the first Next() decodes its chunk
  bool stop_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_STREAM_H_
