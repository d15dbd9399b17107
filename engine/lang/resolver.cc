#include "engine/lang/resolver.h"

#include <algorithm>

namespace tape::lang {

std::pair<int, int> LocalScopes::EndScope() {
  size_t start = scope_starts_.back();
  scope_starts_.pop_back();
  int count = static_cast<int>(locals_.size() - start);
  locals_.resize(start);
  return {static_cast<int>(start), count};
}

std::optional<int> LocalScopes::Declare(std::string_view name) {
  size_t start = scope_starts_.empty() ? 0 : scope_starts_.back();
  for (size_t i = start; i < locals_.size(); ++i) {
    if (locals_[i] == name) return std::nullopt;
  }
  return Push(name);
}

int LocalScopes::Push(std::string_view name) {
  locals_.emplace_back(name);
  max_slots_ = std::max(max_slots_, static_cast<int>(locals_.size()));
  return static_cast<int>(locals_.size()) - 1;
}

std::optional<int> LocalScopes::Find(std::string_view name) const {
  for (size_t i = locals_.size(); i-- > 0;) {
    if (locals_[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> Globals::Declare(const std::string& name) {
  if (slots_.count(name)) return std::nullopt;
  int slot = static_cast<int>(names_.size());
  slots_.emplace(name, slot);
  names_.push_back(name);
  return slot;
}

std::optional<int> Globals::Find(const std::string& name) const {
  auto it = slots_.find(name);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tape::lang
