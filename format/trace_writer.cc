#include "format/trace_writer.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>

#include "format/blob.h"
#include "format/clock.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format {

namespace {

// Moves the definitions whose first possible use is before `end_seq` from
// `pending` (their seqs in `seqs`) to `out`, keeping the others in order.
template <class Definitions>
void TakeDefinitions(Definitions* pending, std::vector<uint64_t>* seqs, uint64_t end_seq,
                     Definitions* out) {
  size_t kept = 0;
  for (size_t i = 0; i < pending->size(); ++i) {
    if ((*seqs)[i] < end_seq) {
      out->push_back(std::move((*pending)[i]));
    } else {
      if (kept != i) {  // (a string moved onto itself may be left empty)
        (*pending)[kept] = std::move((*pending)[i]);
        (*seqs)[kept] = (*seqs)[i];
      }
      ++kept;
    }
  }
  pending->resize(kept);
  seqs->resize(kept);
}

}  // namespace

Status WriterOptions::Validate() const {
  if (chunk_max_events == 0 || chunk_max_events > kMaxChunkEvents) {
    return Status::InvalidArgument(
        fmt::format("chunk_max_events must be in 1..{}", kMaxChunkEvents));
  }
  if (chunk_max_payload < 1024 || chunk_max_payload > kMaxHeapBytes / 2) {
    return Status::InvalidArgument(
        fmt::format("chunk_max_payload must be in 1024..{}", kMaxHeapBytes / 2));
  }
  if (spill_threshold < kBuilderSpillEntry || spill_threshold > chunk_max_payload) {
    return Status::InvalidArgument("spill_threshold must be in 24..chunk_max_payload");
  }
  if (builders < 2 || builders > kMaxBuilders) {
    return Status::InvalidArgument(fmt::format("builders must be in 2..{}", kMaxBuilders));
  }
  if (flush_ms == 0 || flush_ms > 3600 * 1000) {
    return Status::InvalidArgument("flush_ms must be in 1..3600000");
  }
  if (zstd_level < -7 || zstd_level > 19) {
    return Status::InvalidArgument("zstd_level must be in -7..19");
  }
  return Status::Ok();
}

Result<std::unique_ptr<TraceWriter>> TraceWriter::Create(const std::string& path,
                                                         const TraceHeader& header,
                                                         const WriterOptions& options) {
  TAPE_RETURN_IF_ERROR(options.Validate());
  TAPE_ASSIGN_OR_RETURN(std::unique_ptr<TraceOutput> output, TraceOutput::Claim(path, options.force, &header));
  int fd = output->fd();

  TraceHeader h = header;
  h.chunk_max_events = options.chunk_max_events;
  h.chunk_max_payload = options.chunk_max_payload;
  h.flush_ms = options.flush_ms;
  std::vector<uint8_t> head;
  AppendPrelude(&head, options.packed_columns ? kFormatMinorPacked : kFormatMinorGaps);
  AppendRecord(kTagHeader, EncodeHeaderBody(h), &head);
  const uint8_t* p = head.data();
  size_t left = head.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("cannot write trace " + path, errno);
    p += n;
    left -= size_t(n);
  }
  return std::unique_ptr<TraceWriter>(new TraceWriter(std::move(output), options, std::move(head)));
}

namespace {

bool IsRegularFile(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

// Makes every write to `fd` go to the end of the file, wherever that is. The
// writer only appends anyway; with O_APPEND, a file another program
// truncated or extended stays a different length from what was written,
// which CheckFile sees, instead of the next write bringing it back to that
// length over a hole.
void AppendOnly(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_APPEND);
}

// `fd` itself if it can be read, else the same file opened for reading
// (through /proc/self/fd, which reaches it even if it was renamed or
// removed), at a descriptor >= 3 so that a program whose standard input
// is closed cannot read it as stdin; -1 if neither works.
int ReadableFd(int fd) {
  int mode = ::fcntl(fd, F_GETFL);
  if (mode >= 0 && (mode & O_ACCMODE) != O_WRONLY) return fd;
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int r = ::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (r < 0 || r > 2) return r;
  int high = ::fcntl(r, F_DUPFD_CLOEXEC, 3);
  ::close(r);
  return high;
}

}  // namespace

