// TraceWriter: streams a trace to a file, append-only, in bounded memory.
//
// The recorded program's thread calls Append(), which copies the event into
// the current ChunkBuilder: no lock, no system call, no allocation. An encoder
// thread seals chunks (when a builder fills, and every flush_ms for a slow
// program), compresses them and writes them. Two builders take turns; when
// the recording thread fills one before the encoder freed the other (the
// encoder's CPU was slow to wake), it makes another rather than wait, up to
// WriterOptions::builders. So the writer holds at most that many chunks of
// events whatever the recording's length.
//
// Errors (disk full, EFBIG, EIO) are sticky: the first one stops all further
// writing, ok() turns false and status() says what happened. The file stays a
// valid trace up to the last chunk written before the error (§12).
//
// Every event is sealed exactly once: the encoder seals each builder from
// the first seq not yet in a chunk (sealed_seq_), so a builder it sees twice
// cannot be written twice, and a builder whose first seq is past it is a gap
// the writer refuses (kInternal) instead of writing. The footer is written
// only if the chunks cover seqs 0..N-1 once each and N is every event
// appended; otherwise the writer fails with kInternal and leaves the file
// without a footer (an interrupted trace that `tape recover` can read).
//
// The file must stay the one written: before each chunk, and again at the
// end, the writer checks that nothing else shrank or rewrote it (its size,
// its header bytes, the start of every chunk); a change is an error.

#ifndef TAPE_FORMAT_TRACE_WRITER_H_
#define TAPE_FORMAT_TRACE_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "format/chunk_builder.h"
#include "format/chunk_encoder.h"
#include "format/event_clock.h"
#include "format/lane_queue.h"
#include "format/status.h"
#include "format/trace_info.h"
#include "format/trace_output.h"

namespace tape::format {

struct WriterOptions {
  uint32_t chunk_max_events = 65536;   // events per chunk (at most kMaxChunkEvents)
  uint32_t chunk_max_payload = 1u << 20;  // bytes per payload heap per chunk
  // The most chunk builders the recording thread fills in turn (2 to
  // kMaxBuilders). It starts with two and makes another only when it would
  // otherwise wait for the encoder thread; with four, the encoder may fall
  // three chunks behind (about 5 ms of a recording of clock readings)
  // before the program notices, which a virtual machine's CPU that is slow
  // to wake needs (README, "Performance").
  uint32_t builders = 4;
  static constexpr uint32_t kMaxBuilders = 16;
  uint32_t flush_ms = 100;  // a recorded event reaches the file within this time
  int zstd_level = 1;
  // Payloads larger than this go to BLOB records (§8). At most chunk_max_payload.
  uint32_t spill_threshold = 256u << 10;
  // Write the trace even over a file that is not a trace, or not a regular
  // file (see TraceOutput::Claim).
  bool force = false;
  // Non-zero: every event's time and the footer's finish time are this
  // instant (ns since the Unix epoch) instead of the clock's, so that the same
  // events always make the same bytes (golden recordings in tests).
  int64_t frozen_time_ns = 0;
  // Integer-coded results and event times as packed integers (format 1.2,
  // §7.9); false: as the varint columns of format 1.1, which older readers
  // know (for tests of those readers' paths).
  bool packed_columns = true;
  // Tests only (WriterTestHooks); must outlive the writer.
  const struct WriterTestHooks* test_hooks = nullptr;

