#include "tools/original_import.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <new>
#include <optional>
#include <unordered_set>

#include "engine/effects/registry.h"
#include "format/layout.h"
#include "format/memory_writer.h"
#include "tape/effects.h"
#include "tools/cli.h"

namespace tape::cli {

namespace orig = format::original;
using format::Bytes;

namespace {

// Appends `fields` laid out as effect `kind`'s args (or result), per the
// effect's declaration (specs/trace-format.md §13).
void Lay(EffectKind kind, bool args, std::vector<engine::FieldValue> fields, std::string* out) {
  const engine::EffectSpec& spec = *engine::FindEffect(uint8_t(kind));
  engine::AppendPayload(args ? spec.args.layout : spec.result.layout, fields.data(), out);
}
engine::FieldValue Number(uint64_t n) { return {.number = n}; }
engine::FieldValue Text(Bytes b) { return {.bytes = b}; }
engine::FieldValue Errno(int32_t err) { return {.number = uint32_t(err)}; }

// §5.1: FNV-1a, 32 bits, over the file name's bytes, then the line, then
// the column, each folded in as one 32-bit value (the original's site!()).
constexpr uint32_t kFnvOffset = 0x811c9dc5u;
constexpr uint32_t kFnvPrime = 0x01000193u;

constexpr uint32_t Fnv(std::string_view file, uint32_t line, uint32_t column) {
  uint32_t h = kFnvOffset;
  for (char c : file) h = (h ^ uint8_t(c)) * kFnvPrime;
  h = (h ^ line) * kFnvPrime;
  return (h ^ column) * kFnvPrime;
}

// §5.2: every site!() of the original's built-in programs, from its
// src/programs.rs (tape 0.0.1, the version whose traces users hold).
constexpr char kBuiltinFile[] = "src/programs.rs";
struct BuiltinSite {
  const char* program;
  uint32_t line, column;
  uint32_t id;
};
constexpr BuiltinSite Site(const char* program, uint32_t line, uint32_t column) {
  return {program, line, column, Fnv(kBuiltinFile, line, column)};
}
constexpr BuiltinSite kBuiltinSites[] = {
    Site("dice", 50, 20),       Site("dice", 51, 28),       Site("dice", 54, 17),
    Site("counter", 61, 21),    Site("entropy", 67, 32),    Site("entropy", 73, 17),
    Site("flaky", 84, 28),      Site("flaky", 92, 21),      Site("flaky", 96, 21),
    Site("wordcount", 107, 18), Site("wordcount", 109, 22), Site("wordcount", 116, 25),
    Site("wordcount", 121, 25), Site("heartbeat", 132, 23), Site("heartbeat", 133, 24),
    Site("heartbeat", 135, 21), Site("greet", 143, 18),     Site("greet", 146, 17),
};

const BuiltinSite* FindBuiltinSite(uint32_t site) {
  for (const BuiltinSite& s : kBuiltinSites) {
    if (s.id == site) return &s;
  }
  return nullptr;
}

// §4: the largest clock reading, in seconds, that tape's i64 nanoseconds hold.
constexpr uint64_t kMaxClockSeconds = uint64_t(INT64_MAX) / 1000000000u;
// §4: the errno an fs error becomes when its text names none.
constexpr int32_t kUnknownErrno = EIO;

// One payload of an event read as the bincode the original wrote (§2), with
// errors that name the byte in the file, the event and the field. Nothing is
// allocated unless there is an error.
class Payload {
 public:
  // `part` is "args" or "result"; its bytes start at `file_offset`.
  Payload(const orig::Event& event, const char* part, Bytes bytes, uint64_t file_offset)
      : event_(event), part_(part), b_(bytes), base_(file_offset) {}

  Status U8(const char* field, uint8_t* v) { return Fixed(field, 1, v); }
  Status U32(const char* field, uint32_t* v) { return Fixed(field, 4, v); }
  Status U64(const char* field, uint64_t* v) { return Fixed(field, 8, v); }

