#include "engine/effects/stdin_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tape::engine {

namespace {

// read(2) that waits for data on a descriptor another process left
// non-blocking (its flags belong to every process sharing it: they stay).
ssize_t ReadSome(int fd, char* buf, size_t n) {
  for (;;) {
    ssize_t got = ::read(fd, buf, n);
    if (got >= 0 || errno == EINTR) {
      if (got >= 0) return got;
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -errno;
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    (void)::poll(&p, 1, -1);
  }
}

}  // namespace

ssize_t StdinReader::Fill() {
  if (begin_ > 0) {
    buffer_.erase(0, begin_);
    scanned_ -= begin_;
    begin_ = 0;
  }
  size_t old = buffer_.size();
  buffer_.resize(old + kReadBytes);
  ssize_t n = ReadSome(fd_, buffer_.data() + old, kReadBytes);
  buffer_.resize(old + size_t(n > 0 ? n : 0));
  return n;
}

int StdinReader::SkipRestOfLine() {
  for (;;) {
    const char* data = buffer_.data();
    if (const void* nl = std::memchr(data + begin_, '\n', buffer_.size() - begin_)) {
      begin_ = scanned_ = size_t(static_cast<const char*>(nl) - data) + 1;
      skipping_ = false;
      return 0;
    }
    begin_ = scanned_ = buffer_.size();
    ssize_t n = Fill();
    if (n <= 0) {
      skipping_ = false;
      return n < 0 ? int(-n) : 0;
    }
  }
}

int StdinReader::ReadLine(size_t max_line, std::optional<std::string>* line) {
  line->reset();
  if (skipping_) {
    if (int err = SkipRestOfLine(); err != 0) return err;
  }
  for (;;) {
    const char* data = buffer_.data();
    if (const void* nl = std::memchr(data + scanned_, '\n', buffer_.size() - scanned_)) {
      size_t end = size_t(static_cast<const char*>(nl) - data);
      size_t begin = begin_;
      begin_ = scanned_ = end + 1;
      if (end - begin > max_line) return EFBIG;
      line->emplace(data + begin, end - begin);
      return 0;
    }
    scanned_ = buffer_.size();
    if (scanned_ - begin_ > max_line) {
      // Too long before its end is seen: keep none of it.
      begin_ = scanned_;
      skipping_ = true;
      return EFBIG;
    }
    ssize_t n = Fill();
    if (n < 0) return int(-n);
    if (n == 0) {
      if (begin_ == buffer_.size()) return 0;  // the end of input
      line->emplace(buffer_, begin_);  // a last line without '\n'
      begin_ = scanned_ = buffer_.size();
      return 0;
    }
  }
}

int StdinReader::ReadAll(uint64_t max, std::string* out) {
  out->clear();
  if (skipping_) {
    // The rest of a line too long to return is not returned here either.
    if (int err = SkipRestOfLine(); err != 0) return err;
  }
  out->assign(buffer_, begin_);
  buffer_.clear();
  begin_ = scanned_ = 0;
  for (;;) {
    if (out->size() > max) {
      *out = std::string();
      return EFBIG;
    }
    size_t old = out->size();
    out->resize(old + kReadBytes);
    ssize_t n = ReadSome(fd_, out->data() + old, kReadBytes);
    out->resize(old + size_t(n > 0 ? n : 0));
    if (n == 0) return 0;
    if (n < 0) {
      *out = std::string();
      return int(-n);
    }
  }
}

StdinReader& StdinReader::Process() {
  static StdinReader reader(STDIN_FILENO);
  return reader;
}

}  // namespace tape::engine
