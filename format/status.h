// Status and Result<T>: how expected failures travel through tape.
//
// An I/O error, a corrupt or too-new trace, a bad script or a replay that
// drifted are values, not exceptions: functions return Status (or Result<T>
// when they also produce something) and callers propagate them with
// TAPE_RETURN_IF_ERROR / TAPE_ASSIGN_OR_RETURN. Broken invariants assert.
// Result<T> uses the method names of std::expected (has_value, value, error)
// so a later switch to C++23 is mechanical. Functions that check something
// return Status too (OK, or what is wrong), never an empty string for OK.
//
// Exceptions are for one case: a failure inside a running program's call
// into tape::Runtime (an effect call), which must unwind the program itself
// because the call's result type has no room for it: a replay that drifted
// (tape::DriftError), a trace that can no longer be read or written, a
// recording that a signal ended, a request the public API refuses
// (std::invalid_argument, documented on each Runtime method), a user effect
// that threw (tape::EffectError), a script's runtime error. The session
// (tape::Record, Replay, Rerun) catches them where the program ends and
// reports a RunReport. Exceptions a library throws are caught where it is
// called and become a Status.

#ifndef TAPE_FORMAT_STATUS_H_
#define TAPE_FORMAT_STATUS_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tape {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller asked for something that makes no sense
  kNotFound,         // a file or an event that does not exist
  kIoError,          // the operating system refused (errno in the message)
  kCorrupt,          // bytes that violate the trace format
  kUnsupported,      // a trace from another format version
  kDrift,            // replay diverged from the recording
  kScriptError,      // a .tape script failed to lex, parse or run
  kInternal,         // tape broke one of its own invariants (a bug in tape)
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status Corrupt(std::string msg) { return Status(StatusCode::kCorrupt, std::move(msg)); }
  static Status Unsupported(std::string msg) {
    return Status(StatusCode::kUnsupported, std::move(msg));
  }
  static Status Drift(std::string msg) { return Status(StatusCode::kDrift, std::move(msg)); }
  static Status ScriptError(std::string msg) {
    return Status(StatusCode::kScriptError, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  // An I/O error that names the file and the errno, e.g.
  // "cannot write trace.bin: No space left on device (errno 28)".
  static Status FromErrno(const std::string& what, int err);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with `context`: "context: message".
  Status WithContext(const std::string& context) const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "a Result holding a Status must hold an error");
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Status& error() const { return std::get<1>(v_); }
  Status status() const { return has_value() ? Status::Ok() : error(); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tape

#define TAPE_STATUS_CONCAT_INNER_(a, b) a##b
#define TAPE_STATUS_CONCAT_(a, b) TAPE_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is an error.
#define TAPE_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::tape::Status tape_status_ = (expr);          \
    if (!tape_status_.ok()) return tape_status_;   \
  } while (0)

// `lhs = value of expr` (a Result<T>), or return its error.
#define TAPE_ASSIGN_OR_RETURN(lhs, expr) \
  TAPE_ASSIGN_OR_RETURN_IMPL_(TAPE_STATUS_CONCAT_(tape_result_, __LINE__), lhs, expr)
#define TAPE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.has_value()) return tmp.error();         \
  lhs = std::move(tmp).value()

#endif  // TAPE_FORMAT_STATUS_H_
