// Sites: where in a program an effect is called.
//
// A site id is a stable 64-bit hash of the call's source location, so replay
// can tell that a call landed somewhere else than in the recording. C++
// callers never name a site: each effect method takes the caller's location as
// a defaulted argument.

#ifndef TAPE_SITE_H_
#define TAPE_SITE_H_

#include <cstdint>
#include <string_view>

#if __cplusplus < 202002L
#error "tape's headers need C++20: with CMake, link tape::tape (it requires cxx_std_20); otherwise compile with -std=c++20"
#endif

#if __has_include(<source_location>) && !defined(__clang__)
#include <source_location>
#endif

namespace tape {

#if defined(__cpp_lib_source_location)
using SourceLocation = std::source_location;
#else
// clang 14 with libstdc++ 12 lacks std::source_location; the builtins give the
// same information (the column may differ from g++'s, and is 0 where the
// compiler has no __builtin_COLUMN).
#if defined(__has_builtin)
#if __has_builtin(__builtin_COLUMN)
#define TAPE_BUILTIN_COLUMN() __builtin_COLUMN()
#endif
#endif
#ifndef TAPE_BUILTIN_COLUMN
#define TAPE_BUILTIN_COLUMN() 0u
#endif
struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          unsigned line = __builtin_LINE(),
                                          unsigned column = TAPE_BUILTIN_COLUMN()) {
    SourceLocation loc;
    loc.file_ = file;
    loc.line_ = line;
    loc.column_ = column;
    return loc;
  }
  constexpr const char* file_name() const { return file_; }
  constexpr unsigned line() const { return line_; }
  constexpr unsigned column() const { return column_; }

 private:
  const char* file_ = "";
  unsigned line_ = 0;
  unsigned column_ = 0;
};
#endif

struct Site {
  uint64_t id = 0;
  // "file:line:col"; must stay valid for the runtime's lifetime.
  std::string_view location;
};

}  // namespace tape

#endif  // TAPE_SITE_H_
