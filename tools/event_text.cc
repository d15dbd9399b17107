#include "tools/event_text.h"

#include <fmt/core.h>

#include <cstdio>
#include <iterator>

#include "engine/effects/registry.h"
#include "engine/internal/effect_text.h"
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

std::string HexDigits(std::string_view s) {
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
                                   : nlohmann::ordered_json{{"hex", HexDigits(s)}};
  if (truncated) j = {{"truncated", true}, {"prefix", j}};
  return j;
}

// Builds the JSON the field types describe (engine::JsonOut) as a
// nlohmann value: a stack of open objects and arrays, and the key of the
// next member of the innermost object.
class JsonBuilder final : public engine::JsonOut {
 public:
  nlohmann::ordered_json Take() { return std::move(root_); }

  void Null() override { Put(nullptr); }
  void Bool(bool b) override { Put(b); }
  void Int(int64_t n) override { Put(n); }
  void Uint(uint64_t n) override { Put(n); }
  void Bytes(format::Bytes b, bool cut) override { Put(BytesJson(format::AsChars(b), cut)); }
  void Hex(format::Bytes b, bool cut) override {
    nlohmann::ordered_json j = {{"hex", HexDigits(format::AsChars(b))}};
    if (cut) j = {{"truncated", true}, {"prefix", j}};
    Put(std::move(j));
  }
  void BeginObject() override { Open(nlohmann::ordered_json::object()); }
  void Key(std::string_view key) override { key_ = key; }
  void EndObject() override { Close(); }
  void BeginArray() override { Open(nlohmann::ordered_json::array()); }
  void EndArray() override { Close(); }

 private:
  void Put(nlohmann::ordered_json v) {
    if (open_.empty()) {
      root_ = std::move(v);
    } else if (open_.back().is_array()) {
      open_.back().push_back(std::move(v));
    } else {
      open_.back()[key_] = std::move(v);
    }
  }
  void Open(nlohmann::ordered_json container) {
    open_.push_back(std::move(container));
    keys_.push_back(key_);
  }
  void Close() {
    nlohmann::ordered_json done = std::move(open_.back());
    open_.pop_back();
    key_ = keys_.back();
    keys_.pop_back();
    Put(std::move(done));
  }

  nlohmann::ordered_json root_;
  std::vector<nlohmann::ordered_json> open_;
  std::vector<std::string> keys_;  // the key each open container goes under
  std::string key_;
};

// A payload as JSON (engine::WritePayloadJson); a payload that does not
// have its layout (a damaged trace) is shown as bytes.
nlohmann::ordered_json PayloadJson(const engine::Layout* layout, const std::string& bytes,
                                   bool cut) {
  JsonBuilder json;
  if (layout == nullptr || !engine::WritePayloadJson(*layout, AsBytes(bytes), cut, json)) {
    return BytesJson(bytes, cut);
  }
  return json.Take();
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
  if (e.lane != 0) fmt::format_to(std::back_inserter(line), "[lane {}] ", e.lane);
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
