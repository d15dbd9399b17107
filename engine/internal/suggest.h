// "did you mean ...?": the name a typo was most likely meant to be, for the
// usage errors of the tape command and of tape::Main.

#ifndef TAPE_ENGINE_INTERNAL_SUGGEST_H_
#define TAPE_ENGINE_INTERNAL_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace tape::engine {

// The edit distance between `a` and `b` in which inserting, deleting or
// replacing a character, or swapping two adjacent ones, costs 1 (optimal
// string alignment), compared without regard to ASCII case.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate `given` most likely misspells: the one nearest by
// EditDistance, if it is near enough (at most 1 edit for names of up to 4
// characters, 2 up to 8, 3 beyond) and no other candidate is as near; or
// the one candidate that begins with `given` or that `given` begins with
// (at least 3 characters in common). Empty when there is none.
std::string NearestName(std::string_view given, const std::vector<std::string>& candidates);

// " (did you mean 'replay'?)" for NearestName's answer, quoted with `quote`
// ("'" for commands, "" for flags); "" when there is none.
std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates,
                       std::string_view quote = "'");

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_SUGGEST_H_