  // Checks the limits above; names the offending option.
  Status Validate() const;
};

// Seams that let a test force an interleaving of the recording thread and
// the encoder thread (tests/format/writer_race_test.cc). Each hook is called
// without the writer's lock held, so it may block; production code sets none.
enum class WriterStage {
  kRotateWaiting,  // recording thread: its full builder is handed over, the other is not free yet
  kRotateTaking,   // recording thread: the other builder is free, about to take it
  kSealFull,       // encoder thread: about to seal a builder the recording thread handed over
  kTicked,         // encoder thread: a flush tick was handled
  kClosing,        // encoder thread: the last events are sealed; the checks and footer follow
};
struct WriterTestHooks {
  std::function<void(WriterStage)> at;
  // The encoder ticks only when TraceWriter::TickForTest() asks, never by
  // the clock.
  bool manual_ticks = false;
  // Called on the encoder thread before the checks at the end, to break what
  // they check (a test of the checks themselves).
  std::function<void(std::vector<ChunkIndexEntry>*)> alter_index;
};

class TraceWriter {
 public:
  // Claims `path` (TraceOutput: locked, an old trace kept whole until the new
  // one has its first chunk) and writes the prelude and HEAD record.
  static Result<std::unique_ptr<TraceWriter>> Create(const std::string& path,
                                                     const TraceHeader& header,
                                                     const WriterOptions& options);
  // Without Finish(), the encoder thread stops and the file is left as an
  // interrupted trace holding what was sealed.
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Records the next event (seq = events so far). Hot path. `marks`: the
  // event's EVENT_MARKS byte (§7.3).
  // The event's time (§7.8) is the event clock's, one relaxed load.
  void Append(uint64_t site, uint8_t kind, Bytes args, Bytes result, uint8_t marks = 0) {
    AppendTimed(site, kind, args, result, clock_.Now(), 0, marks);
  }
  // Append for the common event (no marks), the recorder's hot path: the
  // columns that stay constant are not stored (ChunkBuilder::Cursor::
  // AppendPlain). A payload of a size known when this is inlined costs no
  // size checks beyond the builder's room (the spill threshold is at least
  // kBuilderSpillEntry).
  void AppendPlain(uint64_t site, uint8_t kind, Bytes args, Bytes result) {
    if (args.size() > kBuilderSpillEntry || result.size() > kBuilderSpillEntry) [[unlikely]] {
      if (args.size() > spill_threshold_ || result.size() > spill_threshold_) {
        AppendLarge(site, kind, args, result, 0, clock_.Now(), 0);
        return;
      }
    }
    if (!cursor_->HasRoom(args.size(), result.size())) [[unlikely]] Rotate();
    cursor_->AppendPlain(site, kind, args, result, clock_.Now());
  }

  // --- a cursor held by the caller ------------------------------------------
  //
  // The producer's cursor into the chunk being built (ChunkBuilder::Cursor)
  // lives in the writer until a caller that appends on a hot path takes it
  // into its own object: the recorder, whose appends then find the columns
  // one load from itself (TryAppendPlain). The writer appends through the
  // attached cursor too, so there is one cursor at any time.

  // Moves the cursor into `*c`; the writer appends through it until
  // DetachCursor. REQUIRES: called on the thread that appends, no cursor
  // attached; `*c` outlives the attachment.
  void AttachCursor(ChunkBuilder::Cursor* c) {
    *c = *cursor_;
    cursor_ = c;
  }
  // Moves the attached cursor back into the writer.
  void DetachCursor() {
    own_cursor_ = *cursor_;
    cursor_ = &own_cursor_;
  }
  // AppendPlain's common case through the attached cursor `c`, with no call
  // in it: false, appending nothing, when the event needs more (a payload
  // over kBuilderSpillEntry bytes, a full builder, an idle event clock); the
  // caller then calls AppendPlain. REQUIRES: `c` is attached.
  bool TryAppendPlain(ChunkBuilder::Cursor& c, uint64_t site, uint8_t kind, Bytes args,
                      Bytes result) const {
    int64_t time_ns;
    if (args.size() > kBuilderSpillEntry || result.size() > kBuilderSpillEntry ||
        !c.HasRoom(args.size(), result.size()) || !clock_.NowIfTicking(&time_ns)) [[unlikely]] {
      return false;
    }
    c.AppendPlain(site, kind, args, result, time_ns);
    return true;
  }
  // TryAppendPlain of an event with no args and an 8-byte result (clock.now).
  bool TryAppendPlainU64(ChunkBuilder::Cursor& c, uint64_t site, uint8_t kind,
                         uint64_t result) const {
    int64_t time_ns;
    if (!c.HasRoom(0, 8) || !clock_.NowIfTicking(&time_ns)) [[unlikely]] return false;
    c.AppendPlainU64(site, kind, result, time_ns);
    return true;
  }