  // Vec<u8>: a u64 length, then the bytes.
  Status Vec(const char* field, Bytes* out) {
    uint64_t at = at_, n = 0;
    TAPE_RETURN_IF_ERROR(U64(field, &n));
    if (n > left()) {
      return Fail(at, fmt::format("{} length is {} bytes, but only {} follow", field, n, left()));
    }
    *out = b_.subspan(size_t(at_), size_t(n));
    at_ += n;
    return Status::Ok();
  }
  // String: as Vec<u8>, and UTF-8.
  Status Str(const char* field, Bytes* out) {
    uint64_t at = at_;
    TAPE_RETURN_IF_ERROR(Vec(field, out));
    if (!orig::IsUtf8(*out)) return Fail(at, std::string(field) + " is not UTF-8");
    return Status::Ok();
  }
  Status End() {
    if (left() == 0) return Status::Ok();
    return Fail(at_, fmt::format("{} unexpected bytes at the end", left()));
  }
  Status Fail(uint64_t at, const std::string& message) const {
    return Status::Corrupt(fmt::format("byte {}: event {} ({}) {}: {}", base_ + at, event_.seq,
                                       EffectName(EffectKind(event_.kind)), part_, message));
  }
  uint64_t offset() const { return at_; }
  uint64_t left() const { return b_.size() - at_; }

 private:
  template <typename T>
  Status Fixed(const char* field, size_t n, T* v) {
    if (left() < n) {
      return Fail(at_, fmt::format("{} needs {} bytes, {} left", field, n, left()));
    }
    uint64_t x = 0;
    for (size_t k = 0; k < n; ++k) x |= uint64_t(b_[size_t(at_ + k)]) << (8 * k);
    *v = T(x);
    at_ += n;
    return Status::Ok();
  }

  const orig::Event& event_;
  const char* part_;
  Bytes b_;
  uint64_t base_;
  uint64_t at_ = 0;
};

std::string_view Chars(Bytes b) { return format::AsChars(b); }

// §4.1: the errno of a Rust io::Error's text, "... (os error N)".
int32_t ErrnoOf(Bytes message) {
  std::string_view text = Chars(message);
  constexpr std::string_view kMark = "(os error ";
  size_t at = text.rfind(kMark);
  if (at == std::string_view::npos || !text.ends_with(")")) return kUnknownErrno;
  std::string_view digits = text.substr(at + kMark.size());
  digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 9) return kUnknownErrno;
  int32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return kUnknownErrno;
    n = n * 10 + (c - '0');
  }
  return n > 0 ? n : kUnknownErrno;
}

// Result<T, String> (§2): a u32 variant, 0 Ok or 1 Err. For Err, appends the
// errno to `result` and returns true in `*failed`.
Status ResultTag(Payload& p, EffectKind kind, bool* failed, std::string* result) {
  uint64_t at = p.offset();
  uint32_t tag = 0;
  TAPE_RETURN_IF_ERROR(p.U32("Result variant", &tag));
  if (tag > 1) {
    return p.Fail(at, fmt::format("Result variant is {}, not 0 Ok or 1 Err", tag));
  }
  *failed = tag == 1;
  if (*failed) {
    Bytes message;
    TAPE_RETURN_IF_ERROR(p.Str("error message", &message));
    TAPE_RETURN_IF_ERROR(p.End());
    Lay(kind, false, {Errno(ErrnoOf(message))}, result);
  }
  return Status::Ok();
}

}  // namespace

uint32_t OriginalSiteId(std::string_view file, uint32_t line, uint32_t column) {
  return Fnv(file, line, column);
}

std::string OriginalSiteLocation(uint32_t site, std::string* program) {
  const BuiltinSite* s = FindBuiltinSite(site);
  if (!s) return "";
  if (program) *program = s->program;
  return fmt::format("{}:{}:{}", kBuiltinFile, s->line, s->column);
}

