#include "tools/event_text.h"

#include <cstdio>

#include "engine/src/effect_text.h"
#include "format/layout.h"
#include "tape/effects.h"
#include "tools/cli.h"
#include "tools/time_arg.h"

namespace tape::cli {

namespace {

using format::AsBytes;
using format::Bytes;

// Text output shows at most this much of a payload.
constexpr uint64_t kShownBytes = 64;

std::string Payload(const format::TraceReader& reader, const format::PayloadView& p,
                    uint64_t limit, bool* truncated = nullptr) {
  std::string bytes;
  if (!reader.ReadPayload(p, limit, &bytes).ok()) bytes = "<unreadable spilled payload>";
  if (truncated) *truncated = p.size > limit;
  return bytes;
}

// Valid UTF-8 without control characters other than \n, \t and \r.
bool IsUtf8Text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t extra = (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 0;
    if (extra == 0 || i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string Hex(std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Text as a JSON string; other bytes as {"hex": "..."}.
nlohmann::ordered_json BytesJson(std::string_view s, bool truncated) {
  nlohmann::ordered_json j = IsUtf8Text(s) ? nlohmann::ordered_json(std::string(s))
                                   : nlohmann::ordered_json{{"hex", Hex(s)}};
  if (truncated) j = {{"truncated", true}, {"prefix", j}};
  return j;
}

// A parsed field as JSON (the shapes of specs/trace-format.md §13 in JSON:
// numbers, strings or {"hex": ...}, {"errno": n}, lists, null for unset).
nlohmann::ordered_json FieldJson(const engine::FieldValue& v, bool cut) {
  using engine::FieldType;
  switch (v.type) {
    case FieldType::kU32:
    case FieldType::kU64:
      return v.number;
    case FieldType::kI32:
      return int32_t(v.number);
    case FieldType::kTimeNs:
      return int64_t(v.number);
    case FieldType::kErrno:
      return {{"errno", int32_t(v.number)}};
    case FieldType::kFlag:
      return v.number != 0;
    case FieldType::kText:
    case FieldType::kSizedText:
      return BytesJson(format::AsChars(v.bytes), cut);
    case FieldType::kHex: {
      // Always hex (random bytes that happen to be text are still bytes),
      // cut and marked like any other payload.
      nlohmann::ordered_json j = {{"hex", Hex(format::AsChars(v.bytes))}};
      if (cut) j = {{"truncated", true}, {"prefix", j}};
      return j;
    }
    case FieldType::kOptText:
      return v.number ? BytesJson(format::AsChars(v.bytes), cut) : nlohmann::ordered_json(nullptr);
    case FieldType::kErrnoData: {
      nlohmann::ordered_json j = {{"errno", int32_t(v.number)}};
      if (v.number == 0) j["data"] = BytesJson(format::AsChars(v.bytes), cut);
      return j;
    }
    case FieldType::kTextList: {
      nlohmann::ordered_json j = nlohmann::ordered_json::array();
      for (Bytes b : v.list) j.push_back(BytesJson(format::AsChars(b), false));
      return j;
    }
    case FieldType::kUserResult:
      if (v.number == 0) return {{"value", BytesJson(format::AsChars(v.bytes), cut)}};
      return {{"threw", BytesJson(format::AsChars(v.bytes), false)},
              {"message", BytesJson(format::AsChars(v.message), cut)}};
  }
  return nullptr;
}

// A payload as JSON: null when its layout has no fields, the field itself
// when it has one, an object keyed by field name otherwise. A payload that
// does not have its layout (a damaged trace) is shown as bytes.
nlohmann::ordered_json PayloadJson(const engine::Layout* layout, const std::string& bytes,
                                   bool cut) {
  engine::ParsedPayload parsed;
  if (layout == nullptr || !engine::ParsePayload(*layout, AsBytes(bytes), &parsed).empty()) {
    return BytesJson(bytes, cut);
  }
  if (parsed.count == 0) return nullptr;
  if (parsed.count == 1) return FieldJson(parsed.fields[0], cut);
  nlohmann::ordered_json j;
  for (uint8_t i = 0; i < parsed.count; ++i) {
    j[layout->fields[i].name] = FieldJson(parsed.fields[i], cut && i + 1 == parsed.count);
  }
  return j;
}

// §13.6: which payloads hold markers instead of what was recorded.
std::string RedactedTag(uint8_t marks) {
  bool args = marks & format::kMarkArgsRedacted, result = marks & format::kMarkResultRedacted;
  if (args && result) return " [args and result redacted]";
  if (args) return " [args redacted]";
  if (result) return " [result redacted]";
  return "";
}

}  // namespace

std::string EventCall(const format::TraceReader& reader, const format::EventView& e) {
  std::string args = Payload(reader, e.args, kShownBytes * 4);
  std::string result = Payload(reader, e.result, kShownBytes * 4);
  std::string call = engine::DescribeCall(engine::KindName(e.kind, &reader.kind_names()), e.kind,
                                          AsBytes(args), kShownBytes, e.args.size - args.size());
  std::string shown =
      engine::DescribeResult(e.kind, AsBytes(result), kShownBytes, e.result.size - result.size());
  // Chaos mode changed the result (EVENT_MARKS bit 0, §7.3).
  if (e.marks & format::kMarkPerturbed) shown += " [chaos]";
  // The descriptions quote C0 controls but pass other bytes through (C1
  // controls, bytes that are not UTF-8, a UTF-8 sequence cut at the limit).
  return Shown(call + " -> " + shown) + RedactedTag(e.marks);
}

std::string EventLine(const format::TraceReader& reader, const format::EventView& e,
                      bool with_time) {
  char seq[24];
  std::snprintf(seq, sizeof seq, "%7llu", (unsigned long long)e.seq);
  std::string where = reader.SiteLocation(e.site);
  std::string line;
  if (with_time) line = (e.time_ns != 0 ? FormatTimeOfDay(e.time_ns) : "              ?") + " ";
  line += std::string(seq) + "  ";
  // Events of threads other than the program's own name their lane.
  if (e.lane != 0) line += "[lane " + std::to_string(e.lane) + "] ";
  line += EventCall(reader, e);
  if (with_time && e.duration_ns != 0) line += " in " + FormatDuration(e.duration_ns);
  return line + "  at " + (where.empty() ? "?" : Shown(where)) + " [site " + SiteHex(e.site) + "]";
}

nlohmann::ordered_json EventJson(const format::TraceReader& reader, const format::EventView& e,
                                 uint64_t max_payload) {
  bool args_cut = false, result_cut = false;
  std::string args = Payload(reader, e.args, max_payload, &args_cut);
  std::string result = Payload(reader, e.result, max_payload, &result_cut);
  nlohmann::ordered_json j;
  j["seq"] = e.seq;
  j["lane"] = e.lane;
  j["time"] = e.time_ns != 0 ? nlohmann::ordered_json(e.time_ns) : nlohmann::ordered_json(nullptr);
  if (e.duration_ns != 0) j["duration"] = e.duration_ns;
  j["kind"] = engine::KindName(e.kind, &reader.kind_names());
  j["site"] = SiteHex(e.site);
  j["location"] = reader.SiteLocation(e.site);
  // A cut payload keeps its layout when only its last field was cut.
  j["args"] = PayloadJson(engine::ArgsLayout(e.kind), args, args_cut);
  j["result"] = PayloadJson(engine::ResultLayout(e.kind), result, result_cut);
  if (e.marks & format::kMarkPerturbed) j["perturbed"] = true;
  if (e.marks & (format::kMarkArgsRedacted | format::kMarkResultRedacted)) {
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    if (e.marks & format::kMarkArgsRedacted) parts.push_back("args");
    if (e.marks & format::kMarkResultRedacted) parts.push_back("result");
    j["redacted"] = parts;
  }
  return j;
}

bool ParseKind(const format::TraceReader& reader, std::string_view name, uint8_t* kind) {
  EffectKind builtin;
  if (ParseEffectName(name, &builtin)) {
    *kind = uint8_t(builtin);
    return true;
  }
  for (int k = kFirstUserKind; k < 256; ++k) {
    if (!reader.kind_names()[k].empty() && reader.kind_names()[k] == name) {
      *kind = uint8_t(k);
      return true;
    }
  }
  return false;
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tape::cli
