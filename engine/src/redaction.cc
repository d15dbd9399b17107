#include "engine/internal/redaction.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <xxhash.h>

#include <algorithm>

#include "engine/effects/registry.h"
#include "format/layout.h"

namespace tape::engine {

using format::AsChars;

namespace {

// The digits of a marker's number: at most 19, so that N fits in a u64.
constexpr size_t kMaxMarkerDigits = 19;
constexpr size_t kFilterBits = 1u << 16;

size_t FilterSlot(uint64_t prefix) { return size_t((prefix * 0x9e3779b97f4a7c15ull) >> 48); }

}  // namespace

std::string_view MarkerTable::MarkerFor(Bytes value) {
  XXH128_hash_t h = XXH3_128bits(value.data(), value.size());
  return MarkerForHash(h.low64, h.high64);
}

std::string_view MarkerTable::MarkerForHash(uint64_t low, uint64_t high) {
  auto [it, added] = numbers_.try_emplace(Key{low, high}, next_);
  if (added) ++next_;
  marker_.assign(kMarkerPrefix);
  marker_.append(std::to_string(it->second)).push_back(']');
  return marker_;
}

uint64_t FindMarkers(Bytes text, std::vector<ByteRange>* out) {
  std::string_view s = AsChars(text);
  uint64_t largest = 0;
  for (size_t at = s.find(kMarkerPrefix); at != std::string_view::npos;
       at = s.find(kMarkerPrefix, at + 1)) {
    size_t p = at + kMarkerPrefix.size();
    uint64_t n = 0;
    size_t digits = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9' && digits < kMaxMarkerDigits) {
      n = n * 10 + uint64_t(s[p] - '0');
      ++p;
      ++digits;
    }
    if (digits == 0 || p >= s.size() || s[p] != ']') continue;
    if (out) out->push_back({at, p + 1});
    if (n > largest) largest = n;
  }
  return largest;
}

bool IsMarker(Bytes text) {
  std::vector<ByteRange> found;
  FindMarkers(text, &found);
  return found.size() == 1 && found[0].begin == 0 && found[0].end == text.size();
}

void ReplaceRanges(Bytes text, const std::vector<ByteRange>& ranges, MarkerTable* markers,
                   std::string* out) {
  if (ranges.size() > kMaxRangesPerField) {
    out->append(markers->MarkerFor(text));
    return;
  }
  std::string_view s = AsChars(text);
  size_t at = 0;
  for (const ByteRange& r : ranges) {
    out->append(s.substr(at, r.begin - at));
    out->append(markers->MarkerFor(text.subspan(r.begin, r.end - r.begin)));
    at = r.end;
  }
  out->append(s.substr(at));
}

ByteRange SecretCore(Bytes value) {
  auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0, e = value.size();
  while (b < e && space(value[b])) ++b;
  while (e > b && space(value[e - 1])) --e;
  if (b == e) return {0, value.size()};
  return {b, e};
}

void MarkValue(Bytes value, MarkerTable* markers, std::string* out) {
  ByteRange core = SecretCore(value);
  std::string_view s = AsChars(value);
  out->append(s.substr(0, core.begin));
  out->append(markers->MarkerFor(value.subspan(core.begin, core.end - core.begin)));
  out->append(s.substr(core.end));
}

ValueFinder::ValueFinder() : prefix_filter_(kFilterBits / 64, 0) {}