  // Records the next event with a time of the caller's (ns since the Unix
  // epoch, from PreciseTime() or, for tools that copy events, the source's;
  // 0: unknown) and the effect's duration (0: not measured).
  void AppendTimed(uint64_t site, uint8_t kind, Bytes args, Bytes result, int64_t time_ns,
                   uint64_t duration_ns, uint8_t marks = 0) {
    if (args.size() > spill_threshold_ || result.size() > spill_threshold_) {
      AppendLarge(site, kind, args, result, marks, time_ns, duration_ns);
      return;
    }
    if (!cursor_->HasRoom(args.size(), result.size())) Rotate();
    cursor_->Append(site, kind, args, result, 0, marks, 0, time_ns, duration_ns);
  }
  // The event clock read now (~30 ns): for the start and the end of an effect
  // that takes time. No event appended later gets an earlier time.
  int64_t PreciseTime() { return clock_.Precise(); }
  // The clock events are stamped with (for tests that wait for it to go idle).
  const EventClock& clock() const { return clock_; }

  // Declares the source location of a site. Must precede the first Append
  // that uses `id`; later calls for the same id are ignored. Thread-safe.
  void DefineSite(uint64_t id, std::string_view location);
  // Names a kind byte the trace defines itself (§7.3 KIND_NAMES), e.g. a
  // user-defined effect. Must precede the first Append of that kind.
  void DefineKind(uint8_t kind, std::string_view name);

  uint64_t events() const {
    return lanes_enabled_ ? lane_seq_.load(std::memory_order_relaxed) : cursor_->next_seq();
  }

  // --- lanes: recording from several threads (§7.3 LANES) -------------------
  //
  // Until EnableLanes(), one thread appends (Append above) straight into the
  // chunk being built. After it, each lane (thread) appends into its own
  // LaneQueue with AppendFromLane: no lock, one atomic increment for the
  // event's seq; the encoder thread merges the queues in seq order into
  // chunks. So the global order of the calls is recorded, and threads
  // recording in parallel do not wait for each other.

  // REQUIRES: called by the only thread that has appended so far, before any
  // other thread appends. Idempotent.
  void EnableLanes();
  bool lanes_enabled() const { return lanes_enabled_; }
  // A queue for a thread that starts appending (one thread per queue), and
  // its return when that thread has appended its last event. Thread-safe.
  LaneQueue* AcquireLaneQueue();
  void ReleaseLaneQueue(LaneQueue* q);
  // Records the next event of `lane`, whose thread owns `q`. Thread-safe
  // across queues. REQUIRES: lanes_enabled(). If the writer has failed, the
  // event is dropped (ok() says so). `time_ns` and `duration_ns` as for
  // AppendTimed, except that time 0 means the event clock's time when the
  // event takes its seq. Each lane's events carry their own times through
  // the merge; the encoder raises a time that is earlier than the previous
  // event's (another lane's event took a seq in between) to it, keeping the
  // effect's end (§7.8).
  void AppendFromLane(LaneQueue* q, uint32_t lane, uint64_t site, uint8_t kind, Bytes args,
                      Bytes result, uint8_t marks = 0, int64_t time_ns = 0,
                      uint64_t duration_ns = 0);
  // The file written, and the old trace it replaces: writing either from the
  // recorded program would destroy a recording.
  bool IsOwnFile(dev_t dev, ino_t ino) const { return output_->IsOwnFile(dev, ino); }
  bool ok() const { return !failed_.load(std::memory_order_relaxed); }
  // The chunk builders made so far (2, plus those made for a slow encoder).
  uint32_t builders_made() const { return builder_count_.load(std::memory_order_acquire); }
  Status status() const;
  const std::string& path() const { return path_; }

  // Seals the remaining events, writes the footer (index, sites, outcome) and
  // the trailer, and closes the file. Returns the first error, if any.
  // `program_steps`: see Footer.
  Status Finish(const Outcome& outcome, std::optional<uint64_t> program_steps = std::nullopt);

