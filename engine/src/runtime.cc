#include "tape/runtime.h"

#include <xxhash.h>

#include <cstring>
#include <deque>
#include <string>

namespace tape {

uint64_t SiteIdOf(std::string_view location) {
  return XXH3_64bits(location.data(), location.size());
}

// A direct-mapped cache from a call site's identity to its Site, in front of
// a stable store of location strings.
//
// With libstdc++, std::source_location is one pointer to a per-call-site
// static record, so that pointer alone identifies the call: one compare per
// lookup. Otherwise (the clang shim) the key is (file pointer, line, column);
// file names are string literals, so equal pointers mean equal files.
struct Runtime::SiteCache {
  struct Entry {
    uintptr_t key = 0;
    const char* file = nullptr;
    unsigned line = 0, column = 0;
    Site site;
  };
  static constexpr size_t kSlots = 256;
  Entry slots[kSlots];
  std::deque<std::string> locations;  // deque: element addresses never move
};

Runtime::Runtime() : site_cache_(std::make_unique<SiteCache>()) {}
Runtime::~Runtime() = default;

Site Runtime::SiteOf(const SourceLocation& loc) {
#if defined(__GLIBCXX__) && defined(__cpp_lib_source_location)
  static_assert(sizeof(SourceLocation) == sizeof(uintptr_t));
  uintptr_t key;
  std::memcpy(&key, &loc, sizeof key);
  SiteCache::Entry& e = site_cache_->slots[(key >> 4) & (SiteCache::kSlots - 1)];
  if (e.key == key && key != 0) return e.site;
#else
  uintptr_t key = reinterpret_cast<uintptr_t>(loc.file_name()) ^ (loc.line() * 31u) ^
                  (loc.column() * 131u);
  SiteCache::Entry& e = site_cache_->slots[key & (SiteCache::kSlots - 1)];
  if (e.key == key && e.file == loc.file_name() && e.line == loc.line() &&
      e.column == loc.column()) {
    return e.site;
  }
#endif
  return SiteOfSlow(loc, key, &e);
}

Site Runtime::SiteOfSlow(const SourceLocation& loc, uintptr_t key, void* entry) {
  auto* e = static_cast<SiteCache::Entry*>(entry);
  std::string& text = site_cache_->locations.emplace_back(
      std::string(loc.file_name()) + ":" + std::to_string(loc.line()) + ":" +
      std::to_string(loc.column()));
  *e = {key, loc.file_name(), loc.line(), loc.column(), Site{SiteIdOf(text), text}};
  return e->site;
}

}  // namespace tape
