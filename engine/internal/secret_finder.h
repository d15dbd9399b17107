// SecretFinder: the text a redaction replaces wherever it appears in a trace
// (specs/trace-format.md §13.6): what the --match patterns match, and the
// values redacted elsewhere (a token read from the environment and then
// printed is found again in the output). `tape redact` uses it after the
// fact, the recorder (--redact-match) while the program runs.

#ifndef TAPE_ENGINE_SECRET_FINDER_H_
#define TAPE_ENGINE_SECRET_FINDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/internal/redaction.h"
#include "format/bytes.h"
#include "format/status.h"

namespace re2 {
class RE2;
}

namespace tape::engine {

class SecretFinder {
 public:
  SecretFinder();
  ~SecretFinder();
  SecretFinder(SecretFinder&&) noexcept;
  SecretFinder& operator=(SecretFinder&&) noexcept;

  // Adds a regular expression (RE2 syntax, UTF-8). With capturing groups,
  // only what the groups match is replaced (`token=(\w+)` keeps "token=").
  // InvalidArgument, saying what is wrong, for a pattern that does not
  // compile, is empty, or matches the empty text (it would match everywhere).
  Status AddPattern(const std::string& pattern);
  // Looks for copies of `value` from now on (ValueFinder: values of at
  // least 6 bytes).
  void AddValue(Bytes value) { values_.Add(value); }
  // Adds what the patterns match in `text` as values (their SecretCore), so
  // that a copy is found where the pattern's context is missing: `Bearer
  // (\S+)` matched in a request, and the token found again where it came in,
  // an env.get result. Also adds them to `message_values` when not null.
  // Learns at most kMaxLearnedValues distinct values (about 64 MiB): past
  // that, the matches of later values are still replaced where a pattern
  // matches them, but their copies elsewhere are not looked for.
  void LearnMatches(Bytes text, MessageValueFinder* message_values = nullptr);
  static constexpr size_t kMaxLearnedValues = 1u << 20;
  // True once LearnMatches met more distinct values than it keeps.
  bool learned_too_many() const { return learned_too_many_; }
  bool empty() const { return patterns_.empty() && values_.empty(); }
  size_t pattern_count() const { return patterns_.size(); }
  // How many ranges each pattern has found so far, in the order added.
  const std::vector<uint64_t>& pattern_hits() const { return hits_; }

  // The ranges of `text` to replace, sorted, overlapping ones merged. A
  // range that lies inside a marker already in the text is left out: a
  // marker hides nothing. Past kMaxRangesPerField the search stops
  // (ReplaceRanges then replaces the whole text).
  void Find(Bytes text, std::vector<ByteRange>* out);

 private:
  // Appends the ranges the patterns match in `text`, unsorted.
  void FindMatches(Bytes text, std::vector<ByteRange>* out);

  std::vector<std::unique_ptr<re2::RE2>> patterns_;
  std::vector<uint64_t> hits_;
  ValueFinder values_;
  std::vector<ByteRange> markers_, matches_;
  size_t learned_ = 0;
  bool learned_too_many_ = false;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SECRET_FINDER_H_
