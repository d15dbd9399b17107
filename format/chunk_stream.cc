#include "format/chunk_stream.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <utility>

namespace tape::format {

namespace {

// The helper thread gives up its share of the process's descriptor table
// (unshare(CLONE_FILES)). While a second thread shares the table, every
// system call the program makes on a descriptor takes and drops a reference
// to the open file (the kernel's fdget: two atomic operations, about 15 ns
// of a 110 ns write(2) to /dev/null on a 2-core VM), which a program
// running alone does not pay: a replayed loop of io.write paid it on every
// event. The thread's own copy of the table keeps only the descriptors it
// may use: the trace's (reading a chunk may fstat it) and standard error
// (where a SIGBUS handler running on this thread reports a trace that
// shrank, trace_mappings.h). The others are closed in the copy only, so
// that the thread holds none of the program's files open: a pipe the
// program closes still ends for its reader. Best effort: without unshare or
// close_range(2) the thread shares the table as before. The thread blocks
// the asynchronous signals (StartDecodeThread), so that none of the
// program's handlers runs on it, where the program's descriptors are not.
void LeaveDescriptorTable(int trace_fd) {
  // Without close_range (Linux before 5.9) the copy would keep every file
  // the program had open until the replay ends (a pipe it closes would not
  // end for its reader): then share the table as before. Closing a
  // descriptor that cannot be open is the probe.
  if (::syscall(SYS_close_range, ~0u, ~0u, 0u) != 0) return;
  if (::unshare(CLONE_FILES) != 0) return;
  // The system call itself: the closes are of this thread's copies only,
  // which libraries that track descriptors process-wide (sanitizers) must
  // not take for the program's.
  auto close_range = [](unsigned first, unsigned last) {
    if (first <= last) (void)::syscall(SYS_close_range, first, last, 0u);
  };
  // Every descriptor but 2 and trace_fd, which may be any of 0..2 as well
  // (a replay started with standard input or output closed).
  unsigned keep[2] = {2u, trace_fd >= 0 ? unsigned(trace_fd) : 2u};
  if (keep[1] < keep[0]) std::swap(keep[0], keep[1]);
  auto close_before = [&](unsigned first, unsigned end) {
    if (first < end) close_range(first, end - 1);
  };
  close_before(0, keep[0]);
  close_before(keep[0] + 1, keep[1]);
  if (keep[1] < UINT_MAX) close_range(keep[1] + 1, UINT_MAX);
}

// Starts the read-ahead thread with every asynchronous signal blocked (set
// before it exists, so none can reach it even once): a process-directed
// signal then goes to one of the program's threads, whose handlers may use
// the descriptors the read-ahead thread's table does not hold. Faults
// (SIGBUS on a trace that shrank under its mapping, trace_mappings.h) are
// synchronous and still reach it.
std::thread StartDecodeThread(std::function<void()> loop) {
  sigset_t all, old;
  sigfillset(&all);
  for (int sig : {SIGBUS, SIGSEGV, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&all, sig);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread t(std::move(loop));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

}  // namespace

ChunkStream::ChunkStream(const TraceReader* reader, unsigned parts, size_t first_chunk,
                         bool read_ahead)
    : reader_(reader),
      parts_(parts),
      read_ahead_(read_ahead),
      end_(reader->chunks().size()),
      next_to_decode_(first_chunk),
      next_to_return_(first_chunk) {
  if (!read_ahead_) {
    decoder_ = std::make_unique<ChunkDecoder>();
  } else if (first_chunk < end_) {
    // The first chunk is the consumer's to decode (Next()): its slot counts
    // as held, so the helper, starting at the second, never writes it.
    decoder_ = std::make_unique<ChunkDecoder>();
    first_pending_ = holding_ = true;
    next_to_decode_ = next_to_return_ = first_chunk + 1;
    if (next_to_decode_ < end_) thread_ = StartDecodeThread([this] { DecodeLoop(); });
  }
}

ChunkStream::~ChunkStream() { Stop(); }

void ChunkStream::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ChunkStream::DecodeLoop() {
  pthread_setname_np(pthread_self(), "tape-readahead");  // for ps, gdb and tests
  LeaveDescriptorTable(reader_->file_descriptor());
  ChunkDecoder decoder;
  std::unique_lock lock(mu_);
  while (!stop_ && next_to_decode_ < end_) {
    size_t c = next_to_decode_;
    Slot& slot = slots_[c % kSlots];
    // Slot c % kSlots is free once the consumer has moved past chunk c - kSlots.
    cv_.wait(lock, [&] {
      return stop_ || (!slot.ready && !(holding_ && (next_to_return_ - 1) % kSlots == c % kSlots));
    });
    if (stop_) return;
    lock.unlock();
    slot.status = reader_->ReadChunk(c, parts_, &decoder, &slot.chunk);
    lock.lock();
    slot.ready = true;
    ++next_to_decode_;
    cv_.notify_all();
    if (!slot.status.ok()) return;  // the consumer stops at the error
  }
}

Result<const DecodedChunk*> ChunkStream::Next() {
  if (!read_ahead_) {
    if (stop_) return Status::InvalidArgument("the trace's chunk stream was stopped");
    if (next_to_return_ >= end_) return static_cast<const DecodedChunk*>(nullptr);
    Slot& slot = slots_[0];
    Status s = reader_->ReadChunk(next_to_return_++, parts_, decoder_.get(), &slot.chunk);
    if (!s.ok()) {
      next_to_return_ = end_;
      return s;
    }
    return static_cast<const DecodedChunk*>(&slot.chunk);
  }
  if (first_pending_) return NextFirst();
  std::unique_lock lock(mu_);
  holding_ = false;  // release the previous chunk
  cv_.notify_all();
  // Not even a chunk decoded before Stop(): its raw sections point into the
  // trace's mapping, which the caller may no longer guard.
  if (stop_) return Status::InvalidArgument("the trace's chunk stream was stopped");
  if (next_to_return_ >= end_) return static_cast<const DecodedChunk*>(nullptr);
  Slot& slot = slots_[next_to_return_ % kSlots];
  cv_.wait(lock, [&] { return slot.ready || stop_; });
  if (stop_) return Status::InvalidArgument("the trace's chunk stream was stopped");
  slot.ready = false;
  holding_ = true;
  ++next_to_return_;
  if (!slot.status.ok()) {
    next_to_return_ = end_;
    return slot.status;
  }
  return static_cast<const DecodedChunk*>(&slot.chunk);
}

Result<const DecodedChunk*> ChunkStream::NextFirst() {
  first_pending_ = false;
  size_t c = next_to_return_ - 1;
  {
    std::lock_guard lock(mu_);
    if (stop_) return Status::InvalidArgument("the trace's chunk stream was stopped");
  }
  // Not under the lock: the helper may be decoding the next chunk meanwhile.
  // The slot is held (holding_), so nothing else writes it; Stop() cannot
  // run during this call (the consumer's thread calls both).
  Slot& slot = slots_[c % kSlots];
  Status s = reader_->ReadChunk(c, parts_, decoder_.get(), &slot.chunk);
  decoder_.reset();
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    next_to_return_ = end_;  // the helper's chunks after it are not returned
    return s;
  }
  return static_cast<const DecodedChunk*>(&slot.chunk);
}

}  // namespace tape::format
