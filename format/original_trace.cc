#include "format/original_trace.h"

#include <fmt/core.h>

#include <algorithm>

namespace tape::format::original {

namespace {

// A bounds-checked walk over the file that knows where it is, so that every
// error can name its byte offset.
class Cursor {
 public:
  explicit Cursor(Bytes file) : file_(file) {}

  uint64_t offset() const { return at_; }
  uint64_t left() const { return file_.size() - at_; }

  bool U32(uint32_t* v) {
    if (left() < 4) return false;
    *v = LoadU32(file_.data() + at_);
    at_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (left() < 8) return false;
    *v = LoadU64(file_.data() + at_);
    at_ += 8;
    return true;
  }
  // REQUIRES: n <= left().
  Bytes Take(uint64_t n) {
    Bytes b = file_.subspan(size_t(at_), size_t(n));
    at_ += n;
    return b;
  }

 private:
  Bytes file_;
  uint64_t at_ = 0;
};

Status Damage(uint64_t offset, const std::string& what) {
  return Status::Corrupt(fmt::format("byte {}: {}", offset, what));
}

Status Short(const Cursor& c, const std::string& field, size_t need) {
  return Damage(c.offset(), fmt::format("{}: needs {} bytes, {} left (the file is truncated)",
                                        field, need, c.left()));
}

// A u64 length prefix and the bytes it covers (§2: Vec<u8> and String).
Status LengthPrefixed(Cursor& c, const std::string& field, Bytes* out) {
  uint64_t at = c.offset(), n;
  if (!c.U64(&n)) return Short(c, field + " length", 8);
  if (n > c.left()) {
    return Damage(at, fmt::format("{} length is {} bytes, but only {} follow", field, n, c.left()));
  }
  *out = c.Take(n);
  return Status::Ok();
}

Status Utf8String(Cursor& c, const std::string& field, std::string* out) {
  uint64_t at = c.offset();
  Bytes b;
  TAPE_RETURN_IF_ERROR(LengthPrefixed(c, field, &b));
  if (!IsUtf8(b)) {
    return Damage(at, field + " is not UTF-8 (the original writes only UTF-8 strings)");
  }
  out->assign(AsChars(b));
  return Status::Ok();
}

Status ParseEvent(Cursor& c, uint64_t index, Event* e) {
  const std::string name = fmt::format("event {}", index);
  e->offset = c.offset();
  if (!c.U64(&e->seq)) return Short(c, name + " seq", 8);
  if (e->seq != index) {
    return Damage(
        e->offset,
        fmt::format("{} has seq {} (the original numbers its events 0, 1, 2, ...)", name, e->seq));
  }
  if (!c.U32(&e->site)) return Short(c, name + " site", 4);
  uint64_t kind_at = c.offset();
  uint32_t variant;
  if (!c.U32(&variant)) return Short(c, name + " kind", 4);
  if (variant >= kEffectVariants) {
    return Damage(kind_at,
                  fmt::format("{} kind is variant {}, not an effect (0 clock.now .. 7 time.sleep)",
                              name, variant));
  }
  e->kind = uint8_t(variant + 1);
  TAPE_RETURN_IF_ERROR(LengthPrefixed(c, name + " args", &e->args));
  return LengthPrefixed(c, name + " result", &e->result);
}

Status ParseFooter(Cursor& c, Trace* t) {
  uint64_t at = c.offset();
  uint32_t tag;
  if (!c.U32(&tag)) return Short(c, "outcome", 4);
  switch (OutcomeTag(tag)) {
    case OutcomeTag::kExit: {
      uint32_t code;
      if (!c.U32(&code)) return Short(c, "exit code", 4);
      t->exit_code = int32_t(code);
      break;
    }
    case OutcomeTag::kPanic:
      TAPE_RETURN_IF_ERROR(Utf8String(c, "panic message", &t->panic_message));
      TAPE_RETURN_IF_ERROR(Utf8String(c, "panic location", &t->panic_location));
      break;
    case OutcomeTag::kAborted:
      break;
    default:
      return Damage(
          at, fmt::format("outcome is variant {}, not one of 0 exit, 1 panic, 2 aborted", tag));
  }
  t->outcome = OutcomeTag(tag);
  uint64_t last_at = c.offset();
  if (!c.U64(&t->last_seq)) return Short(c, "last_seq", 8);
  if (t->last_seq != t->events.size()) {
    return Damage(last_at, fmt::format("last_seq is {}, but the trace holds {} events", t->last_seq,
                                       t->events.size()));
  }
  return Status::Ok();
}

}  // namespace

bool HasSignature(Bytes file) { return file.size() >= 4 && LoadU32(file.data()) == kSchemaVersion; }

Status Parse(Bytes file, Trace* t) {
  *t = Trace();
  Cursor c(file);
  if (!c.U32(&t->version)) return Short(c, "schema version", 4);
  if (t->version != kSchemaVersion) {
    return Damage(0, fmt::format("schema version {} (this reader knows only {})", t->version,
                                 kSchemaVersion));
  }
  uint64_t started;
  if (!c.U64(&started)) return Short(c, "started_at", 8);
  t->started_at = int64_t(started);
  if (c.left() < kCodeHashSize) return Short(c, "code_hash", kCodeHashSize);
  Bytes hash = c.Take(kCodeHashSize);
  std::copy(hash.begin(), hash.end(), t->code_hash.begin());

  uint64_t count_at = c.offset(), count;
  if (!c.U64(&count)) return Short(c, "event count", 8);
  // Bound the allocation by what the file can hold; parse the events that
  // fit before reporting a count that cannot be right, so that those that
  // are complete are kept.
  const uint64_t left = c.left(), fits = left / kMinEventSize;
  t->events.reserve(size_t(std::min(count, fits)));
  for (uint64_t i = 0; i < count; ++i) {
    if (i == fits) {
      return Damage(count_at,
                    fmt::format("event count is {}, but the {} bytes after it hold at most {} "
                                "events (the file is truncated, or the count is damaged)",
                                count, left, fits));
    }
    Event e;
    TAPE_RETURN_IF_ERROR(ParseEvent(c, i, &e));
    t->events.push_back(e);
  }
  TAPE_RETURN_IF_ERROR(ParseFooter(c, t));
  if (c.left() != 0) {
    return Damage(
        c.offset(),
        fmt::format("{} bytes follow the end of the trace (the original writes none)", c.left()));
  }
  return Status::Ok();
}

bool IsUtf8(Bytes b) {
  size_t i = 0, n = b.size();
  while (i < n) {
    uint8_t c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((b[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (b[i + k] & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace tape::format::original
