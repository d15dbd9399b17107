// Runtime: the only door between a tape program and the world.
//
// A program is a function `int(tape::Runtime&)`. Recording runs it against a
// runtime that performs each effect for real and stores (seq, site, kind,
// args, result); replay runs it against one that returns the stored results.
//
//   int Main(tape::Runtime& rt) {
//     int64_t now = rt.ClockNow();
//     std::string bytes = rt.RandomBits(8);
//     rt.IoWrite("hello\n");
//     return 0;
//   }
//
// C++ callers use the methods without a site: the call's source location is
// its site. Interpreters call the *At() methods with sites of their own.
//
// When a replay drifts, the effect call throws tape::DriftError (see
// replay.h). The runtime stays failed: later calls throw again, so a program
// that swallows the exception cannot hide the drift.

#ifndef TAPE_RUNTIME_H_
#define TAPE_RUNTIME_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tape/effects.h"
#include "tape/site.h"

namespace tape {

// fs.read's answer: the file's bytes, or the errno that prevented reading.
struct FsReadResult {
  int error = 0;  // 0, or an errno value such as ENOENT
  std::string data;
  bool ok() const { return error == 0; }
};

class Runtime {
 public:
  Runtime();
  virtual ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Wall-clock time, nanoseconds since the Unix epoch.
  int64_t ClockNow(SourceLocation loc = SourceLocation::current()) {
    return ClockNowAt(SiteOf(loc));
  }
  // `n` bytes from the operating system's random source.
  std::string RandomBits(uint32_t n, SourceLocation loc = SourceLocation::current()) {
    return RandomBitsAt(SiteOf(loc), n);
  }
  // Writes to standard output; returns 0 or the errno of the failed write.
  int IoWrite(std::string_view bytes, SourceLocation loc = SourceLocation::current()) {
    return IoWriteAt(SiteOf(loc), bytes);
  }
  // Reads a whole file.
  FsReadResult FsRead(std::string_view path, SourceLocation loc = SourceLocation::current()) {
    return FsReadAt(SiteOf(loc), path);
  }
  // Creates or replaces a file; returns 0 or an errno. Replay does not touch
  // the disk: it returns what the recording got.
  int FsWrite(std::string_view path, std::string_view data,
              SourceLocation loc = SourceLocation::current()) {
    return FsWriteAt(SiteOf(loc), path, data);
  }
  // An environment variable, or nullopt when unset.
  std::optional<std::string> EnvGet(std::string_view name,
                                    SourceLocation loc = SourceLocation::current()) {
    return EnvGetAt(SiteOf(loc), name);
  }
  // The program's arguments (not including the program name).
  std::vector<std::string> ArgsGet(SourceLocation loc = SourceLocation::current()) {
    return ArgsGetAt(SiteOf(loc));
  }
  // Sleeps; replay returns at once.
  void TimeSleep(uint64_t ms, SourceLocation loc = SourceLocation::current()) {
    TimeSleepAt(SiteOf(loc), ms);
  }

  // The same effects at an explicit site (for interpreters).
  virtual int64_t ClockNowAt(const Site& site) = 0;
  virtual std::string RandomBitsAt(const Site& site, uint32_t n) = 0;
  virtual int IoWriteAt(const Site& site, std::string_view bytes) = 0;
  virtual FsReadResult FsReadAt(const Site& site, std::string_view path) = 0;
  virtual int FsWriteAt(const Site& site, std::string_view path, std::string_view data) = 0;
  virtual std::optional<std::string> EnvGetAt(const Site& site, std::string_view name) = 0;
  virtual std::vector<std::string> ArgsGetAt(const Site& site) = 0;
  virtual void TimeSleepAt(const Site& site, uint64_t ms) = 0;

  // The number of effect calls made so far (the next call's seq).
  virtual uint64_t seq() const = 0;

  // The site of a C++ source location: id = XXH3-64 of "file:line:col".
  // Cached, so repeated calls from one place cost one compare.
  Site SiteOf(const SourceLocation& loc) {
    uintptr_t key = SiteKey(loc);
    CachedSite& e = site_slots_[(key >> 4) & (kSiteSlots - 1)];
    if (e.key == key && SameLocation(e, loc)) [[likely]] return e.site;
    return SiteOfSlow(loc, key, &e);
  }

 private:
  // A direct-mapped cache of sites in front of a stable store of location
  // strings (SiteStore). With libstdc++, std::source_location is a pointer to
  // a per-call-site record, so that pointer is the key; the clang shim mixes
  // file pointer, line and column. File names are string literals, so equal
  // pointers mean equal files.
  struct CachedSite {
    uintptr_t key = 0;
    const char* file = nullptr;
    unsigned line = 0, column = 0;
    Site site;
  };
  static constexpr size_t kSiteSlots = 256;
  static uintptr_t SiteKey(const SourceLocation& loc) {
#if defined(__GLIBCXX__) && defined(__cpp_lib_source_location)
    static_assert(sizeof(SourceLocation) == sizeof(uintptr_t));
    uintptr_t key;
    __builtin_memcpy(&key, &loc, sizeof key);
    return key;
#else
    return reinterpret_cast<uintptr_t>(loc.file_name()) ^ (uintptr_t(loc.line()) << 8) ^
           (uintptr_t(loc.column()) << 20);
#endif
  }
  static bool SameLocation(const CachedSite& e, const SourceLocation& loc) {
#if defined(__GLIBCXX__) && defined(__cpp_lib_source_location)
    (void)loc;  // the key alone identifies the call site
    return e.key != 0;
#else
    return e.file == loc.file_name() && e.line == loc.line() && e.column == loc.column();
#endif
  }
  Site SiteOfSlow(const SourceLocation& loc, uintptr_t key, CachedSite* entry);

  CachedSite site_slots_[kSiteSlots];
  struct SiteStore;
  std::unique_ptr<SiteStore> site_store_;
};

// Hashes a site's location text the way SiteOf does (§13.1 of the format).
uint64_t SiteIdOf(std::string_view location);

}  // namespace tape

#endif  // TAPE_RUNTIME_H_
