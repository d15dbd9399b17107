#include "engine/effects/bind.h"

namespace tape::engine::bind_detail {

void ToField(const Headers& m, FieldValue* v, BindStorage* storage) {
  v->list.clear();
  for (const auto& [name, value] : m) {
    v->list.push_back(format::AsBytes(storage->emplace_front(name + ": " + value)));
  }
}

bool FromField(const FieldValue& v, Headers* m) {
  m->clear();
  for (Bytes b : v.list) {
    std::string_view line = format::AsChars(b);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    m->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

}  // namespace tape::engine::bind_detail
