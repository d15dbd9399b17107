// Diagnostics: errors a person can act on.
//
// Every lex, parse, compile and runtime error is printed the same way:
//
//   hello.tape:3:9: error: expected ';' after the expression
//   let x = 3
//           ^
//
// (specs/language.md §9). The source line is shown with control bytes
// replaced and long lines cut to a window around the column, so that binary
// garbage cannot mangle a terminal or print megabytes.

#ifndef TAPE_LANG_DIAGNOSTICS_H_
#define TAPE_LANG_DIAGNOSTICS_H_

#include <string>
#include <string_view>
#include <vector>

namespace tape::lang {

struct Diagnostic {
  int line = 1;  // 1-based
  int col = 1;   // 1-based, in bytes
  std::string message;
};

// "name:line:col: <severity>: message\n<source line>\n<caret line>" (no
// trailing newline). `severity` is "error" or "runtime error".
std::string FormatDiagnostic(std::string_view name, std::string_view source,
                             std::string_view severity, const Diagnostic& d);

// Formats up to kMaxReportedErrors diagnostics, sorted by position, one per
// paragraph, plus a line saying how many more were left out.
std::string FormatDiagnostics(std::string_view name, std::string_view source,
                              std::vector<Diagnostic> diagnostics);

// The text of 1-based line `line` (without its newline); empty past the end.
std::string_view SourceLine(std::string_view source, int line);

// `text` in double quotes with control and non-ASCII bytes escaped, cut to
// about `max` bytes: for quoting user data inside an error message.
std::string QuoteForMessage(std::string_view text, size_t max = 40);

// The length of the printable character at text[i]: 1 for printable ASCII,
// 2..4 for a valid UTF-8 sequence of a printable character; 0 for a control
// byte (tab included), or a byte that does not begin valid UTF-8.
size_t PrintableSequenceLength(std::string_view text, size_t i);

// `text` with control bytes and invalid UTF-8 escaped as \xHH, for names and
// text that a message shows whole.
std::string Displayable(std::string_view text);

}  // namespace tape::lang

#endif  // TAPE_LANG_DIAGNOSTICS_H_
