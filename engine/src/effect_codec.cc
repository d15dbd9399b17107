#include "engine/src/effect_codec.h"

#include <cstring>

namespace tape::engine {

using format::LoadU32;
using format::LoadU64;

void AppendU32(std::string* out, uint32_t v) {
  char b[4];
  format::StoreU32(reinterpret_cast<uint8_t*>(b), v);
  out->append(b, 4);
}
void AppendU64(std::string* out, uint64_t v) {
  char b[8];
  format::StoreU64(reinterpret_cast<uint8_t*>(b), v);
  out->append(b, 8);
}
void AppendI32(std::string* out, int32_t v) { AppendU32(out, uint32_t(v)); }

void EncodeFsWriteArgs(std::string* out, std::string_view path, std::string_view data) {
  AppendU32(out, uint32_t(path.size()));
  out->append(path);
  out->append(data);
}

void EncodeEnvResult(std::string* out, const std::optional<std::string>& value) {
  out->push_back(value ? 1 : 0);
  if (value) out->append(*value);
}

void EncodeArgsResult(std::string* out, const std::vector<std::string>& args) {
  AppendU32(out, uint32_t(args.size()));
  for (const std::string& a : args) {
    AppendU32(out, uint32_t(a.size()));
    out->append(a);
  }
}

void EncodeFsReadResult(std::string* out, int error, std::string_view data) {
  AppendI32(out, error);
  out->append(data);
}

bool DecodeI64(Bytes b, int64_t* v) {
  if (b.size() != 8) return false;
  *v = int64_t(LoadU64(b.data()));
  return true;
}

bool DecodeI32(Bytes b, int32_t* v) {
  if (b.size() != 4) return false;
  *v = int32_t(LoadU32(b.data()));
  return true;
}

bool DecodeFsReadResult(Bytes b, int* error, std::string_view* data) {
  if (b.size() < 4) return false;
  *error = int32_t(LoadU32(b.data()));
  *data = format::AsChars(b.subspan(4));
  return *error == 0 || data->empty();
}

bool DecodeEnvResult(Bytes b, std::optional<std::string>* value) {
  if (b.empty() || b[0] > 1) return false;
  if (b[0] == 0) {
    if (b.size() != 1) return false;
    value->reset();
  } else {
    *value = std::string(format::AsChars(b.subspan(1)));
  }
  return true;
}

bool DecodeArgsResult(Bytes b, std::vector<std::string>* args) {
  format::ByteReader r(b);
  uint32_t count;
  if (!r.GetU32(&count) || count > r.remaining() / 4) return false;
  args->clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len;
    Bytes s;
    if (!r.GetU32(&len) || !r.GetBytes(len, &s)) return false;
    args->emplace_back(format::AsChars(s));
  }
  return r.remaining() == 0;
}

namespace {

bool IsPrintableText(Bytes b) {
  for (uint8_t c : b) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
  }
  return true;
}

// `missing`: bytes of the value that the caller did not pass (it holds only
// a prefix); they count towards the size shown.
std::string Quote(std::string_view s, size_t limit, uint64_t missing) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (shown >= limit) break;
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default: out += c;
    }
    ++shown;
  }
  out += '"';
  if (s.size() > limit || missing > 0) out += "… (" + std::to_string(s.size() + missing) + " bytes)";
  return out;
}

std::string Hex(Bytes b, size_t limit) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  size_t n = std::min(b.size(), limit / 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[b[i] >> 4];
    out += kDigits[b[i] & 15];
  }
  if (b.size() > n) out += "…";
  return out;
}

std::string Errno(int err) {
  if (err == 0) return "ok";
  return "errno " + std::to_string(err) + " (" + std::strerror(err) + ")";
}

}  // namespace

std::string Printable(Bytes bytes, size_t limit, uint64_t missing) {
  if (IsPrintableText(bytes)) return Quote(format::AsChars(bytes), limit, missing);
  std::string hex = Hex(bytes, limit);
  if (missing > 0 && hex.find("…") == std::string::npos) hex += "…";
  return std::to_string(bytes.size() + missing) + " bytes " + hex;
}

std::string KindName(uint8_t kind) {
  if (IsKnownEffect(kind)) return std::string(EffectName(EffectKind(kind)));
  return "kind " + std::to_string(kind);
}

std::string DescribeCall(uint8_t kind, Bytes args, size_t limit, uint64_t missing) {
  std::string name = KindName(kind);
  switch (EffectKind(kind)) {
    case EffectKind::kClockNow:
    case EffectKind::kArgsGet:
      if (args.empty()) return name + "()";
      break;
    case EffectKind::kRandomBits:
      if (args.size() == 4) return name + "(" + std::to_string(LoadU32(args.data())) + ")";
      break;
    case EffectKind::kTimeSleep:
      if (args.size() == 8) return name + "(" + std::to_string(LoadU64(args.data())) + ")";
      break;
    case EffectKind::kIoWrite:
    case EffectKind::kFsRead:
    case EffectKind::kEnvGet:
      return name + "(" + Printable(args, limit, missing) + ")";
    case EffectKind::kFsWrite:
      if (args.size() >= 4 && LoadU32(args.data()) <= args.size() - 4) {
        uint32_t path_len = LoadU32(args.data());
        return name + "(" + Printable(args.subspan(4, path_len), limit, 0) + ", " +
               Printable(args.subspan(4 + path_len), limit, missing) + ")";
      }
      break;
  }
  return name + "(" + Printable(args, limit, missing) + ")";
}

std::string DescribeResult(uint8_t kind, Bytes result, size_t limit, uint64_t missing) {
  switch (EffectKind(kind)) {
    case EffectKind::kClockNow: {
      int64_t ns;
      if (!DecodeI64(result, &ns)) break;
      char buf[48];
      std::snprintf(buf, sizeof buf, "%lld.%09lld", (long long)(ns / 1000000000),
                    (long long)(ns % 1000000000));
      return buf;
    }
    case EffectKind::kIoWrite:
    case EffectKind::kFsWrite: {
      int32_t err;
      if (!DecodeI32(result, &err)) break;
      return Errno(err);
    }
    case EffectKind::kFsRead: {
      int err;
      std::string_view data;
      if (!DecodeFsReadResult(result, &err, &data)) break;
      if (err != 0) return Errno(err);
      return Printable(format::AsBytes(data), limit, missing);
    }
    case EffectKind::kEnvGet: {
      std::optional<std::string> value;
      if (!DecodeEnvResult(result, &value)) break;
      return value ? Printable(format::AsBytes(*value), limit, missing) : "unset";
    }
    case EffectKind::kArgsGet: {
      std::vector<std::string> args;
      if (!DecodeArgsResult(result, &args)) break;
      std::string out = "[";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) out += ", ";
        out += Printable(format::AsBytes(args[i]), limit, 0);
      }
      return out + "]";
    }
    case EffectKind::kTimeSleep:
      if (result.empty()) return "done";
      break;
    case EffectKind::kRandomBits:
      return std::to_string(result.size() + missing) + " bytes " + Hex(result, limit) +
             (missing && result.size() * 2 <= limit ? "…" : "");
  }
  return Printable(result, limit, missing);
}

}  // namespace tape::engine
