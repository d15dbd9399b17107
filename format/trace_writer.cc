#include "format/trace_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <chrono>

#include "format/blob.h"
#include "format/clock.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format {

Status WriterOptions::Validate() const {
  if (chunk_max_events == 0 || chunk_max_events > kMaxChunkEvents) {
    return Status::InvalidArgument("chunk_max_events must be in 1.." +
                                   std::to_string(kMaxChunkEvents));
  }
  if (chunk_max_payload < 1024 || chunk_max_payload > kMaxHeapBytes / 2) {
    return Status::InvalidArgument("chunk_max_payload must be in 1024.." +
                                   std::to_string(kMaxHeapBytes / 2));
  }
  if (spill_threshold < kBuilderSpillEntry || spill_threshold > chunk_max_payload) {
    return Status::InvalidArgument("spill_threshold must be in 24..chunk_max_payload");
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
  TAPE_ASSIGN_OR_RETURN(std::unique_ptr<TraceOutput> output, TraceOutput::Claim(path, options.force));
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
  return std::unique_ptr<TraceWriter>(new TraceWriter(std::move(output), options, head.size()));
}

TraceWriter::TraceWriter(std::unique_ptr<TraceOutput> output, const WriterOptions& options,
                         uint64_t data_start)
    : output_(std::move(output)),
      fd_(output_->fd()),
      path_(output_->path()),
      options_(options),
      spill_threshold_(options.spill_threshold),
      builders_{std::make_unique<ChunkBuilder>(options.chunk_max_events, options.chunk_max_payload),
                std::make_unique<ChunkBuilder>(options.chunk_max_events, options.chunk_max_payload)},
      clock_([this] {
        // Any change means events are being recorded (a Reset lowers it; in
        // lanes mode the builders rest and the seq counter moves).
        return (uint64_t(builders_[0]->published()) << 32 | builders_[1]->published()) +
               lane_seq_.load(std::memory_order_relaxed);
      }),
      encoder_(options.zstd_level, options.packed_columns),
      file_offset_(data_start) {
  merge_builder_ =
      std::make_unique<ChunkBuilder>(options.chunk_max_events, options.chunk_max_payload);
  current_ = builders_[0].get();
  current_->Reset(0);
  thread_ = std::thread([this] { EncoderLoop(); });
  encoder_thread_ = thread_.native_handle();
}

TraceWriter::~TraceWriter() {
  if (!joined_) {
    (void)Finish({OutcomeKind::kInterrupted, 0, "the recorder was closed without an outcome"});
  }
}

void TraceWriter::DefineSite(uint64_t id, std::string_view location) {
  std::lock_guard lock(sites_mu_);
  if (sites_known_.insert(id).second) {
    sites_pending_.emplace_back(id, std::string(location.substr(0, kMaxSiteText)));
  }
}

void TraceWriter::DefineKind(uint8_t kind, std::string_view name) {
  std::lock_guard lock(sites_mu_);
  kinds_pending_.emplace_back(kind, std::string(name.substr(0, kMaxKindName)));
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
      Fail(Status::FromErrno("cannot write trace " + path_ + " at byte " +
                                 std::to_string(file_offset_),
                             n < 0 ? errno : EIO));
      return false;
    }
    data += n;
    size -= size_t(n);
  }
  return true;
}

void TraceWriter::Rotate() {
  std::unique_lock lock(mu_);
  int full = current_index_;
  int next = 1 - full;
  state_[full] = BuilderState::kFull;
  cv_.notify_all();
  cv_.wait(lock, [&] { return state_[next] == BuilderState::kFree; });
  builders_[next]->Reset(next_seq_);
  state_[next] = BuilderState::kCurrent;
  current_index_ = next;
  current_ = builders_[next].get();
}

void TraceWriter::Spill(Bytes payload, uint8_t entry[kBuilderSpillEntry]) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !blob_.busy; });
  blob_.busy = true;
  blob_.payload = payload;
  blob_.pending = true;
  blob_.done = false;
  cv_.notify_all();
  cv_.wait(lock, [&] { return blob_.done; });
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
  if (!current_->HasRoom(parts[0].size(), parts[1].size())) Rotate();
  current_->Append(site, kind, parts[0], parts[1], flags, marks, 0, time_ns, duration_ns);
  ++next_seq_;
}

