// How an effect's script binding (effect.h, ScriptBinding) sees the call it
// serves, and the checks and conversions bindings share: arguments that
// must be strings, names without NUL bytes, ints in a range, option maps;
// answers as maps. Every check names the call and the argument and faults
// (lang::Fault) before anything is performed (specs/language.md §8).

#ifndef TAPE_ENGINE_EFFECTS_SCRIPT_H_
#define TAPE_ENGINE_EFFECTS_SCRIPT_H_

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::engine {

using lang::Value;

struct ScriptCall {
  Runtime& rt;
  const Site& site;  // stays valid while the runtime may keep it
  Value* args;       // as many as the binding's arity
  // The module's M.last_error() (ScriptBinding::errors); nullptr when the
  // module has none.
  Value* last_error;
  // The string this site returned last through SiteString (nil if none);
  // nullptr when the call has no site.
  Value* site_result;
};

// A string result that may share its storage with the site's previous one:
// `text` as a string value, which is the value this site returned last when
// that has the same bytes (strings cannot change, so sharing is invisible
// to the script; only the memory budget sees one string where there were
// two). A loop that reads the same value over and over allocates nothing.
// The site keeps its last result alive for this when it is at most
// kMaxSiteString bytes, so what it holds is bounded.
inline constexpr size_t kMaxSiteString = 4096;
Value NewSiteString(ScriptCall& c, std::string_view text);
inline Value SiteString(ScriptCall& c, std::string_view text) {
  if (c.site_result != nullptr && c.site_result->is_string() && c.site_result->str() == text) {
    return *c.site_result;
  }
  return NewSiteString(c, text);
}

// Fault for StringArg and NameArg, out of line: the checks stay small.
[[noreturn]] void NotAString(std::string_view call, const Value& v, const char* what);
[[noreturn]] void HoldsNul(std::string_view call, const char* what);
// `v` when it is a string; else faults "call() expects `what`, got T".
inline const std::string& StringArg(std::string_view call, const Value& v, const char* what) {
  if (!v.is_string()) [[unlikely]] NotAString(call, v, what);
  return v.str();
}
// The same, and faults when the string holds a NUL byte: paths and names
// travel to C APIs that would stop there and act on another name.
inline const std::string& NameArg(std::string_view call, const Value& v, const char* what) {
  const std::string& s = StringArg(call, v, what);
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) [[unlikely]] HoldsNul(call, what);
  return s;
}
// An int in 0..max; faults otherwise ("... 5 `unit` is out of range").
int64_t IntRangeArg(std::string_view call, const Value& v, int64_t max, const char* unit);
// What io.write and fs.write write: a string's bytes, any other value as
// str() renders it (into `storage`).
const std::string& TextArg(const Value& v, std::string* storage);
// "an int", "a string", "nil": a value's type with its article.
std::string Article(const Value& v);
// A string for a message: quoted, escaped and cut at 60 bytes.
std::string Quoted(const std::string& s);

// Reads an options map: calls take(key, value) for each entry; a key that
// take() refuses, or one that is not a string, faults naming `known` (e.g.
// "\"timeout_ms\"").
template <typename Take>
void ForEachOption(std::string_view call, const Value& options, const char* known, Take take) {
  if (!options.is_map()) {
    lang::Fault(std::string(call) +
                "() expects its options as a map such as {\"timeout_ms\": 5000}, got " +
                lang::TypeName(options.type()));
  }
  for (const auto& [key, value] : options.map().entries()) {
    if (!key.is_string() || !take(key.str(), value)) {
      lang::Fault(std::string(call) + "(): unknown option " + lang::Describe(key) + " (" +
                  std::string(call) + " takes " + known + ")");
    }
  }
}
// The option "timeout_ms": an int in min..max.
uint32_t TimeoutOption(std::string_view call, const Value& v, int64_t min, int64_t max);

// What the writes return (§8): the bytes written, or nil when the write
// failed (the errno is then in M.last_error()).
Value BytesWritten(int error, size_t bytes);
// A map from string keys, in the order given.
Value MapOf(std::vector<std::pair<const char*, Value>> fields);
// A list of strings.
Value StringList(std::vector<std::string> items);

// Runs a runtime call that throws std::invalid_argument for a request it
// refuses (a malformed URL, an unknown method; before anything is recorded)
// and turns that into a fault of the script, named as the script called it:
// the runtime's "http.request: bad URL" becomes "http.get(): bad URL".
[[noreturn]] void RefusedRequest(std::string_view call, std::string_view effect,
                                 const std::invalid_argument& e);
template <typename F>
auto Refusable(std::string_view call, std::string_view effect, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    RefusedRequest(call, effect, e);
  }
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_SCRIPT_H_
