#include "tests/lang/script_expect.h"

#include <cstdlib>

#include "engine/lang/script.h"
#include "tape/drift.h"
#include "tape/program.h"
#include "tests/lang/fake_runtime.h"

namespace tape::lang::testing {
namespace {

// Decodes \n, \t and \\ in a file directive's content.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The text after "# <key>:" on this line, if the directive is there.
std::optional<std::string> Directive(std::string_view line, std::string_view key) {
  std::string marker = "# " + std::string(key) + ":";
  size_t at = line.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + marker.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  return std::string(rest);
}

// The line numbers of "name:LINE:COL: error:" / "runtime error:" headers,
// with the message after them.
std::vector<std::pair<int, std::string>> ErrorHeaders(const std::string& text) {
  std::vector<std::pair<int, std::string>> headers;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    for (std::string_view sev : {": error: ", ": runtime error: "}) {
      size_t at = line.find(sev);
      if (at == std::string_view::npos) continue;
      // name:LINE:COL before the severity.
      std::string_view head = line.substr(0, at);
      size_t c2 = head.rfind(':');
      size_t c1 = c2 == std::string_view::npos ? c2 : head.rfind(':', c2 - 1);
      int n = c1 == std::string_view::npos ? 0
                                           : std::atoi(std::string(head.substr(c1 + 1)).c_str());
      headers.emplace_back(n, std::string(line.substr(at + sev.size())));
      break;
    }
    start = end + 1;
  }
  return headers;
}

// The first `n` space-separated words of `s`, then the rest (if any) as one.
std::vector<std::string> Words(const std::string& s, size_t n) {
  std::vector<std::string> words;
  size_t at = 0;
  while (words.size() < n && at < s.size()) {
    size_t space = s.find(' ', at);
    if (space == std::string::npos) space = s.size();
    words.push_back(s.substr(at, space - at));
    at = space + 1;
  }
  if (at < s.size()) words.push_back(s.substr(at));
  return words;
}

}  // namespace

ScriptSpec ParseScriptSpec(std::string_view source) {
  ScriptSpec spec;
  HttpResponse* last_http = nullptr;  // for "# http header:"
  size_t start = 0;
  int line_no = 0;
  while (start <= source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view line = source.substr(start, end - start);
    ++line_no;
    if (auto v = Directive(line, "expect")) {
      spec.stdout_lines.push_back(*v);
    } else if (auto err_line = Directive(line, "expect stderr")) {
      spec.stderr_lines.push_back(*err_line);
    } else if (auto partial = Directive(line, "expect partial line")) {
      spec.partial_line = *partial;
    } else if (auto e = Directive(line, "expect error")) {
      ExpectedError err;
      if (e->size() > 6 && e->substr(0, 6) == "[line ") {
        err.line = std::atoi(e->c_str() + 6);
        size_t close = e->find(']');
        err.text = close == std::string::npos ? "" : e->substr(close + 1);
        if (!err.text.empty() && err.text[0] == ' ') err.text.erase(0, 1);
      }
      if (err.line <= 0) {
        spec.problems.push_back("line " + std::to_string(line_no) +
                                ": write '# expect error: [line N] message'");
      }
      spec.errors.push_back(err);
    } else if (auto x = Directive(line, "expect exit")) {
      spec.exit_code = std::atoi(x->c_str());
    } else if (auto env = Directive(line, "env")) {
      size_t eq = env->find('=');
      spec.env[env->substr(0, eq)] = eq == std::string::npos ? "" : env->substr(eq + 1);
    } else if (auto arg = Directive(line, "arg")) {
      spec.args.push_back(*arg);
    } else if (auto file = Directive(line, "file")) {
      size_t eq = file->find('=');
      spec.files[file->substr(0, eq)] = eq == std::string::npos ? "" : Unescape(file->substr(eq + 1));
    } else if (auto dir = Directive(line, "dir")) {
      spec.dirs.push_back(*dir);
    } else if (auto h = Directive(line, "http")) {
      // METHOD URL STATUS BODY
      std::vector<std::string> words = Words(*h, 3);
      if (words.size() < 3) {
        spec.problems.push_back("line " + std::to_string(line_no) +
                                ": write '# http: METHOD URL STATUS BODY'");
      } else {
        HttpResponse& r = spec.http[words[0] + " " + words[1]];
        r.status = std::atoi(words[2].c_str());
        r.body = words.size() > 3 ? Unescape(words[3]) : "";
        last_http = &r;
      }
    } else if (auto he = Directive(line, "http error")) {
      // METHOD URL ERROR TEXT
      std::vector<std::string> words = Words(*he, 2);
      if (words.size() < 3) {
        spec.problems.push_back("line " + std::to_string(line_no) +
                                ": write '# http error: METHOD URL TEXT'");
      } else {
        HttpResponse& r = spec.http[words[0] + " " + words[1]];
        r.error = words[2];
        last_http = nullptr;
      }
    } else if (auto hh = Directive(line, "http header")) {
      size_t colon = hh->find(": ");
      if (last_http == nullptr || colon == std::string::npos) {
        spec.problems.push_back("line " + std::to_string(line_no) +
                                ": write '# http header: NAME: VALUE' after a '# http:' line");
      } else {
        last_http->headers.emplace_back(hh->substr(0, colon), hh->substr(colon + 2));
      }
    } else if (auto rnd = Directive(line, "random")) {
      char* p = rnd->data();
      char* endp = nullptr;
      for (;;) {
        unsigned long b = std::strtoul(p, &endp, 16);
        if (endp == p) break;
        spec.random.push_back(static_cast<uint8_t>(b));
        p = endp;
      }
    } else if (auto steps = Directive(line, "step limit")) {
      spec.step_limit = std::strtoull(steps->c_str(), nullptr, 10);
    }
    start = end + 1;
  }
  return spec;
}

