// Runs every .tape script in the given directories (or the given files) and
// checks it against the expectations in its comments (script_expect.h).
// Prints one line per script and exits 1 if any failed.
//
//   lang_script_tests tests/lang/scripts

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/lang/script_expect.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> scripts;
  for (int i = 1; i < argc; ++i) {
    fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.path().extension() == ".tape") scripts.push_back(e.path());
      }
    } else {
      scripts.push_back(p);
    }
  }
  std::sort(scripts.begin(), scripts.end());
  if (scripts.empty()) {
    std::cerr << "usage: " << argv[0] << " DIR_OR_SCRIPT...  (no .tape scripts found)\n";
    return 2;
  }
  int failed = 0;
  for (const fs::path& p : scripts) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string source = ss.str();
    using namespace tape::lang::testing;
    ScriptSpec spec = ParseScriptSpec(source);
    std::vector<std::string> problems =
        CheckOutcome(spec, RunScript(p.filename().string(), source, spec));
    if (spec.stdout_lines.empty() && spec.stderr_lines.empty() && !spec.partial_line &&
        spec.errors.empty() && !spec.exit_code) {
      problems.push_back("the script states no expectations");
    }
    if (problems.empty()) {
      std::cout << "PASS " << p.filename().string() << "\n";
      continue;
    }
    ++failed;
    std::cout << "FAIL " << p.filename().string() << "\n";
    for (const std::string& problem : problems) std::cout << "  " << problem << "\n";
  }
  std::cout << (scripts.size() - failed) << "/" << scripts.size() << " scripts passed\n";
  return failed == 0 ? 0 : 1;
}
