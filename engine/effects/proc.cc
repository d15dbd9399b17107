// proc.run: runs a command (no shell) and captures its output
// (tape/services.h). A command that cannot be started is a result; one that
// cannot be described (an empty argv, a NUL byte) is the program's error,
// checked before anything is recorded. Performed by proc_spawn.cc.

#include <fmt/core.h>

#include <csignal>

#include "engine/effects/bind.h"
#include "engine/effects/printable.h"
#include "engine/effects/proc_spawn.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

// argv's list holds the command's words, then, when the request gives an
// environment, an item of one NUL byte (which no word can be) and the
// variables as "NAME=value" items (specs/trace-format.md §13).
constexpr std::string_view kEnvSeparator("\0", 1);

void LoadArgv(const ProcRequest& r, FieldValue* v, BindStorage* storage) {
  v->list.clear();
  for (const std::string& word : r.argv) v->list.push_back(format::AsBytes(word));
  if (!r.env) return;
  v->list.push_back(format::AsBytes(kEnvSeparator));
  for (const auto& [name, value] : *r.env) {
    v->list.push_back(format::AsBytes(storage->emplace_front(name + "=" + value)));
  }
}

bool StoreArgv(const FieldValue& v, ProcRequest* r) {
  r->argv.clear();
  r->env.reset();
  for (Bytes b : v.list) {
    std::string_view item = format::AsChars(b);
    if (r->env) {
      size_t eq = item.find('=');
      if (eq == 0 || eq == std::string_view::npos) return false;
      r->env->emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    } else if (item == kEnvSeparator) {
      r->env.emplace();
    } else {
      r->argv.emplace_back(item);
    }
  }
  return true;
}

constexpr Fields<ProcRequest> kRequest{
    Custom<ProcRequest>(FieldType::kTextList, "argv", LoadArgv, StoreArgv).Key(),
    Field<&ProcRequest::timeout_ms>(FieldType::kU32, "timeout_ms"),
    Field<&ProcRequest::stdin_data>(FieldType::kText, "stdin")};
constexpr Fields<ProcResult> kResult{
    Field<&ProcResult::exit_code>(FieldType::kI32, "exit"),
    Field<&ProcResult::signal>(FieldType::kU32, "signal"),
    Field<&ProcResult::start_error>(FieldType::kErrno, "start_error"),
    Field<&ProcResult::timed_out>(FieldType::kFlag, "timed_out"),
    Field<&ProcResult::stdout_data>(FieldType::kSizedText, "stdout"),
    Field<&ProcResult::stderr_data>(FieldType::kText, "stderr")};

// OK when the command can be run, else InvalidArgument with what is wrong.
Status Check(const ProcRequest& r) {
  if (r.argv.empty()) {
    return Status::InvalidArgument("the command is empty (argv needs at least the program)");
  }
  if (r.argv[0].empty()) return Status::InvalidArgument("the program name (argv[0]) is empty");
  for (size_t i = 0; i < r.argv.size(); ++i) {
    if (r.argv[i].find('\0') != std::string::npos) {
      return Status::InvalidArgument(fmt::format("argument {} contains a NUL byte", i));
    }
  }
  if (r.env) {
    for (const auto& [name, value] : *r.env) {
      if (name.empty()) return Status::InvalidArgument("an environment variable's name is empty");
      if (name.find_first_of(std::string_view("=\0", 2)) != std::string::npos) {
        return Status::InvalidArgument("the environment variable name '" + Excerpt(name) +
                                       "' contains '=' or a NUL byte");
      }
      if (value.find('\0') != std::string::npos) {
        return Status::InvalidArgument("the value of environment variable " + Excerpt(name) +
                                       " contains a NUL byte");
      }
    }
  }
  if (r.timeout_ms > kMaxProcTimeoutMs) {
    return Status::InvalidArgument(
        fmt::format("timeout {} ms is out of range (0..{})", r.timeout_ms, kMaxProcTimeoutMs));
  }
  return Status::Ok();
}

ProcResult Live(LiveEnv&, const ProcRequest& request) { return RunCommand(request); }

constexpr Perturbation kChaos[] = {
    Replace<kResult>("nostart", [] { return ProcResult{.exit_code = -1, .start_error = ENOENT}; }),
    ReplaceTimedOut<kRequest, kResult, &ProcRequest::timeout_ms>(
        "timeout",
        [] { return ProcResult{.exit_code = -1, .signal = SIGKILL, .timed_out = true}; }),
};

// --- scripts (specs/language.md §8.3) ----------------------------------------------