ScriptOutcome RunScript(const std::string& name, const std::string& source,
                        const ScriptSpec& spec) {
  ScriptOutcome outcome;
  auto script = Script::Compile(name, source);
  if (!script.has_value()) {
    outcome.error = script.error().message();
    return outcome;
  }
  FakeRuntime rt;
  rt.env = spec.env;
  rt.args = spec.args;
  rt.files = spec.files;
  rt.dirs.insert(spec.dirs.begin(), spec.dirs.end());
  rt.http = spec.http;
  rt.random_queue.assign(spec.random.begin(), spec.random.end());
  RunLimits limits;
  limits.max_steps = spec.step_limit;
  try {
    outcome.exit_code = (*script)->Run(rt, limits);
  } catch (const ProgramError& e) {
    outcome.error = e.what();
  }
  outcome.out = rt.out;
  outcome.err = rt.err;
  return outcome;
}

std::vector<std::string> CheckOutcome(const ScriptSpec& spec, const ScriptOutcome& outcome) {
  std::vector<std::string> problems = spec.problems;
  std::string expected_out;
  for (const std::string& l : spec.stdout_lines) expected_out += l + "\n";
  if (spec.partial_line.has_value()) expected_out += *spec.partial_line;
  if (outcome.out != expected_out) {
    problems.push_back("stdout differs\n--- expected\n" + expected_out + "--- got\n" +
                       outcome.out + "---");
  }
  std::string expected_err;
  for (const std::string& l : spec.stderr_lines) expected_err += l + "\n";
  if (outcome.err != expected_err) {
    problems.push_back("stderr differs\n--- expected\n" + expected_err + "--- got\n" +
                       outcome.err + "---");
  }
  if (spec.errors.empty() && !outcome.error.empty()) {
    problems.push_back("unexpected error:\n" + outcome.error);
  }
  if (!spec.errors.empty()) {
    if (outcome.error.empty()) {
      problems.push_back("expected an error, but the script ran to the end");
    } else {
      std::vector<std::pair<int, std::string>> got = ErrorHeaders(outcome.error);
      size_t g = 0;
      for (const ExpectedError& want : spec.errors) {
        while (g < got.size() &&
               !(got[g].first == want.line && got[g].second.find(want.text) != std::string::npos)) {
          ++g;
        }
        if (g == got.size()) {
          problems.push_back("missing error [line " + std::to_string(want.line) + "] " +
                             want.text + "; got:\n" + outcome.error);
          break;
        }
        ++g;
      }
      if (got.size() > spec.errors.size()) {
        problems.push_back("more errors than expected:\n" + outcome.error);
      }
    }
  }
  if (outcome.error.empty()) {
    int want = spec.exit_code.value_or(0);
    if (outcome.exit_code != want) {
      problems.push_back("exit code " + std::to_string(outcome.exit_code) + ", expected " +
                         std::to_string(want));
    }
  }
  return problems;
}

}  // namespace tape::lang::testing