TraceWriter::TraceWriter(std::unique_ptr<TraceOutput> output, const WriterOptions& options,
                         std::vector<uint8_t> head)
    : output_(std::move(output)),
      fd_(output_->fd()),
      path_(output_->path()),
      options_(options),
      spill_threshold_(options.spill_threshold),
      hooks_(options.test_hooks),
      head_(std::move(head)),
      regular_file_(IsRegularFile(fd_)),
      read_fd_(regular_file_ ? ReadableFd(fd_) : -1),
      clock_([this] {
        // Any change means events are being recorded (a Reset lowers a
        // count; in lanes mode the builders rest and the seq counter
        // moves). Rotating before each xor keeps a change of any one count
        // a change of the whole.
        uint64_t activity = lane_seq_.load(std::memory_order_relaxed);
        uint32_t n = builder_count_.load(std::memory_order_acquire);
        for (uint32_t b = 0; b < n; ++b) {
          activity = (activity << 21 | activity >> 43) ^ builders_[b]->published();
        }
        return activity;
      }, options.frozen_time_ns),
      encoder_(options.zstd_level, options.packed_columns),
      file_offset_(head_.size()) {
  if (regular_file_) AppendOnly(fd_);
  merge_builder_ =
      std::make_unique<ChunkBuilder>(options.chunk_max_events, options.chunk_max_payload);
  for (int b = 0; b < 2; ++b) {
    builders_[b] =
        std::make_unique<ChunkBuilder>(options.chunk_max_events, options.chunk_max_payload);
  }
  state_[0] = BuilderState::kCurrent;
  state_[1] = BuilderState::kFree;
  builder_count_.store(2, std::memory_order_release);
  own_cursor_ = builders_[0]->Reset(0);
  thread_ = std::thread([this] { EncoderLoop(); });
  encoder_thread_ = thread_.native_handle();
}

TraceWriter::~TraceWriter() {
  if (!joined_) {
    (void)Finish({OutcomeKind::kInterrupted, 0, "the recorder was closed without an outcome"});
  }
  if (read_fd_ >= 0 && read_fd_ != fd_) ::close(read_fd_);
}

void TraceWriter::DefineSite(uint64_t id, std::string_view location) {
  std::lock_guard lock(sites_mu_);
  if (sites_known_.insert(id).second) {
    sites_pending_.emplace_back(id, std::string(location.substr(0, kMaxSiteText)));
    sites_pending_seq_.push_back(events());
  }
}

void TraceWriter::DefineKind(uint8_t kind, std::string_view name) {
  std::lock_guard lock(sites_mu_);
  kinds_pending_.emplace_back(kind, std::string(name.substr(0, kMaxKindName)));
  kinds_pending_seq_.push_back(events());
}

Status TraceWriter::status() const {
  std::lock_guard lock(error_mu_);
  return error_;
}

void TraceWriter::Fail(Status status) {
  std::lock_guard lock(error_mu_);
  if (error_.ok()) error_ = std::move(status);
  failed_.store(true, std::memory_order_relaxed);
}

bool TraceWriter::WriteAll(const uint8_t* data, size_t size) {
  if (!ok()) return false;
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Fail(Status::FromErrno(fmt::format("cannot write trace {} at byte {}", path_, file_offset_),
                             n < 0 ? errno : EIO));
      return false;
    }
    data += n;
    size -= size_t(n);
  }
  return true;
}

int TraceWriter::FreeOrNewBuilder() {
  uint32_t n = builder_count_.load(std::memory_order_relaxed);
  for (uint32_t b = 0; b < n; ++b) {
    if (state_[b] == BuilderState::kFree) return int(b);
  }
  // A finished trace takes no more events (Rotate drops them), and a
  // builder that cannot be had is waited for, as with the last one.
  if (n >= options_.builders || n >= WriterOptions::kMaxBuilders || finished_.load() ||
      cannot_grow_) {
    return -1;
  }
  try {
    builders_[n] =
        std::make_unique<ChunkBuilder>(options_.chunk_max_events, options_.chunk_max_payload);
  } catch (const std::bad_alloc&) {
    cannot_grow_ = true;
    return -1;
  }
  state_[n] = BuilderState::kFree;
  builder_count_.store(n + 1, std::memory_order_release);
  return int(n);
}