// proc.run's "env" option: a map of the command's whole environment.
std::vector<std::pair<std::string, std::string>> EnvOption(const Value& env) {
  if (!env.is_map()) {
    lang::Fault(std::string("proc.run(): the option \"env\" must be a map of the command's "
                            "environment such as {\"PATH\": \"/usr/bin:/bin\"}, got ") +
                lang::TypeName(env.type()));
  }
  lang::CheckElements(static_cast<int64_t>(env.map().size()));
  std::vector<std::pair<std::string, std::string>> vars;
  vars.reserve(env.map().size());
  for (const auto& [name, value] : env.map().entries()) {
    if (!name.is_string()) {
      lang::Fault("proc.run(): environment variable names are strings, got the " +
                  std::string(lang::TypeName(name.type())) + " key " + lang::Describe(name));
    }
    const std::string& n = name.str();
    if (n.empty() || n.find('=') != std::string::npos || n.find('\0') != std::string::npos) {
      lang::Fault("proc.run(): " + Quoted(n) +
                  " cannot be an environment variable's name (it is empty or holds '=' or a NUL "
                  "byte)");
    }
    if (!value.is_string()) {
      lang::Fault("proc.run(): the value of environment variable " + Quoted(n) + " is " +
                  Article(value) + "; values are strings (convert with str())");
    }
    if (value.str().find('\0') != std::string::npos) {
      lang::Fault("proc.run(): the value of environment variable " + Quoted(n) +
                  " contains a NUL byte");
    }
    vars.emplace_back(n, value.str());
  }
  return vars;
}

// proc.run(argv[, options]).
ProcRequest RequestOf(const Value& argv, const Value* options) {
  if (argv.is_string()) {
    lang::Fault(
        "proc.run() expects the command as a list of strings such as [\"ls\", \"-l\"], not a "
        "string: there is no shell (split the words yourself, or run [\"sh\", \"-c\", " +
        lang::Describe(argv) + "])");
  }
  if (!argv.is_list()) {
    lang::Fault(std::string("proc.run() expects the command as a list of strings such as [\"ls\", "
                            "\"-l\"], got ") +
                lang::TypeName(argv.type()));
  }
  if (argv.list().empty()) {
    lang::Fault("proc.run(): the command is an empty list; it needs at least the program's name");
  }
  ProcRequest request;
  request.argv.reserve(argv.list().size());
  for (size_t i = 0; i < argv.list().size(); ++i) {
    const Value& a = argv.list()[i];
    if (!a.is_string()) {
      lang::Fault(
          fmt::format("proc.run(): element {} of the command is {}; a command's words are strings "
                      "(convert with str())",
                      i, Article(a)));
    }
    if (a.str().find('\0') != std::string::npos) {
      lang::Fault(fmt::format("proc.run(): element {} of the command contains a NUL byte", i));
    }
    request.argv.push_back(a.str());
  }
  if (options != nullptr) {
    ForEachOption(
        "proc.run", *options, "\"stdin\", \"timeout_ms\" and \"env\"",
        [&](const std::string& key, const Value& v) {
          if (key == "env") {
            request.env = EnvOption(v);
            return true;
          }
          if (key == "stdin") {
            if (!v.is_string()) {
              lang::Fault(std::string("proc.run(): the option \"stdin\" must be a string, got ") +
                          lang::TypeName(v.type()) + " (convert it with str())");
            }
            request.stdin_data = v.str();
            return true;
          }
          if (key == "timeout_ms") {
            request.timeout_ms = TimeoutOption("proc.run", v, 0, kMaxProcTimeoutMs);
            return true;
          }
          return false;
        });
  }
  return request;
}

// {"status", "signal", "timed_out", "error", "stdout", "stderr"}.
Value ResultValue(ProcResult r) {
  return MapOf({{"status", Value::Int(r.exit_code)},
                {"signal", Value::Int(r.signal)},
                {"timed_out", Value::Bool(r.timed_out)},
                {"error", Value::Int(r.start_error)},
                {"stdout", Value::String(std::move(r.stdout_data))},
                {"stderr", Value::String(std::move(r.stderr_data))}});
}

template <bool kOptions>
Value RunValue(ScriptCall& c) {
  ProcRequest request = RequestOf(c.args[0], kOptions ? &c.args[1] : nullptr);
  return ResultValue(
      Refusable("proc.run", "proc.run", [&] { return c.rt.ProcRunAt(c.site, request); }));
}

constexpr ScriptBinding kScript[] = {
    {"proc", "run", 1, RunValue<false>},
    {"proc", "run", 2, RunValue<true>},
};

}  // namespace

constinit const EffectSpec kProcRun = {
    .kind = EffectKind::kProcRun,
    .name = "proc.run",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kResult,
    .measured = true,
    .live = LiveTyped<kRequest, kResult, Live>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

ProcResult Runtime::ProcRunAt(const Site& site, const ProcRequest& request) {
  Status ok = engine::Check(request);
  if (!ok.ok()) throw std::invalid_argument("proc.run: " + ok.message());
  return engine::EffectCall::Perform<engine::kRequest, engine::kResult>(
      *this, site, EffectKind::kProcRun, request);
}

}  // namespace tape
