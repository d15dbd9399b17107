// SecretFinder: the text `tape redact` replaces wherever it appears in a
// trace (specs/trace-format.md §13.6): what the --match patterns match, and
// the values that the rule-selected fields held (a token read from the
// environment and then printed is found again in the output).

#ifndef TAPE_TOOLS_SECRET_FINDER_H_
#define TAPE_TOOLS_SECRET_FINDER_H_

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

namespace tape::cli {

using engine::ByteRange;
using format::Bytes;

class SecretFinder {
 public:
  SecretFinder();
  ~SecretFinder();
  SecretFinder(const SecretFinder&) = delete;
  SecretFinder& operator=(const SecretFinder&) = delete;

  // Adds a regular expression (RE2 syntax, UTF-8). With capturing groups,
  // only what the groups match is replaced (`token=(\w+)` keeps "token=").
  // InvalidArgument, saying what is wrong, for a pattern that does not
  // compile, is empty, or matches the empty text (it would match everywhere).
  Status AddPattern(const std::string& pattern);
  // Looks for copies of `value` from now on (engine::ValueFinder: values of
  // at least 6 bytes).
  void AddValue(Bytes value) { values_.Add(value); }
  bool empty() const { return patterns_.empty() && values_.empty(); }
  size_t pattern_count() const { return patterns_.size(); }
  // How many ranges each pattern has found so far, in the order added.
  const std::vector<uint64_t>& pattern_hits() const { return hits_; }

  // The ranges of `text` to replace, sorted, overlapping ones merged. A
  // range that lies inside a marker already in the text is left out: a
  // marker hides nothing. Past engine::kMaxRangesPerField the search stops
  // (ReplaceRanges then replaces the whole text).
  void Find(Bytes text, std::vector<ByteRange>* out);

 private:
  std::vector<std::unique_ptr<re2::RE2>> patterns_;
  std::vector<uint64_t> hits_;
  engine::ValueFinder values_;
  std::vector<ByteRange> markers_;
};

}  // namespace tape::cli

#endif  // TAPE_TOOLS_SECRET_FINDER_H_
