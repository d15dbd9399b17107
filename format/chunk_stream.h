// ChunkStream: the chunks of a trace in order, decoded ahead on a helper
// thread, so that a sequential reader (replay) overlaps decoding with its own
// work; or, without read-ahead, each decoded by Next() on the caller's
// thread (one core; and to measure what decoding costs).

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
  // Chunks decoded ahead of the consumer, plus the one it holds.
  static constexpr size_t kSlots = 3;

  const TraceReader* reader_;
  const unsigned parts_;
  const bool read_ahead_;
  std::unique_ptr<ChunkDecoder> decoder_;  // without read-ahead
  const size_t end_;
  std::mutex mu_;
  std::condition_variable cv_;
  Slot slots_[kSlots];
  size_t next_to_decode_;   // guarded by mu_
  size_t next_to_return_;   // consumer side
  bool holding_ = false;    // the consumer holds slots_[(next_to_return_ - 1) % kSlots]
  bool stop_ = false;       // guarded by mu_
  std::thread thread_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_CHUNK_STREAM_H_
