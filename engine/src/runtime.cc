#include "tape/runtime.h"

#include <xxhash.h>

#include <cstring>
#include <deque>
#include <string>

namespace tape {

uint64_t SiteIdOf(std::string_view location) {
  return XXH3_64bits(location.data(), location.size());
}

// Location strings live here for the runtime's lifetime; a deque never moves
// its elements, so the Sites handed out stay valid.
struct Runtime::SiteStore {
  std::deque<std::string> locations;
};

Runtime::Runtime() : site_store_(std::make_unique<SiteStore>()) {}
Runtime::~Runtime() = default;

Site Runtime::SiteOfSlow(const SourceLocation& loc, uintptr_t key, CachedSite* entry) {
  std::string& text = site_store_->locations.emplace_back(
      std::string(loc.file_name()) + ":" + std::to_string(loc.line()) + ":" +
      std::to_string(loc.column()));
  *entry = {key, loc.file_name(), loc.line(), loc.column(), Site{SiteIdOf(text), text}};
  return entry->site;
}

}  // namespace tape
