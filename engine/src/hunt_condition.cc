// --until: what makes a hunted run a failure (engine/internal/hunt.h).

#include <re2/re2.h>

#include <charconv>

#include "engine/internal/hunt.h"

namespace tape::engine {

namespace {

bool ParseCode(std::string_view text, int* code) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *code);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && *code >= 0 &&
         *code <= 255;
}

// grep -E's reading of a pattern, as far as RE2 goes: POSIX syntax (plus
// Perl's \d \s \w and \b, which GNU grep takes too), matched line by line.
// With never_nl no part of a match crosses a newline and one_line(false)
// makes ^ and $ match at every line's ends, which is what regcomp's
// REG_NEWLINE did before, in one pass over the output.
RE2::Options LineOptions() {
  RE2::Options o;
  o.set_posix_syntax(true);
  o.set_perl_classes(true);
  o.set_word_boundary(true);
  o.set_one_line(false);
  o.set_never_nl(true);
  o.set_log_errors(false);
  return o;
}

}  // namespace

bool HuntCondition::Met(int exit_code, std::string_view output) const {
  switch (kind) {
    case Kind::kExitNot:
      return exit_code != code;
    case Kind::kExitIs:
      return exit_code == code;
    case Kind::kOutputMatches:
      return regex != nullptr && RE2::PartialMatch(output, *regex);
  }
  return false;
}

Result<HuntCondition> ParseHuntCondition(std::string_view text) {
  HuntCondition c;
  c.text = std::string(text);
  const std::string expected =
      "expected exit!=K, exit==K (K from 0 to 255; 128+N for signal N) or output~REGEX";
  if (text.starts_with("output~")) {
    c.kind = HuntCondition::Kind::kOutputMatches;
    c.pattern = std::string(text.substr(7));
    if (c.pattern.empty()) return Status::InvalidArgument("'" + c.text + "': the regex is empty");
    auto regex = std::make_shared<const RE2>(c.pattern, LineOptions());
    if (!regex->ok()) {
      return Status::InvalidArgument(
          "'" + c.text + "': the pattern '" + c.pattern +
          "' is not a regular expression (RE2 syntax): " + regex->error());
    }
    c.regex = std::move(regex);
    return c;
  }
  if (text.starts_with("exit!=") || text.starts_with("exit==")) {
    c.kind = text[4] == '!' ? HuntCondition::Kind::kExitNot : HuntCondition::Kind::kExitIs;
    if (!ParseCode(text.substr(6), &c.code)) {
      return Status::InvalidArgument("'" + c.text + "': " + expected);
    }
    return c;
  }
  return Status::InvalidArgument("'" + c.text + "': " + expected);
}

}  // namespace tape::engine
