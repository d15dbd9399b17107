// Running a .tape test script and checking the expectations written in its
// comments, clox-style (the format is described in tests/lang/README.md):
//
//   print(1 + 2);  # expect: 3
//   print(1 / 0);  # expect error: [line 2] division by zero
//   # expect exit: 1
//   # env: NAME=ada       # arg: x.txt      # file: in.txt=a b\nc
//   # random: 07 ff       # step limit: 1000   # dir: logs
//   eprint("oops");  # expect stderr: oops
//   # http: GET http://svc/items 200 a\nb     # http header: X-Count: 2
//   # http error: GET http://down/ Connection refused
//
// Shared by the script driver (script_driver.cc) and the unit tests.

#ifndef TAPE_TESTS_LANG_SCRIPT_EXPECT_H_
#define TAPE_TESTS_LANG_SCRIPT_EXPECT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tape/services.h"

namespace tape::lang::testing {

struct ExpectedError {
  int line = 0;
  std::string text;  // a substring of the message
};

struct ScriptSpec {
  std::vector<std::string> stdout_lines;
  std::vector<std::string> stderr_lines;
  std::optional<std::string> partial_line;  // output after the last newline
  std::vector<ExpectedError> errors;
  std::optional<int> exit_code;
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  std::map<std::string, std::string> files;
  std::vector<std::string> dirs;
  std::map<std::string, HttpResponse> http;  // by "METHOD URL"
  std::vector<uint8_t> random;
  uint64_t step_limit = 0;
  std::vector<std::string> problems;  // malformed directives
};

// Reads the directives from a script's comments.
ScriptSpec ParseScriptSpec(std::string_view source);

struct ScriptOutcome {
  std::string out;      // what the script wrote
  std::string err;      // what it wrote to standard error
  std::string error;    // the compile or runtime error, formatted; empty if none
  int exit_code = 0;    // when `error` is empty
};

// Compiles and runs `source` against a FakeRuntime set up from `spec`.
ScriptOutcome RunScript(const std::string& name, const std::string& source, const ScriptSpec& spec);

// What differs between the outcome and the expectations; empty on success.
std::vector<std::string> CheckOutcome(const ScriptSpec& spec, const ScriptOutcome& outcome);

}  // namespace tape::lang::testing

#endif  // TAPE_TESTS_LANG_SCRIPT_EXPECT_H_
