#include "tape/runtime.h"

#include <xxhash.h>

#include <deque>
#include <string>

namespace tape {

uint64_t SiteIdOf(std::string_view location) {
  return XXH3_64bits(location.data(), location.size());
}

// A direct-mapped cache from (file pointer, line, column) to the site, in
// front of a stable store of location strings. source_location's file name
// is a pointer to a string literal, so equal pointers mean equal files.
struct Runtime::SiteCache {
  struct Entry {
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
  const char* file = loc.file_name();
  unsigned line = loc.line(), column = loc.column();
  size_t slot = (reinterpret_cast<uintptr_t>(file) ^ (line * 31u) ^ (column * 131u)) &
                (SiteCache::kSlots - 1);
  SiteCache::Entry& e = site_cache_->slots[slot];
  if (e.file == file && e.line == line && e.column == column) return e.site;
  std::string& text = site_cache_->locations.emplace_back(std::string(file) + ":" +
                                                          std::to_string(line) + ":" +
                                                          std::to_string(column));
  e = {file, line, column, Site{SiteIdOf(text), text}};
  return e.site;
}

}  // namespace tape