Status ConvertPayloads(const orig::Event& e, std::string* args, std::string* result) {
  args->clear();
  result->clear();
  // §3.2: the args follow seq, site, kind and their length; the result
  // follows the args and its length.
  Payload a(e, "args", e.args, e.offset + 24);
  Payload r(e, "result", e.result, e.offset + 32 + e.args.size());
  Bytes bytes, path;
  switch (EffectKind(e.kind)) {
    case EffectKind::kClockNow: {
      uint64_t seconds = 0;
      TAPE_RETURN_IF_ERROR(a.End());
      TAPE_RETURN_IF_ERROR(r.U64("seconds", &seconds));
      TAPE_RETURN_IF_ERROR(r.End());
      if (seconds > kMaxClockSeconds) {
        return r.Fail(
            0,
            fmt::format("{} s is past the year 2262, the last second tape's clock holds", seconds));
      }
      Lay(EffectKind::kClockNow, false, {Number(seconds * 1000000000u)}, result);
      return Status::Ok();
    }
    case EffectKind::kRandomBits: {
      uint64_t n = 0;
      TAPE_RETURN_IF_ERROR(a.U64("length", &n));
      TAPE_RETURN_IF_ERROR(a.End());
      if (n > UINT32_MAX) return a.Fail(0, fmt::format("length {} is over 2^32 - 1", n));
      TAPE_RETURN_IF_ERROR(r.Vec("bytes", &bytes));
      TAPE_RETURN_IF_ERROR(r.End());
      if (bytes.size() != n) {
        return r.Fail(0, fmt::format("holds {} bytes, but the args ask for {}", bytes.size(), n));
      }
      Lay(EffectKind::kRandomBits, true, {Number(n)}, args);
      Lay(EffectKind::kRandomBits, false, {Text(bytes)}, result);
      return Status::Ok();
    }
    case EffectKind::kIoWrite: {
      uint64_t written = 0;
      TAPE_RETURN_IF_ERROR(a.Vec("buffer", &bytes));
      TAPE_RETURN_IF_ERROR(a.End());
      TAPE_RETURN_IF_ERROR(r.U64("bytes written", &written));
      TAPE_RETURN_IF_ERROR(r.End());
      if (written > bytes.size()) {
        return r.Fail(0,
                      fmt::format("{} bytes written of a {}-byte buffer", written, bytes.size()));
      }
      Lay(EffectKind::kIoWrite, true, {Text(bytes)}, args);
      // A short write (0: the write failed) has no errno in the original.
      Lay(EffectKind::kIoWrite, false, {Errno(written == bytes.size() ? 0 : kUnknownErrno)},
          result);
      return Status::Ok();
    }
    case EffectKind::kFsRead: {
      TAPE_RETURN_IF_ERROR(a.Str("path", &path));
      TAPE_RETURN_IF_ERROR(a.End());
      Lay(EffectKind::kFsRead, true, {Text(path)}, args);
      bool failed;
      TAPE_RETURN_IF_ERROR(ResultTag(r, EffectKind::kFsRead, &failed, result));
      if (failed) return Status::Ok();
      TAPE_RETURN_IF_ERROR(r.Vec("contents", &bytes));
      TAPE_RETURN_IF_ERROR(r.End());
      Lay(EffectKind::kFsRead, false, {{.number = 0, .bytes = bytes}}, result);
      return Status::Ok();
    }
    case EffectKind::kFsWrite: {
      TAPE_RETURN_IF_ERROR(a.Str("path", &path));
      TAPE_RETURN_IF_ERROR(a.Vec("data", &bytes));
      TAPE_RETURN_IF_ERROR(a.End());
      if (path.size() > UINT32_MAX) return a.Fail(0, "path is over 2^32 - 1 bytes");
      Lay(EffectKind::kFsWrite, true, {Text(path), Text(bytes)}, args);
      bool failed;
      TAPE_RETURN_IF_ERROR(ResultTag(r, EffectKind::kFsWrite, &failed, result));
      if (failed) return Status::Ok();
      uint64_t at = r.offset(), written = 0;
      TAPE_RETURN_IF_ERROR(r.U64("bytes written", &written));
      TAPE_RETURN_IF_ERROR(r.End());
      if (written != bytes.size()) {
        return r.Fail(at, fmt::format("Ok({}) for {} bytes of data", written, bytes.size()));
      }
      Lay(EffectKind::kFsWrite, false, {Errno(0)}, result);
      return Status::Ok();
    }
    case EffectKind::kEnvGet: {
      TAPE_RETURN_IF_ERROR(a.Str("name", &bytes));
      TAPE_RETURN_IF_ERROR(a.End());
      Lay(EffectKind::kEnvGet, true, {Text(bytes)}, args);
      uint8_t tag = 0;
      TAPE_RETURN_IF_ERROR(r.U8("Option tag", &tag));
      if (tag > 1) {
        return r.Fail(0, fmt::format("Option tag is {}, not 0 None or 1 Some", tag));
      }
      Bytes value;
      if (tag == 1) TAPE_RETURN_IF_ERROR(r.Str("value", &value));
      TAPE_RETURN_IF_ERROR(r.End());
      Lay(EffectKind::kEnvGet, false, {{.number = tag, .bytes = value}}, result);
      return Status::Ok();
    }
    case EffectKind::kArgsGet: {
      TAPE_RETURN_IF_ERROR(a.End());
      uint64_t count = 0;
      TAPE_RETURN_IF_ERROR(r.U64("argument count", &count));
      // Each argument takes at least its 8-byte length: bound the count
      // before reserving.
      if (count > r.left() / 8 || count > UINT32_MAX) {
        return r.Fail(0, fmt::format("argument count is {}, but {} bytes follow", count, r.left()));
      }
      engine::FieldValue list;
      list.list.reserve(size_t(count));
      for (uint64_t i = 0; i < count; ++i) {
        TAPE_RETURN_IF_ERROR(r.Str("argument", &bytes));
        if (bytes.size() > UINT32_MAX) return r.Fail(0, "an argument is over 2^32 - 1 bytes");
        list.list.push_back(bytes);
      }
      TAPE_RETURN_IF_ERROR(r.End());
      Lay(EffectKind::kArgsGet, false, {list}, result);
      return Status::Ok();
    }
    case EffectKind::kTimeSleep: {
      uint64_t ms = 0;
      TAPE_RETURN_IF_ERROR(a.U64("milliseconds", &ms));
      TAPE_RETURN_IF_ERROR(a.End());
      TAPE_RETURN_IF_ERROR(r.End());
      Lay(EffectKind::kTimeSleep, true, {Number(ms)}, args);
      return Status::Ok();
    }
    default:
      break;  // the original had only the eight effects above
  }
  return Status::Corrupt(fmt::format("event {}: unknown kind {}", e.seq, e.kind));
}