  // Async-signal-safe: asks the encoder thread to finish the trace with
  // `outcome` and waits up to `timeout_ms` for it. For fatal-signal handlers
  // while the program's thread is stopped inside the handler. `message` must
  // be a string literal.
  // Returns true if the trace was finished without error.
  bool FinishFromSignal(OutcomeKind kind, int code, const char* message, int timeout_ms);

  // WriterTestHooks::manual_ticks: makes the encoder thread handle one
  // flush tick (as if flush_ms / 2 had passed).
  void TickForTest();

 private:
  TraceWriter(std::unique_ptr<TraceOutput> output, const WriterOptions& options,
              std::vector<uint8_t> head);
  enum class BuilderState { kCurrent, kFull, kFree };
  // Recording thread, under mu_: a free builder, or a new one if fewer than
  // options_.builders exist; -1 if neither.
  int FreeOrNewBuilder();

  void AppendLarge(uint64_t site, uint8_t kind, Bytes args, Bytes result, uint8_t marks,
                   int64_t time_ns, uint64_t duration_ns);
  // Writes a payload too large for a chunk as BLOB records (through the
  // encoder thread) and fills the builder's 24-byte spill entry for it.
  // Thread-safe: callers take turns.
  void Spill(Bytes payload, uint8_t entry[kBuilderSpillEntry]);
  // Producer side, lanes mode: waits until `q` has room; false if the
  // writer failed or finished meanwhile.
  bool WaitForRoom(LaneQueue* q, size_t args_size, size_t result_size);
  // Encoder thread, lanes mode: moves every event that is next in seq order
  // from the lane queues into merge_builder_, sealing it when it fills.
  void MergeLanes();
  // Encoder thread: writes the events of `builder` below index `end` that
  // are not in a chunk yet (from sealed_seq_) as one chunk. REQUIRES: the
  // recording thread does not Reset `builder` meanwhile.
  void Seal(const ChunkBuilder& builder, uint32_t end);
  [[gnu::cold]] void Rotate();  // hands the full current builder to the encoder
  void EncoderLoop();
  bool WriteAll(const uint8_t* data, size_t size);
  void Fail(Status status);
  // Encoder thread, at the end: checks that every event appended is sealed
  // once (`appended`: the count the recording handed out, or nullopt when
  // it may still be appending), then writes the footer and checks the file.
  void Close(const Outcome& outcome, std::optional<uint64_t> program_steps,
             std::optional<uint64_t> appended);
  // OK if index_ covers seqs [0, sealed_seq_) once each, in order.
  Status CheckCoverage() const;
  // OK if the file is still as written: `file_offset_` bytes long, starting
  // with head_, every chunk record starting as written. For regular files.
  Status CheckFile(bool chunk_heads) const;
  void WriteFooter(const Outcome& outcome, std::optional<uint64_t> program_steps);
  // Encoder thread, last: sets finished_ and wakes the threads waiting for it.
  void MarkFinished();
  void Hook(WriterStage stage) const {
    if (hooks_ != nullptr && hooks_->at) [[unlikely]] hooks_->at(stage);
  }
  // Encoder thread: makes the new trace visible at its path once it holds a
  // chunk (or at the end).
  void Publish();
  // Runs on the encoder thread: writes `payload` as BLOB records.
  void WriteBlob();

  std::unique_ptr<TraceOutput> output_;
  const int fd_;
  const std::string path_;
  const WriterOptions options_;
  const uint32_t spill_threshold_;
  const WriterTestHooks* const hooks_;
  const std::vector<uint8_t> head_;  // the prelude and HEAD record, as written
  const bool regular_file_;          // the output is a regular file (not a forced device)
  // fd_ opened for reading too (it may be write-only), for CheckFile; -1
  // when it cannot be (the bytes are then not checked, the size still is).
  const int read_fd_;

  // Producer-side (the recorded program's thread): where the next event
  // goes, in the writer or attached to a caller (AttachCursor).
  ChunkBuilder::Cursor own_cursor_;
  ChunkBuilder::Cursor* cursor_ = &own_cursor_;