void TraceWriter::Rotate() {
  std::unique_lock lock(mu_);
  int full = current_index_;
  state_[full] = BuilderState::kFull;
  cv_.notify_all();
  // Until this thread takes `next`, current_index_ names the builder just
  // handed over, which the encoder may seal and free meanwhile: the encoder
  // trusts a builder's state, never current_index_ alone.
  int next = FreeOrNewBuilder();
  if (hooks_ != nullptr && next < 0) [[unlikely]] {
    lock.unlock();
    Hook(WriterStage::kRotateWaiting);
    lock.lock();
  }
  cv_.wait(lock, [&] { return next >= 0 || (next = FreeOrNewBuilder()) >= 0 || finished_.load(); });
  if (next < 0) {
    // The trace was finished under this thread (std::exit on another path,
    // or a fatal signal's handler) and the encoder thread is gone: events
    // recorded now have nowhere to go (an atexit handler's, say). Drop them
    // rather than wait for ever; nothing reads the builder any more.
    state_[full] = BuilderState::kCurrent;
    *cursor_ = cursor_->builder()->Reset(cursor_->next_seq());
    return;
  }
  if (hooks_ != nullptr) [[unlikely]] {
    // Only this thread moves a free builder on: `next` stays free.
    lock.unlock();
    Hook(WriterStage::kRotateTaking);
    lock.lock();
  }
  *cursor_ = builders_[next]->Reset(cursor_->next_seq());
  state_[next] = BuilderState::kCurrent;
  current_index_ = next;
}

void TraceWriter::Spill(Bytes payload, uint8_t entry[kBuilderSpillEntry]) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !blob_.busy || finished_.load(); });
  if (finished_.load()) {
    // The trace is finished (see Rotate): the event goes nowhere.
    std::memset(entry, 0, kBuilderSpillEntry);
    return;
  }
  blob_.busy = true;
  blob_.payload = payload;
  blob_.pending = true;
  blob_.done = false;
  cv_.notify_all();
  cv_.wait(lock, [&] { return blob_.done || finished_.load(); });
  if (!blob_.done) {
    std::memset(entry, 0, kBuilderSpillEntry);
    return;
  }
  StoreU64(entry, blob_.hash);
  StoreU64(entry + 8, blob_.offset);
  StoreU64(entry + 16, payload.size());
  blob_.busy = false;
  blob_.done = false;
  cv_.notify_all();
}

void TraceWriter::AppendLarge(uint64_t site, uint8_t kind, Bytes args, Bytes result,
                              uint8_t marks, int64_t time_ns, uint64_t duration_ns) {
  uint8_t entries[2][kBuilderSpillEntry];
  uint8_t flags = 0;
  Bytes parts[2] = {args, result};
  for (int i = 0; i < 2; ++i) {
    if (parts[i].size() <= spill_threshold_) continue;
    Spill(parts[i], entries[i]);
    parts[i] = {entries[i], kBuilderSpillEntry};
    flags |= i == 0 ? kArgsSpilled : kResultSpilled;
  }
  if (!cursor_->HasRoom(parts[0].size(), parts[1].size())) Rotate();
  cursor_->Append(site, kind, parts[0], parts[1], flags, marks, 0, time_ns, duration_ns);
}

void TraceWriter::EnableLanes() {
  if (lanes_enabled_) return;
  std::unique_lock lock(mu_);
  // Hand the chunk being built to the encoder, as Rotate does; from now on
  // the encoder builds chunks from the lane queues.
  state_[current_index_] = BuilderState::kFull;
  uint64_t next_seq = cursor_->next_seq();
  lane_seq_.store(next_seq, std::memory_order_relaxed);
  merge_next_ = next_seq;
  merge_cursor_ = merge_builder_->Reset(next_seq);
  // The builder is the encoder's now: a caller that checks the cursor's room
  // before appending through it goes to its slow path.
  cursor_->Close();
  lanes_mode_ = true;
  lanes_enabled_ = true;
  cv_.notify_all();
}

LaneQueue* TraceWriter::AcquireLaneQueue() {
  std::lock_guard lock(lanes_mu_);
  if (!free_lanes_.empty()) {
    LaneQueue* q = free_lanes_.back();
    free_lanes_.pop_back();
    return q;
  }
  lanes_.push_back(
      std::make_unique<LaneQueue>(std::max<uint32_t>(spill_threshold_, kBuilderSpillEntry)));
  return lanes_.back().get();
}

