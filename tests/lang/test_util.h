// Helpers for the language unit tests: compile and run a source string
// against a FakeRuntime and collect what happened.

#ifndef TAPE_TESTS_LANG_TEST_UTIL_H_
#define TAPE_TESTS_LANG_TEST_UTIL_H_

#include <string>

#include "engine/lang/script.h"
#include "tape/program.h"
#include "tests/lang/fake_runtime.h"

namespace tape::lang::testing {

struct RunResult {
  bool compiled = false;
  std::string error;  // compile error or runtime error message; empty if none
  std::string out;
  std::string err;  // what the script wrote to standard error
  int exit_code = -1;
};

inline RunResult RunSource(const std::string& source, FakeRuntime* runtime = nullptr,
                           const RunLimits& limits = RunLimits{},
                           const std::string& name = "test.tape") {
  RunResult r;
  auto script = Script::Compile(name, source);
  if (!script.has_value()) {
    r.error = script.error().message();
    return r;
  }
  r.compiled = true;
  FakeRuntime local;
  FakeRuntime& rt = runtime != nullptr ? *runtime : local;
  try {
    r.exit_code = (*script)->Run(rt, limits);
  } catch (const ProgramError& e) {
    r.error = e.what();
  }
  r.out = rt.out;
  r.err = rt.err;
  return r;
}

// The output of a script that must run cleanly (empty plus the error if not).
inline std::string Output(const std::string& source) {
  RunResult r = RunSource(source);
  return r.error.empty() ? r.out : "ERROR: " + r.error;
}

// The compile error of a script ("" if it compiles).
inline std::string CompileError(const std::string& source) {
  auto script = Script::Compile("test.tape", source);
  return script.has_value() ? "" : script.error().message();
}

// The first line of the runtime error of a script that compiles.
inline std::string RuntimeError(const std::string& source) {
  RunResult r = RunSource(source);
  if (!r.compiled) return "COMPILE ERROR: " + r.error;
  return r.error.substr(0, r.error.find('\n'));
}

}  // namespace tape::lang::testing

#endif  // TAPE_TESTS_LANG_TEST_UTIL_H_
