#include "engine/internal/effect_text.h"

#include <fmt/format.h>

#include <algorithm>

namespace tape::engine {

std::string KindName(uint8_t kind, const format::KindNames* names) {
  if (const EffectSpec* e = FindEffect(kind)) return std::string(e->name);
  if (names && !(*names)[kind].empty()) {
    // Names come from the trace: a hostile one must not reach a terminal raw.
    std::string name = (*names)[kind];
    for (char& c : name) {
      if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f) c = '?';
    }
    return name;
  }
  return fmt::format("kind {}", kind);
}

std::string DescribeCall(std::string_view name, uint8_t kind, Bytes args, size_t limit,
                         uint64_t missing) {
  const Layout* layout = ArgsLayout(kind);
  std::string fields;
  if (layout == nullptr ||
      !AppendFieldsText(*layout, args, limit, missing, layout->count > 2, &fields)) {
    fields = Printable(args, limit, missing);
  }
  return fmt::format("{}({})", name, fields);
}

std::string DescribeResult(uint8_t kind, Bytes result, size_t limit, uint64_t missing) {
  const Layout* layout = ResultLayout(kind);
  std::string fields;
  if (layout == nullptr ||
      !AppendFieldsText(*layout, result, limit, missing, layout->count > 1, &fields)) {
    return Printable(result, limit, missing);
  }
  return fields.empty() ? "done" : fields;
}

std::string FirstDifference(Bytes recorded, Bytes now) {
  size_t n = std::min(recorded.size(), now.size());
  size_t at = 0;
  while (at < n && recorded[at] == now[at]) ++at;
  if (at == n && recorded.size() == now.size()) return "";
  constexpr size_t kBefore = 16, kAfter = 32;
  size_t from = at > kBefore ? at - kBefore : 0;
  auto window = [&](Bytes b) {
    Bytes w = b.subspan(std::min(from, b.size()));
    uint64_t cut = w.size() > kBefore + kAfter ? w.size() - (kBefore + kAfter) : 0;
    std::string text = Printable(w.first(w.size() - cut), kBefore + kAfter, cut);
    return (from > 0 ? "…" : "") + text;
  };
  return fmt::format(
      "first difference at byte {} (recorded {} bytes, now {} bytes): recorded {}, now {}", at,
      recorded.size(), now.size(), window(recorded), window(now));
}

}  // namespace tape::engine