void TraceWriter::ReleaseLaneQueue(LaneQueue* q) {
  std::lock_guard lock(lanes_mu_);
  free_lanes_.push_back(q);
}

void TraceWriter::AppendFromLane(LaneQueue* q, uint32_t lane, uint64_t site, uint8_t kind,
                                 Bytes args, Bytes result, uint8_t marks, int64_t time_ns,
                                 uint64_t duration_ns) {
  uint8_t entries[2][kBuilderSpillEntry];
  uint8_t flags = 0;
  if (args.size() > spill_threshold_ || result.size() > spill_threshold_) [[unlikely]] {
    Bytes* parts[2] = {&args, &result};
    for (int i = 0; i < 2; ++i) {
      if (parts[i]->size() <= spill_threshold_) continue;
      Spill(*parts[i], entries[i]);
      *parts[i] = {entries[i], kBuilderSpillEntry};
      flags |= i == 0 ? kArgsSpilled : kResultSpilled;
    }
  }
  // Room first, then the seq: a lane never holds a seq while it waits.
  if (!q->HasRoom(args.size(), result.size())) [[unlikely]] {
    if (!WaitForRoom(q, args.size(), result.size())) return;
  }
  uint64_t seq = lane_seq_.fetch_add(1, std::memory_order_relaxed);
  if (time_ns == 0) time_ns = clock_.Now();
  q->Push(seq, lane, site, kind, flags, marks, args, result, time_ns, duration_ns);
  if ((q->pushed() & 1023) == 0) [[unlikely]] {
    std::lock_guard lock(mu_);
    drain_requested_ = true;
    cv_.notify_all();
  }
}

bool TraceWriter::WaitForRoom(LaneQueue* q, size_t args_size, size_t result_size) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!ok() || finished_.load() || stop_) return false;
    if (q->HasRoom(args_size, result_size)) return true;
    drain_requested_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
}

void TraceWriter::MergeLanes() {
  std::vector<LaneQueue*> queues;
  {
    std::lock_guard lock(lanes_mu_);
    for (auto& q : lanes_) queues.push_back(q.get());
  }
  bool progress = true;
  while (progress) {
    progress = false;
    for (LaneQueue* q : queues) {
      while (const LaneQueue::Entry* e = q->Peek()) {
        if (e->seq != merge_next_) break;
        if (!merge_cursor_.HasRoom(e->args_len, e->result_len)) {
          Seal(*merge_builder_, merge_builder_->published());
          merge_cursor_ = merge_builder_->Reset(merge_next_);
        }
        merge_cursor_.Append(e->site, e->kind, q->Args(*e), q->Result(*e), e->flags, e->marks,
                             e->lane, e->time_ns, e->duration_ns);
        q->Pop();
        ++merge_next_;
        progress = true;
      }
    }
  }
}

void TraceWriter::WriteBlob() {
  Bytes payload = blob_.payload;  // stable: the producer waits for `done`
  uint64_t hash = XXH3_64bits(payload.data(), payload.size());
  uint64_t first = file_offset_;
  Status intact = CheckFile(/*chunk_heads=*/false);  // as before a chunk (Seal)
  if (!intact.ok()) Fail(intact);
  if (ok()) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    EncodeBlobRecords(payload, hash, cctx, options_.zstd_level, kBlobFrameBytes,
                      [&](Bytes record) {
                        if (!WriteAll(record.data(), record.size())) return false;
                        file_offset_ += record.size();
                        return true;
                      });
    ZSTD_freeCCtx(cctx);
  }
  blob_.hash = hash;
  blob_.offset = first;
}