  std::mutex mu_;
  std::condition_variable cv_;
  // The builders made so far: two at first, then one more whenever Rotate
  // finds none free, up to options_.builders. Only the recording thread
  // makes them, under mu_; a slot is filled before builder_count_ counts it
  // and never changes afterwards, so the ticker reads [0, count) unlocked.
  std::unique_ptr<ChunkBuilder> builders_[WriterOptions::kMaxBuilders];
  std::atomic<uint32_t> builder_count_{0};
  BuilderState state_[WriterOptions::kMaxBuilders] = {};  // guarded by mu_
  bool cannot_grow_ = false;  // a builder could not be allocated; guarded by mu_
  int current_index_ = 0;  // guarded by mu_
  bool stop_ = false;      // guarded by mu_
  bool tick_requested_ = false;  // guarded by mu_ (WriterTestHooks::manual_ticks)
  Outcome final_outcome_;  // guarded by mu_
  std::optional<uint64_t> final_steps_;  // guarded by mu_
  uint64_t final_appended_ = 0;  // guarded by mu_: the events appended when Finish was called
  struct BlobJob {
    Bytes payload;
    bool busy = false;  // a producer holds the job (between posting and taking the result)
    bool pending = false;
    bool done = false;
    uint64_t offset = 0;
    uint64_t hash = 0;
  } blob_;  // guarded by mu_

  // Lanes mode.
  bool lanes_enabled_ = false;       // producer side: set before other threads exist
  bool lanes_mode_ = false;          // guarded by mu_ (the encoder's view)
  bool drain_requested_ = false;     // guarded by mu_
  std::atomic<uint64_t> lane_seq_{0};  // the next seq to hand out
  std::mutex lanes_mu_;
  std::vector<std::unique_ptr<LaneQueue>> lanes_;  // every queue; guarded by lanes_mu_
  std::vector<LaneQueue*> free_lanes_;              // guarded by lanes_mu_
  // Encoder-thread state for lanes mode.
  std::unique_ptr<ChunkBuilder> merge_builder_;
  ChunkBuilder::Cursor merge_cursor_;
  uint64_t merge_next_ = 0;  // the next seq to merge

  // Publishes event times (after builders_ and lane_seq_: its ticker reads
  // their counts).
  EventClock clock_;

  // Async-signal path: set by FinishFromSignal, polled by the encoder thread.
  std::atomic<bool> signal_stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> signal_kind_{0};
  std::atomic<int> signal_code_{0};
  std::atomic<const char*> signal_message_{nullptr};

  // Encoder-thread state.
  ChunkEncoder encoder_;
  uint64_t sealed_seq_ = 0;  // the first seq not in a chunk yet
  uint64_t chunk_heads_ = 0;  // a hash of every chunk record's header, in order (CheckFile)
  uint64_t file_offset_;
  std::vector<uint8_t> record_;
  std::vector<ChunkIndexEntry> index_;
  SiteTable sites_written_;

  // Definitions not yet written, each with the seq of the first event that
  // may use it (the events appended when it was defined): it is written in
  // the chunk holding that seq, so that a trace's bytes depend on its events
  // alone, not on when the encoder thread ran.
  std::mutex sites_mu_;
  std::unordered_set<uint64_t> sites_known_;  // guarded by sites_mu_
  SiteDefinitions sites_pending_;             // guarded by sites_mu_
  std::vector<uint64_t> sites_pending_seq_;   // guarded by sites_mu_
  KindDefinitions kinds_pending_;             // guarded by sites_mu_
  std::vector<uint64_t> kinds_pending_seq_;   // guarded by sites_mu_
  KindNames kinds_written_;                   // encoder thread

  std::atomic<bool> failed_{false};
  mutable std::mutex error_mu_;
  Status error_;  // guarded by error_mu_

  std::thread thread_;
  pthread_t encoder_thread_{};  // so a fatal signal on it does not wait for itself
  bool joined_ = false;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_TRACE_WRITER_H_
