// The interposer has no HTTP: a program not written for tape performs no
// http.request effects, and libcurl (with the two dozen libraries it loads)
// must not be loaded into every recorded process. These definitions stand in
// for the engine's (engine/src/live_http.cc, the only file of the engine
// that calls libcurl), so the linker does not take that file, and with it
// libcurl, into the library.

#include <cstdlib>

#include "engine/src/live_effects.h"
#include "preload/raw_syscall.h"

namespace tape::engine {

std::string_view LiveHttpRequest(LiveEnv&, Bytes, std::string*) {
  static const char kMessage[] = "tape: http.request is not available in the interposer\n";
  tape::preload::Raw(1 /* write */, 2, long(kMessage), long(sizeof kMessage - 1));
  std::abort();
}

std::string ParseUrlScheme(const std::string&, std::string* scheme) {
  scheme->clear();
  return "HTTP is not available in the interposer";
}

}  // namespace tape::engine