void TraceWriter::Seal(const ChunkBuilder& builder, uint32_t end) {
  if (!ok()) return;
  uint64_t first = builder.first_seq();
  if (first > sealed_seq_) {
    // The events in between were never handed to the encoder: writing this
    // chunk would leave a hole in a trace that claims to be whole.
    Fail(Status::Internal(
        fmt::format("cannot write trace {}: events {}..{} never reached the encoder (an internal "
                    "error in tape's writer); the trace keeps the events before them",
                    path_, sealed_seq_, first - 1)));
    return;
  }
  if (sealed_seq_ - first >= end) return;  // all sealed already
  uint32_t begin = uint32_t(sealed_seq_ - first);
  // Nothing else may have shrunk or rewritten the file: this write would
  // leave a hole, or land after bytes that are not the trace's.
  Status intact = CheckFile(/*chunk_heads=*/false);
  if (!intact.ok()) {
    Fail(intact);
    return;
  }
  SiteDefinitions defs;
  KindDefinitions kinds;
  {
    std::lock_guard lock(sites_mu_);
    uint64_t end_seq = builder.first_seq() + end;
    TakeDefinitions(&sites_pending_, &sites_pending_seq_, end_seq, &defs);
    TakeDefinitions(&kinds_pending_, &kinds_pending_seq_, end_seq, &kinds);
  }
  uint64_t hash = 0;
  encoder_.Encode(builder, begin, end, uint32_t(index_.size()), defs, &record_, &hash, &kinds);
  uint64_t offset = file_offset_;
  if (!WriteAll(record_.data(), record_.size())) return;
  file_offset_ += record_.size();
  chunk_heads_ = XXH3_64bits_withSeed(record_.data(), kRecordHeaderSize, chunk_heads_);
  index_.push_back({offset, first + begin, end - begin, uint32_t(record_.size()), hash, true,
                    encoder_.first_time(), encoder_.last_time()});
  sealed_seq_ = first + end;
  Publish();
  for (auto& [id, text] : defs) sites_written_.emplace(id, std::move(text));
  for (auto& [kind, name] : kinds) kinds_written_[kind] = std::move(name);
}

void TraceWriter::Publish() {
  if (output_->published()) return;
  Status s = output_->Publish();
  if (!s.ok()) Fail(s);
}

Status TraceWriter::CheckCoverage() const {
  uint64_t next = 0;
  for (size_t c = 0; c < index_.size(); ++c) {
    const ChunkIndexEntry& e = index_[c];
    if (e.first_seq != next || e.event_count == 0) {
      return Status::Internal(
          fmt::format("cannot finish trace {}: chunk {} holds seqs {}..{} where seq {} was due (an "
                      "internal error in tape's writer); the footer is not written, so the trace "
                      "reads as interrupted: `tape recover` keeps its readable events",
                      path_, c, e.first_seq, e.first_seq + e.event_count - 1, next));
    }
    next += e.event_count;
  }
  if (next != sealed_seq_) {
    return Status::Internal(
        fmt::format("cannot finish trace {}: its chunks hold {} events, the writer sealed {} (an "
                    "internal error in tape's writer)",
                    path_, next, sealed_seq_));
  }
  return Status::Ok();
}

Status TraceWriter::CheckFile(bool chunk_heads) const {
  if (!regular_file_) return Status::Ok();
  auto changed = [&](const std::string& how) {
    return Status::Corrupt("the trace " + path_ + " was changed by another program while it was "
                           "being recorded: " + how + "; the recording is damaged");
  };
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Status::FromErrno("cannot check trace " + path_, errno);
  if (uint64_t(st.st_size) != file_offset_) {
    return changed(fmt::format(
        "{} (it is {} bytes long, tape wrote {})",
        uint64_t(st.st_size) < file_offset_ ? "it was truncated" : "something else wrote to it",
        st.st_size, file_offset_));
  }
  if (read_fd_ < 0) return Status::Ok();
  std::vector<uint8_t> bytes(std::max(head_.size(), kRecordHeaderSize));
  if (::pread(read_fd_, bytes.data(), head_.size(), 0) != ssize_t(head_.size()) ||
      std::memcmp(bytes.data(), head_.data(), head_.size()) != 0) {
    return changed(fmt::format("its header (bytes 0..{}) was overwritten", head_.size() - 1));
  }
  if (!chunk_heads) return Status::Ok();
  uint64_t heads = 0;
  for (const ChunkIndexEntry& e : index_) {
    if (::pread(read_fd_, bytes.data(), kRecordHeaderSize, off_t(e.file_offset)) !=
        ssize_t(kRecordHeaderSize)) {
      return changed(fmt::format("chunk at byte {} cannot be read back", e.file_offset));
    }
    heads = XXH3_64bits_withSeed(bytes.data(), kRecordHeaderSize, heads);
  }
  if (heads != chunk_heads_) return changed("the start of a chunk record was overwritten");
  return Status::Ok();
}

