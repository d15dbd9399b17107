#include "engine/internal/secret_finder.h"

#include <re2/re2.h>

#include <algorithm>

namespace tape::engine {

namespace {

// RE2 builds its automata in bounded memory; a pattern that needs more is
// refused when it is compiled.
constexpr int64_t kPatternMemory = 64 << 20;

}  // namespace

SecretFinder::SecretFinder() = default;
SecretFinder::~SecretFinder() = default;
SecretFinder::SecretFinder(SecretFinder&&) noexcept = default;
SecretFinder& SecretFinder::operator=(SecretFinder&&) noexcept = default;

Status SecretFinder::AddPattern(const std::string& pattern) {
  if (pattern.empty()) return Status::InvalidArgument("the pattern is empty");
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kPatternMemory);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) return Status::InvalidArgument("not a regular expression: " + re->error());
  if (RE2::FullMatch("", *re)) {
    return Status::InvalidArgument(
        "it matches the empty text, so it would match everywhere (a pattern must need at "
        "least one character, e.g. x+ rather than x*)");
  }
  patterns_.push_back(std::move(re));
  hits_.push_back(0);
  return Status::Ok();
}

void SecretFinder::FindMatches(Bytes text, std::vector<ByteRange>* out) {
  re2::StringPiece input(reinterpret_cast<const char*>(text.data()), text.size());
  std::vector<re2::StringPiece> groups;
  for (size_t k = 0; k < patterns_.size() && out->size() <= kMaxRangesPerField; ++k) {
    const RE2& re = *patterns_[k];
    int n = re.NumberOfCapturingGroups();
    groups.resize(size_t(n) + 1);
    size_t pos = 0;
    while (pos <= text.size() && out->size() <= kMaxRangesPerField &&
           re.Match(input, pos, text.size(), RE2::UNANCHORED, groups.data(), n + 1)) {
      size_t begin = size_t(groups[0].data() - input.data());
      size_t end = begin + groups[0].size();
      for (int g = n == 0 ? 0 : 1; g <= n; ++g) {
        if (groups[g].data() == nullptr || groups[g].empty()) continue;
        size_t b = size_t(groups[g].data() - input.data());
        out->push_back({b, b + groups[g].size()});
        ++hits_[k];
      }
      // An empty match (`\b`, `^`) moves on by one byte.
      pos = end > begin ? end : begin + 1;
    }
  }
}

void SecretFinder::LearnMatches(Bytes text, MessageValueFinder* message_values) {
  if (patterns_.empty() || learned_too_many_) return;
  matches_.clear();
  FindMatches(text, &matches_);
  if (matches_.size() > kMaxRangesPerField) return;  // the whole text becomes one marker
  for (const ByteRange& r : matches_) {
    Bytes match = text.subspan(r.begin, r.end - r.begin);
    if (IsMarker(match)) continue;
    ByteRange core = SecretCore(match);
    Bytes value = match.subspan(core.begin, core.end - core.begin);
    if (!values_.Add(value)) continue;
    if (++learned_ > kMaxLearnedValues) {
      learned_too_many_ = true;
      return;
    }
    if (message_values != nullptr) message_values->Add(value);
  }
}

void SecretFinder::Find(Bytes text, std::vector<ByteRange>* out) {
  out->clear();
  values_.Find(text, out);
  FindMatches(text, out);
  // Too many to replace one by one: the caller replaces the whole text.
  if (out->empty() || out->size() > kMaxRangesPerField) return;
  std::sort(out->begin(), out->end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  size_t kept = 0;
  for (const ByteRange& r : *out) {
    if (kept > 0 && r.begin < (*out)[kept - 1].end) {
      (*out)[kept - 1].end = std::max((*out)[kept - 1].end, r.end);
    } else {
      (*out)[kept++] = r;
    }
  }
  out->resize(kept);
  // Leave out ranges inside an existing marker. Both lists are sorted and
  // their entries disjoint: one sweep.
  markers_.clear();
  FindMarkers(text, &markers_);
  if (markers_.empty()) return;
  size_t m = 0;
  kept = 0;
  for (const ByteRange& r : *out) {
    while (m < markers_.size() && markers_[m].end <= r.begin) ++m;
    bool inside = m < markers_.size() && r.begin >= markers_[m].begin && r.end <= markers_[m].end;
    if (!inside) (*out)[kept++] = r;
  }
  out->resize(kept);
}

}  // namespace tape::engine