uint64_t ValueFinder::Prefix(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMinValueBytes; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

bool ValueFinder::Add(Bytes value) {
  if (value.size() < kMinValueBytes) return false;
  XXH128_hash_t h = XXH3_128bits(value.data(), value.size());
  Value v{value.size(), h.low64, h.high64};
  uint64_t prefix = Prefix(value.data());
  std::vector<Value>& same = values_[prefix];
  if (std::find(same.begin(), same.end(), v) != same.end()) return false;
  same.insert(std::upper_bound(same.begin(), same.end(), v,
                               [](const Value& a, const Value& b) { return a.size > b.size; }),
              v);
  size_t slot = FilterSlot(prefix);
  prefix_filter_[slot / 64] |= uint64_t(1) << (slot % 64);
  return true;
}

void ValueFinder::Find(Bytes text, std::vector<ByteRange>* out) const {
  if (values_.empty() || text.size() < kMinValueBytes) return;
  const uint8_t* p = text.data();
  size_t last = text.size() - kMinValueBytes;
  for (size_t i = 0; i <= last; ++i) {
    uint64_t prefix = Prefix(p + i);
    size_t slot = FilterSlot(prefix);
    if (!(prefix_filter_[slot / 64] >> (slot % 64) & 1)) continue;
    auto it = values_.find(prefix);
    if (it == values_.end()) continue;
    for (const Value& v : it->second) {
      if (v.size > text.size() - i) continue;
      XXH128_hash_t h = XXH3_128bits(p + i, size_t(v.size));
      if (h.low64 != v.low || h.high64 != v.high) continue;
      out->push_back({i, i + size_t(v.size)});
      if (out->size() > kMaxRangesPerField) return;
      i += size_t(v.size) - 1;
      break;
    }
  }
}

namespace {

// `text` as scripts quote a string, without the quotes: `"`, `\` and the
// control bytes escaped, and with `escape_high` the bytes from 0x7f up too
// (error messages, engine/lang's QuoteForMessage), else only 0x7f (lists and
// maps printed, specs/language.md §3.4).
std::string QuotedForm(std::string_view text, bool escape_high) {
  std::string out;
  for (char ch : text) {
    uint8_t c = uint8_t(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f || (escape_high && c > 0x7f)) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

uint64_t Prefix6(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < ValueFinder::kMinValueBytes; ++i) v |= uint64_t(uint8_t(p[i])) << (8 * i);
  return v;
}

}  // namespace

void MessageValueFinder::Add(Bytes value) {
  if (value.size() < ValueFinder::kMinValueBytes || seen_.size() >= kMaxValues) return;
  XXH128_hash_t h = XXH3_128bits(value.data(), value.size());
  if (!seen_.insert(h.low64).second) return;
  std::string head(AsChars(value).substr(0, kHeadBytes));
  bool whole = head.size() == value.size();
  auto add = [&](std::string text) {
    by_prefix_[Prefix6(text.data())].push_back(uint32_t(forms_.size()));
    forms_.push_back({std::move(text), whole, h.low64, h.high64});
  };
  std::string in_errors = QuotedForm(head, true), printed = QuotedForm(head, false);
  if (printed != head) add(printed);
  if (in_errors != printed) add(std::move(in_errors));
  add(std::move(head));
}

bool MessageValueFinder::Redact(std::string_view text, MarkerTable* markers,
                                std::string* out) const {
  if (forms_.empty() || text.size() < ValueFinder::kMinValueBytes) return false;
  bool changed = false;
  size_t copied = 0;  // text before this is in `out` already
  for (size_t i = 0; i + ValueFinder::kMinValueBytes <= text.size();) {
    auto it = by_prefix_.find(Prefix6(text.data() + i));
    size_t best = 0;
    const Form* best_form = nullptr;
    if (it != by_prefix_.end()) {
      for (uint32_t f : it->second) {
        const Form& form = forms_[f];
        size_t k = 0;
        while (k < form.text.size() && i + k < text.size() && text[i + k] == form.text[k]) ++k;
        // A copy: the whole value, or a prefix the message cut with "...".
        std::string_view after = text.substr(i + k);
        bool cut = after.starts_with("...") || after.starts_with("\"...");
        bool found = (k == form.text.size() && form.whole) || cut;
        if (found && k > best) {
          best = k;
          best_form = &form;
        }
      }
    }
    if (best_form == nullptr) {
      ++i;
      continue;
    }
    out->append(text.substr(copied, i - copied));
    out->append(markers->MarkerForHash(best_form->low, best_form->high));
    i += best;
    copied = i;
    changed = true;
  }
  if (changed) out->append(text.substr(copied));
  return changed;
}

bool RewritePayload(uint8_t kind, bool args, Bytes payload, const FieldRewrite& fn,
                    std::string* out) {
  out->clear();
  const EffectSpec* spec = FindEffectOrUser(kind);
  if (spec == nullptr) return !payload.empty() && fn(payload, false, out);
  return RewritePayloadFields(args ? spec->args.layout : spec->result.layout, payload,
                              args ? spec->args.keys : 0, fn, out);
}

bool RedactCopies(uint8_t kind, bool args, Bytes payload, const ValueFinder& values,
                  MarkerTable* markers, std::string* out) {
  std::vector<ByteRange> ranges;
  return RewritePayload(
      kind, args, payload,
      [&](Bytes field, bool, std::string* o) {
        ranges.clear();
        values.Find(field, &ranges);
        if (ranges.empty()) return false;
        ReplaceRanges(field, ranges, markers, o);
        return true;
      },
      out);
}

namespace {

// The items of the list field named `list` in a payload of kind `kind`
// that are "NAME<separator>value", NAME matching one of `globs`, the value
// (after the spaces that follow a ':') not empty.
void ValuesNamed(uint8_t kind, bool args, Bytes payload, std::string_view list, char separator,
                 bool any_case, const std::vector<std::string>& globs,
                 std::vector<NamedValue>* out) {
  const EffectSpec* spec = FindEffectOrUser(kind);
  if (spec == nullptr) return;
  const Layout* layout = args ? &spec->args.layout : &spec->result.layout;
  int field = -1;
  for (int i = 0; i < layout->count; ++i) {
    if (layout->fields[i].type == FieldType::kTextList && layout->fields[i].name == list) {
      field = i;
    }
  }
  ParsedPayload parsed;
  if (field < 0 || !ParsePayload(*layout, payload, &parsed).ok()) return;
  for (Bytes item : parsed.fields[field].list) {
    std::string_view line = AsChars(item);
    size_t sep = line.find(separator);
    if (sep == std::string_view::npos) continue;
    size_t value = separator == ':' ? line.find_first_not_of(' ', sep + 1) : sep + 1;
    if (value == std::string_view::npos || value == line.size()) continue;  // hides nothing
    if (MatchesAnyGlob(globs, line.substr(0, sep), any_case)) {
      out->push_back({item.data(), value, item.size()});
    }
  }
}

}  // namespace

void HeaderValuesNamed(uint8_t kind, bool args, Bytes payload,
                       const std::vector<std::string>& globs, std::vector<NamedValue>* out) {
  ValuesNamed(kind, args, payload, "headers", ':', /*any_case=*/true, globs, out);
}

void EnvValuesNamed(uint8_t kind, bool args, Bytes payload, const std::vector<std::string>& globs,
                    std::vector<NamedValue>* out) {
  ValuesNamed(kind, args, payload, "env", '=', /*any_case=*/false, globs, out);
}

Status CheckRule(std::string_view rule) {
  if (rule.empty()) return Status::InvalidArgument("is empty");
  if (rule.size() > kMaxRuleBytes) {
    return Status::InvalidArgument(
        fmt::format("is {} bytes long (at most {})", rule.size(), kMaxRuleBytes));
  }
  for (char c : rule) {
    if (uint8_t(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("contains a control character");
    }
  }
  return Status::Ok();
}

bool AddRedactionLine(std::string* field, std::string_view line) {
  size_t size = field->size() + (field->empty() ? 0 : 1) + line.size();
  if (size > format::kMaxShortString) return false;
  if (!field->empty()) field->push_back('\n');
  field->append(line);
  return true;
}

Status AddRecordingRules(const std::vector<std::string>& redact_env,
                         const std::vector<std::string>& redact_header, size_t match_patterns,
                         std::string* field) {
  for (const auto* globs : {&redact_env, &redact_header}) {
    bool env = globs == &redact_env;
    const char* option = env ? "redact_env" : "redact_header";
    const char* flag = env ? "--redact-env" : "--redact-header";
    for (const std::string& glob : *globs) {
      Status ok = CheckRule(glob);
      if (ok.ok() && !AddRedactionLine(field, fmt::format("record {} {}", flag, glob))) {
        ok = Status::InvalidArgument(
            "takes the header's redaction rules past 4096 bytes; use fewer, broader globs");
      }
      if (!ok.ok()) {
        return Status::InvalidArgument(
            fmt::format("{}: the glob '{}' {}", option, glob, ok.message()));
      }
    }
  }
  if (match_patterns != 0 &&
      !AddRedactionLine(field, fmt::format("record --redact-match: {} pattern{}, not recorded",
                                           match_patterns, match_patterns == 1 ? "" : "s"))) {
    return Status::InvalidArgument(
        "redact_match: the header's redaction rules would pass 4096 bytes");
  }
  return Status::Ok();
}

bool MatchesGlob(const std::string& glob, std::string_view name, bool any_case) {
  return ::fnmatch(glob.c_str(), std::string(name).c_str(), any_case ? FNM_CASEFOLD : 0) == 0;
}

bool MatchesAnyGlob(const std::vector<std::string>& globs, std::string_view name, bool any_case) {
  for (const std::string& g : globs) {
    if (MatchesGlob(g, name, any_case)) return true;
  }
  return false;
}

}  // namespace tape::engine