void TraceWriter::WriteFooter(const Outcome& outcome, std::optional<uint64_t> program_steps) {
  Footer footer;
  footer.event_count = sealed_seq_;
  footer.finished_unix_ns =
      options_.frozen_time_ns > 0 ? uint64_t(options_.frozen_time_ns) : WallClockNs();
  footer.outcome = outcome;
  footer.chunks = index_;
  footer.sites = sites_written_;
  footer.kind_names = kinds_written_;
  footer.program_steps = program_steps;
  std::vector<uint8_t> tail;
  uint64_t footer_offset = file_offset_;
  AppendRecord(kTagFooter, EncodeFooterBody(footer), &tail);
  AppendTrailer(footer_offset, &tail);
  if (WriteAll(tail.data(), tail.size())) file_offset_ += tail.size();
  Publish();
}

void TraceWriter::Close(const Outcome& outcome, std::optional<uint64_t> program_steps,
                        std::optional<uint64_t> appended) {
  Hook(WriterStage::kClosing);
  if (hooks_ != nullptr && hooks_->alter_index) hooks_->alter_index(&index_);
  if (ok()) {
    Status covered = CheckCoverage();
    if (covered.ok() && appended && *appended != sealed_seq_) {
      covered = Status::Internal(
          fmt::format("cannot finish trace {}: {} events were recorded but {} reached the file (an "
                      "internal error in tape's writer); the footer is not written, so the trace "
                      "reads as interrupted: `tape recover` keeps its readable events",
                      path_, *appended, sealed_seq_));
    }
    if (!covered.ok()) Fail(covered);
  }
  if (ok()) {
    Status before = CheckFile(/*chunk_heads=*/false);
    if (!before.ok()) Fail(before);
  }
  if (ok()) WriteFooter(outcome, program_steps);
  if (ok()) {
    Status after = CheckFile(/*chunk_heads=*/true);
    if (!after.ok()) Fail(after);
  }
  // The trace is published even when it failed: a new trace that holds
  // chunks is what the recording has, whatever the old trace at the path.
  Publish();
  // A trace deleted or replaced during the recording is lost: say so.
  Status at_path = output_->CheckStillAtPath();
  if (!at_path.ok()) Fail(at_path);
}

void TraceWriter::MarkFinished() {
  // Set before taking the lock: a signal handler waiting in FinishFromSignal
  // sees it even if the thread it interrupted holds mu_.
  finished_.store(true);
  { std::lock_guard lock(mu_); }  // a waiter that saw it false is now waiting
  cv_.notify_all();  // a recording thread in Rotate or Spill stops waiting
}