bool LooksLikeOriginalTrace(const std::string& path) {
  // O_NONBLOCK: a FIFO named by mistake must not block the open.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  uint8_t head[4];
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ssize_t n = regular ? ::read(fd, head, sizeof head) : 0;
  ::close(fd);
  return n == ssize_t(sizeof head) && orig::HasSignature(Bytes(head, sizeof head));
}

Result<ImportResult> ImportOriginalTrace(Bytes file, const std::string& name,
                                         const ImportOptions& options) {
  orig::Trace t;
  Status damage = orig::Parse(file, &t);
  auto refuse = [&](size_t complete) {
    std::string message = name +
                          ": not a tape trace, nor a readable trace of the original tape (it "
                          "starts like one, with schema version 2): " +
                          damage.message();
    if (complete > 0) {
      message += "; " + Count(complete, "event", "events") + " before it " +
                 (complete == 1 ? "is" : "are") + " complete" +
                 (options.recover ? "" : " (tape import --recover keeps them)");
    }
    return Status::Corrupt(message);
  };
  // The header is whole once the parser got past it; damage in it leaves
  // nothing to keep, even with --recover.
  bool header_ok = t.version == orig::kSchemaVersion && file.size() >= orig::kHeaderSize;
  if (header_ok && (t.started_at < 0 || uint64_t(t.started_at) > UINT64_MAX / 1000000000u)) {
    header_ok = false;
    damage = Status::Corrupt(
        fmt::format("byte 4: started_at is {} s, outside what tape's clock holds", t.started_at));
  }
  // Convert the payloads of the events that parsed, before anything is
  // written: the first that does not convert is the earliest damage (the
  // parser's, if any, comes after every event it kept).
  size_t kept = header_ok ? t.events.size() : 0;
  std::string args, result;
  for (size_t i = 0; i < kept; ++i) {
    Status s = ConvertPayloads(t.events[i], &args, &result);
    if (!s.ok()) {
      damage = s;
      kept = i;
      break;
    }
  }
  if (!damage.ok() && (!options.recover || !header_ok)) return refuse(kept);

  ImportResult out;
  // §6: the program is the one given, else the built-in of the original
  // whose sites are all the trace's sites, else unknown.
  std::string inferred;
  for (size_t i = 0; i < kept; ++i) {
    const BuiltinSite* site = FindBuiltinSite(t.events[i].site);
    if (!site || (!inferred.empty() && inferred != site->program)) {
      inferred.clear();
      break;
    }
    inferred = site->program;
  }
  format::TraceHeader h;
  h.created_unix_ns = uint64_t(t.started_at) * 1000000000u;
  h.recorder = "the original tape";
  h.origin = kOriginalOrigin;
  h.code_hash.assign(t.code_hash.begin(), t.code_hash.end());
  h.program_kind = format::ProgramKind::kBuiltin;
  if (!options.program.empty()) {
    out.program = options.program;
    out.program_source = "given";
    if (options.program.ends_with(".tape")) {
      h.program_kind = format::ProgramKind::kScript;
      out.program = std::filesystem::path(options.program).filename().string();
    }
    if (!inferred.empty() && inferred != out.program) {
      out.notes.push_back("the trace's sites are those of the original's built-in program '" +
                          inferred + "', not '" + out.program + "'");
    }
  } else if (!inferred.empty()) {
    out.program = inferred;
    out.program_source = "inferred from its sites";
  } else {
    out.program_source = "unknown";
  }
  h.program_name = out.program;

  // tape's writer settings, with chunks no larger than the trace needs
  // (the builder allocates its columns for a full chunk up front).
  format::WriterOptions settings;
  settings.chunk_max_events =
      uint32_t(std::clamp<uint64_t>(kept, 1, uint64_t(settings.chunk_max_events)));
  auto writer = format::MemoryTraceWriter::Create(h, settings);
  if (!writer.has_value()) return writer.error();
  std::unordered_set<uint32_t> sites_seen;
  for (size_t i = 0; i < kept; ++i) {
    const orig::Event& e = t.events[i];
    [[maybe_unused]] Status converted = ConvertPayloads(e, &args, &result);
    assert(converted.ok() && "every kept event converted in the first pass");
    if (sites_seen.insert(e.site).second) {
      std::string location = OriginalSiteLocation(e.site);
      if (!location.empty()) (*writer)->DefineSite(e.site, location);
    }
    (*writer)->Append(e.site, e.kind, format::AsBytes(args), format::AsBytes(result));
  }

  format::Outcome outcome;
  if (!damage.ok()) {
    outcome = {format::OutcomeKind::kInterrupted, 0,
               "recovered " + Count(kept, "event", "events") +
                   " from a damaged trace of the original tape"};
    out.notes.push_back("damaged: " + damage.message() + "; kept " +
                        Count(kept, "event", "events") + " before it");
  } else {
    switch (t.outcome) {
      case orig::OutcomeTag::kExit:
        outcome = format::Outcome::Exited(t.exit_code);
        break;
      case orig::OutcomeTag::kPanic:
        outcome = {format::OutcomeKind::kException, 0,
                   "panic: " + t.panic_message +
                       (t.panic_location.empty() ? "" : " (at " + t.panic_location + ")")};
        break;
      case orig::OutcomeTag::kAborted:
        outcome = {format::OutcomeKind::kInterrupted, 0, "the original tape recorded no outcome"};
        break;
    }
  }
  out.events = kept;
  // §7: the original does not record when the program finished: 0, unknown.
  out.trace = (*writer)->Finish(outcome, 0);
  return out;
}

Result<ImportResult> ImportOriginalFile(const std::string& path, const ImportOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("cannot open trace " + path + ": no such file");
    return Status::FromErrno("cannot open trace " + path, err);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + " is not a regular file");
  }
  // Mapped, not read: the file is only needed while it is converted.
  size_t size = size_t(st.st_size);
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) return Status::FromErrno("cannot map trace " + path, err);
  Result<ImportResult> out = Status::IoError("unreachable");
  try {
    out = ImportOriginalTrace(Bytes(static_cast<const uint8_t*>(map), size), path, options);
  } catch (const std::bad_alloc&) {
    // The conversion holds the events and the new trace in memory.
    out = Status::IoError(fmt::format("not enough memory to convert {} ({} bytes)", path, size));
  }
  if (map) ::munmap(map, size);
  return out;
}

}  // namespace tape::cli