void TraceWriter::EnableLanes() {
  if (lanes_enabled_) return;
  std::unique_lock lock(mu_);
  // Hand the chunk being built to the encoder, as Rotate does; from now on
  // the encoder builds chunks from the lane queues.
  state_[current_index_] = BuilderState::kFull;
  lane_seq_.store(next_seq_, std::memory_order_relaxed);
  merge_next_ = next_seq_;
  merge_builder_->Reset(next_seq_);
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
        if (!merge_builder_->HasRoom(e->args_len, e->result_len)) {
          EncodeBuilder(*merge_builder_, &merge_encoded_, merge_builder_->published());
          merge_builder_->Reset(merge_next_);
          merge_encoded_ = 0;
        }
        merge_builder_->Append(e->site, e->kind, q->Args(*e), q->Result(*e), e->flags, e->marks,
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
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  EncodeBlobRecords(payload, hash, cctx, options_.zstd_level, kBlobFrameBytes, [&](Bytes record) {
    if (!WriteAll(record.data(), record.size())) return false;
    file_offset_ += record.size();
    return true;
  });
  ZSTD_freeCCtx(cctx);
  blob_.hash = hash;
  blob_.offset = first;
}

void TraceWriter::EncodeRange(int b, uint32_t end) { EncodeBuilder(*builders_[b], &encoded_[b], end); }

void TraceWriter::EncodeBuilder(ChunkBuilder& builder, uint32_t* encoded, uint32_t end) {
  uint32_t begin = *encoded;
  if (begin >= end) return;
  SiteDefinitions defs;
  KindDefinitions kinds;
  {
    std::lock_guard lock(sites_mu_);
    defs.swap(sites_pending_);
    kinds.swap(kinds_pending_);
  }
  uint64_t hash = 0;
  encoder_.Encode(builder, begin, end, uint32_t(index_.size()), defs, &record_, &hash, &kinds);
  *encoded = end;
  uint64_t offset = file_offset_;
  if (!WriteAll(record_.data(), record_.size())) return;
  file_offset_ += record_.size();
  index_.push_back({offset, builder.first_seq() + begin, end - begin, uint32_t(record_.size()),
                    hash, true, encoder_.first_time(), encoder_.last_time()});
  Publish();
  events_written_ += end - begin;
  for (auto& [id, text] : defs) sites_written_.emplace(id, std::move(text));
  for (auto& [kind, name] : kinds) kinds_written_[kind] = std::move(name);
}

void TraceWriter::Publish() {
  if (output_->published()) return;
  Status s = output_->Publish();
  if (!s.ok()) Fail(s);
}

void TraceWriter::WriteFooter(const Outcome& outcome, std::optional<uint64_t> program_steps) {
  Footer footer;
  footer.event_count = events_written_;
  footer.finished_unix_ns = WallClockNs();
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

void TraceWriter::EncoderLoop() {
  using Clock = std::chrono::steady_clock;
  // Events waiting at one tick are sealed at the next, so none waits longer
  // than two ticks: flush_ms.
  const auto period = std::chrono::milliseconds(std::max<uint32_t>(1, options_.flush_ms / 2));
  auto next_tick = Clock::now() + period;
  int tick_builder = -1;
  uint32_t tick_seen = 0;

  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_until(lock, next_tick, [&] {
      return stop_ || blob_.pending || state_[0] == BuilderState::kFull ||
             state_[1] == BuilderState::kFull || signal_stop_.load() || drain_requested_;
    });
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
    for (int b = 0; b < 2; ++b) {
      if (state_[b] == BuilderState::kFull &&
          (full < 0 || builders_[b]->first_seq() < builders_[full]->first_seq())) {
        full = b;
      }
    }
    if (full >= 0) {
      lock.unlock();
      EncodeRange(full, builders_[full]->published());
      lock.lock();
      state_[full] = BuilderState::kFree;
      encoded_[full] = 0;
      if (tick_builder == full) tick_builder = -1;
      cv_.notify_all();
      continue;
    }
    if (lanes_mode_) {
      // Lanes: the chunks are built here, from the queues. Merge what is
      // next in seq order; on a tick or at the end, seal all of it.
      bool ending = stop_ || signal_stop_.load();
      bool tick = Clock::now() >= next_tick;
      drain_requested_ = false;
      lock.unlock();
      MergeLanes();
      if (ending || tick) EncodeBuilder(*merge_builder_, &merge_encoded_, merge_builder_->published());
      lock.lock();
      cv_.notify_all();  // producers waiting for room
      if (tick) next_tick = Clock::now() + period;
      if (!ending) continue;
      Outcome outcome = final_outcome_;
      std::optional<uint64_t> steps = stop_ ? final_steps_ : std::nullopt;
      if (!stop_) {
        outcome = {OutcomeKind(signal_kind_.load()), signal_code_.load(),
                   signal_message_.load() ? signal_message_.load() : ""};
      }
      lock.unlock();
      WriteFooter(outcome, steps);
      finished_.store(true);
      return;
    }
    if (stop_ || signal_stop_.load()) {
      int c = current_index_;
      Outcome outcome = final_outcome_;
      std::optional<uint64_t> steps = stop_ ? final_steps_ : std::nullopt;
      if (!stop_) {
        outcome = {OutcomeKind(signal_kind_.load()), signal_code_.load(),
                   signal_message_.load() ? signal_message_.load() : ""};
      }
      lock.unlock();
      EncodeRange(c, builders_[c]->published());
      WriteFooter(outcome, steps);
      finished_.store(true);
      return;
    }
    if (Clock::now() >= next_tick) {
      next_tick = Clock::now() + period;
      int c = current_index_;
      uint32_t n = builders_[c]->published();
      if (c == tick_builder && encoded_[c] < tick_seen) {
        lock.unlock();
        EncodeRange(c, n);
        lock.lock();
      }
      tick_builder = c;
      tick_seen = n;
    }
  }
}

Status TraceWriter::Finish(const Outcome& outcome, std::optional<uint64_t> program_steps) {
  if (joined_) return status();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    final_outcome_ = outcome;
    final_steps_ = program_steps;
  }
  cv_.notify_all();
  thread_.join();
  joined_ = true;
  // A trace deleted or replaced during the recording is lost: say so.
  Status at_path = output_->CheckStillAtPath();
  if (!at_path.ok()) Fail(at_path);
  Status closed = output_->Close();
  if (!closed.ok()) Fail(closed);
  return status();
}

bool TraceWriter::FinishFromSignal(OutcomeKind kind, int code, const char* message,
                                   int timeout_ms) {
  if (finished_.load()) return true;
  if (pthread_equal(pthread_self(), encoder_thread_)) return false;
  signal_kind_.store(int(kind));
  signal_code_.store(code);
  signal_message_.store(message);
  signal_stop_.store(true);
  // The encoder thread polls signal_stop_ at least every flush_ms / 2.
  for (int waited = 0; waited < timeout_ms; ++waited) {
    if (finished_.load()) return true;
    timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
  return finished_.load();
}

}  // namespace tape::format