void TraceWriter::EncoderLoop() {
  using Clock = std::chrono::steady_clock;
  // Events waiting at one tick are sealed at the next, so none waits longer
  // than two ticks: flush_ms.
  const auto period = std::chrono::milliseconds(std::max<uint32_t>(1, options_.flush_ms / 2));
  const bool manual_ticks = hooks_ != nullptr && hooks_->manual_ticks;
  auto next_tick = Clock::now() + period;
  // The end seq of the events published at the previous tick: if some of
  // them are still not sealed at this one, they have waited a whole tick.
  uint64_t tick_seen = 0;

  std::unique_lock lock(mu_);
  for (;;) {
    auto woken = [&] {
      BuilderState* end = state_ + builder_count_.load(std::memory_order_relaxed);
      return stop_ || blob_.pending || std::find(state_, end, BuilderState::kFull) != end ||
             signal_stop_.load() || drain_requested_ || tick_requested_;
    };
    if (manual_ticks) {
      cv_.wait(lock, woken);
    } else {
      cv_.wait_until(lock, next_tick, woken);
    }
    if (blob_.pending) {
      lock.unlock();
      WriteBlob();
      lock.lock();
      blob_.pending = false;
      blob_.done = true;
      cv_.notify_all();
      continue;
    }
    // Seal full builders oldest first, re-reading the state after each one:
    // the producer may fill the other builder meanwhile.
    int full = -1;
    for (int b = 0; b < int(builder_count_.load(std::memory_order_relaxed)); ++b) {
      if (state_[b] == BuilderState::kFull &&
          (full < 0 || builders_[b]->first_seq() < builders_[full]->first_seq())) {
        full = b;
      }
    }
    if (full >= 0) {
      uint32_t end = builders_[full]->published();
      lock.unlock();
      Hook(WriterStage::kSealFull);
      Seal(*builders_[full], end);
      lock.lock();
      state_[full] = BuilderState::kFree;
      cv_.notify_all();
      continue;
    }
    bool tick = manual_ticks ? tick_requested_ : Clock::now() >= next_tick;
    tick_requested_ = false;
    if (lanes_mode_) {
      // Lanes: the chunks are built here, from the queues. Merge what is
      // next in seq order; on a tick or at the end, seal all of it.
      bool ending = stop_ || signal_stop_.load();
      drain_requested_ = false;
      lock.unlock();
      MergeLanes();
      if (ending || tick) Seal(*merge_builder_, merge_builder_->published());
      if (tick) Hook(WriterStage::kTicked);
      lock.lock();
      cv_.notify_all();  // producers waiting for room
      if (tick) next_tick = Clock::now() + period;
      if (!ending) continue;
      Outcome outcome = final_outcome_;
      std::optional<uint64_t> steps = stop_ ? final_steps_ : std::nullopt;
      std::optional<uint64_t> appended;
      if (stop_) {
        appended = lane_seq_.load();
      } else {
        outcome = {OutcomeKind(signal_kind_.load()), signal_code_.load(),
                   signal_message_.load() ? signal_message_.load() : ""};
      }
      lock.unlock();
      Close(outcome, steps, appended);
      MarkFinished();
      return;
    }
    // The builder the recording thread fills. While that thread is inside
    // Rotate, current_index_ may name a builder already sealed and freed
    // (kFree), which the recording thread is about to Reset: never read it.
    int c = current_index_;
    bool filling = state_[c] == BuilderState::kCurrent;
    if (stop_ || signal_stop_.load()) {
      Outcome outcome = final_outcome_;
      std::optional<uint64_t> steps = stop_ ? final_steps_ : std::nullopt;
      std::optional<uint64_t> appended;
      if (stop_) {
        appended = final_appended_;
      } else {
        outcome = {OutcomeKind(signal_kind_.load()), signal_code_.load(),
                   signal_message_.load() ? signal_message_.load() : ""};
      }
      uint32_t end = filling ? builders_[c]->published() : 0;
      lock.unlock();
      if (filling) Seal(*builders_[c], end);
      Close(outcome, steps, appended);
      MarkFinished();
      return;
    }
    if (tick) {
      next_tick = Clock::now() + period;
      if (filling) {
        uint64_t published_end = builders_[c]->first_seq() + builders_[c]->published();
        if (sealed_seq_ < tick_seen) {
          lock.unlock();
          Seal(*builders_[c], uint32_t(published_end - builders_[c]->first_seq()));
          lock.lock();
        }
        tick_seen = published_end;
      }
      lock.unlock();
      Hook(WriterStage::kTicked);
      lock.lock();
    }
  }
}

Status TraceWriter::Finish(const Outcome& outcome, std::optional<uint64_t> program_steps) {
  if (joined_) return status();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    // Finish runs on the recording thread, after its last Append.
    final_appended_ = events();
    final_outcome_ = outcome;
    final_steps_ = program_steps;
  }
  cv_.notify_all();
  thread_.join();
  joined_ = true;
  Status closed = output_->Close();
  if (!closed.ok()) Fail(closed);
  return status();
}

bool TraceWriter::FinishFromSignal(OutcomeKind kind, int code, const char* message,
                                   int timeout_ms) {
  if (finished_.load()) return ok();
  if (pthread_equal(pthread_self(), encoder_thread_)) return false;
  signal_kind_.store(int(kind));
  signal_code_.store(code);
  signal_message_.store(message);
  signal_stop_.store(true);
  // The encoder thread polls signal_stop_ at least every flush_ms / 2.
  for (int waited = 0; waited < timeout_ms; ++waited) {
    if (finished_.load()) return ok();
    timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
  return finished_.load() && ok();
}

void TraceWriter::TickForTest() {
  std::lock_guard lock(mu_);
  tick_requested_ = true;
  cv_.notify_all();
}

}  // namespace tape::format
