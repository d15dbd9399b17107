#include "tools/event_text.h"

#include <cstdio>

#include "engine/src/effect_codec.h"
#include "tape/effects.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

using format::AsBytes;
using format::Bytes;

// Text output shows at most this much of a payload.
constexpr uint64_t kShownBytes = 64;
// JSON output carries payloads whole up to this size, then marks them truncated.
constexpr uint64_t kJsonBytes = 1u << 20;

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

}  // namespace

std::string EventCall(const format::TraceReader& reader, const format::EventView& e) {
  std::string args = Payload(reader, e.args, kShownBytes * 4);
  std::string result = Payload(reader, e.result, kShownBytes * 4);
  std::string call =
      engine::DescribeCall(e.kind, AsBytes(args), kShownBytes, e.args.size - args.size());
  std::string shown =
      engine::DescribeResult(e.kind, AsBytes(result), kShownBytes, e.result.size - result.size());
  // The descriptions quote C0 controls but pass other bytes through (C1
  // controls, bytes that are not UTF-8, a UTF-8 sequence cut at the limit).
  return Shown(call + " -> " + shown);
}

std::string EventLine(const format::TraceReader& reader, const format::EventView& e) {
  char seq[24];
  std::snprintf(seq, sizeof seq, "%7llu", (unsigned long long)e.seq);
  std::string where = reader.SiteLocation(e.site);
  return std::string(seq) + "  " + EventCall(reader, e) + "  at " +
         (where.empty() ? "?" : Shown(where)) + " [site " + SiteHex(e.site) + "]";
}

nlohmann::ordered_json EventJson(const format::TraceReader& reader, const format::EventView& e) {
  bool args_cut = false, result_cut = false;
  std::string args = Payload(reader, e.args, kJsonBytes, &args_cut);
  std::string result = Payload(reader, e.result, kJsonBytes, &result_cut);
  nlohmann::ordered_json j;
  j["seq"] = e.seq;
  j["kind"] = engine::KindName(e.kind);
  j["site"] = SiteHex(e.site);
  j["location"] = reader.SiteLocation(e.site);
  Bytes a = AsBytes(args), r = AsBytes(result);
  nlohmann::ordered_json ja = BytesJson(args, args_cut), jr = BytesJson(result, result_cut);
  switch (EffectKind(e.kind)) {
    case EffectKind::kClockNow: {
      ja = nullptr;
      int64_t ns;
      if (engine::DecodeI64(r, &ns)) jr = ns;
      break;
    }
    case EffectKind::kRandomBits:
      if (a.size() == 4) ja = format::LoadU32(a.data());
      jr = {{"hex", Hex(result)}};
      break;
    case EffectKind::kIoWrite:
    case EffectKind::kFsWrite: {
      int32_t err;
      if (engine::DecodeI32(r, &err)) jr = {{"errno", err}};
      if (EffectKind(e.kind) == EffectKind::kFsWrite && a.size() >= 4 &&
          format::LoadU32(a.data()) <= a.size() - 4) {
        uint32_t n = format::LoadU32(a.data());
        ja = {{"path", BytesJson(args.substr(4, n), false)},
              {"data", BytesJson(args.substr(4 + n), args_cut)}};
      }
      break;
    }
    case EffectKind::kFsRead: {
      int err;
      std::string_view data;
      if (engine::DecodeFsReadResult(r, &err, &data)) {
        jr = {{"errno", err}};
        if (err == 0) jr["data"] = BytesJson(data, result_cut);
      }
      break;
    }
    case EffectKind::kEnvGet: {
      std::optional<std::string> value;
      if (engine::DecodeEnvResult(r, &value)) jr = value ? BytesJson(*value, false) : nullptr;
      break;
    }
    case EffectKind::kArgsGet: {
      ja = nullptr;
      std::vector<std::string> list;
      if (engine::DecodeArgsResult(r, &list)) {
        jr = nlohmann::ordered_json::array();
        for (const std::string& s : list) jr.push_back(BytesJson(s, false));
      }
      break;
    }
    case EffectKind::kTimeSleep: {
      uint64_t ms = a.size() == 8 ? format::LoadU64(a.data()) : 0;
      ja = ms;
      jr = nullptr;
      break;
    }
  }
  j["args"] = ja;
  j["result"] = jr;
  return j;
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tape::cli
