#include "engine/internal/suggest.h"

#include <algorithm>
#include <cctype>

namespace tape::engine {

namespace {

char Lower(char c) { return char(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: the transposition looks
  // two rows back.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string NearestName(std::string_view given, const std::vector<std::string>& candidates) {
  if (given.empty()) return "";
  // Names are short and lists small; a typo's length is bounded so that a
  // pasted paragraph costs nothing.
  if (given.size() > 64) return "";
  size_t limit = given.size() <= 4 ? 1 : given.size() <= 8 ? 2 : 3;
  size_t best = limit + 1;
  const std::string* found = nullptr;
  bool tie = false;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(given, c);
    if (d < best) {
      best = d;
      found = &c;
      tie = false;
    } else if (d == best && found != nullptr && *found != c) {
      tie = true;
    }
  }
  if (found != nullptr && !tie) return *found;
  if (found != nullptr) return "";  // two names are as near: guessing would mislead
  // "rec" for "record" and "--output" for "--out": one name begins with
  // the other, and no other candidate does.
  if (given.size() < 2) return "";
  const std::string* prefixed = nullptr;
  for (const std::string& c : candidates) {
    size_t shorter = std::min(c.size(), given.size());
    if (shorter < 3 || c.size() == given.size()) continue;
    if (EditDistance(given.substr(0, shorter), std::string_view(c).substr(0, shorter)) != 0)
      continue;
    if (prefixed != nullptr && *prefixed != c) return "";
    prefixed = &c;
  }
  return prefixed ? *prefixed : "";
}

std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates,
                       std::string_view quote) {
  std::string name = NearestName(given, candidates);
  if (name.empty()) return "";
  std::string out = " (did you mean ";
  out.append(quote).append(name).append(quote).append("?)");
  return out;
}

}  // namespace tape::engine
