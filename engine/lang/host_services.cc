#include "engine/lang/host_services.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/lang/limits.h"
#include "engine/lang/ops.h"

namespace tape::lang {
namespace {

std::string Quoted(const std::string& s) {
  std::string out;
  AppendRepr(&out, Value::String(s.substr(0, 60)));
  return s.size() > 60 ? out + "..." : out;
}

// "an int", "a string", "nil".
std::string Article(const Value& v) {
  if (v.is_nil()) return "nil";
  std::string name = TypeName(v.type());
  return (name[0] == 'i' ? "an " : "a ") + name;
}

// Reads an options map: calls `take(key, value)` for each entry; a key that
// is not one of `known` (a string such as "\"timeout_ms\"") faults.
template <typename Take>
void ForEachOption(const char* call, const Value& options, const char* known, Take take) {
  if (!options.is_map()) {
    Fault(std::string(call) +
          "() expects its options as a map such as {\"timeout_ms\": 5000}, got " +
          TypeName(options.type()));
  }
  for (const auto& [key, value] : options.map().entries()) {
    if (!key.is_string() || !take(key.str(), value)) {
      Fault(std::string(call) + "(): unknown option " + Describe(key) + " (" + call + " takes " +
            known + ")");
    }
  }
}

uint32_t TimeoutOption(const char* call, const Value& v, int64_t min, int64_t max) {
  if (!v.is_int()) {
    Fault(std::string(call) + "(): the option \"timeout_ms\" must be an int (milliseconds), got " +
          TypeName(v.type()));
  }
  if (v.as_int() < min || v.as_int() > max) {
    Fault(std::string(call) + "(): timeout_ms " + std::to_string(v.as_int()) +
          " is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  }
  return static_cast<uint32_t>(v.as_int());
}

void ReadHttpOptions(const char* call, const Value& options, HttpRequest* request) {
  ForEachOption(call, options, "\"timeout_ms\"", [&](const std::string& key, const Value& v) {
    if (key != "timeout_ms") return false;
    request->timeout_ms = TimeoutOption(call, v, 1, kMaxHttpTimeoutMs);
    return true;
  });
}

std::string UrlArg(const char* call, const Value& url) {
  if (!url.is_string()) {
    Fault(std::string(call) +
          "() expects the URL as a string such as \"http://host:port/path\", got " +
          TypeName(url.type()));
  }
  return url.str();
}

Value Str(std::string_view s) { return Value::String(s); }

// A map from string keys, in the order given.
Value MapOf(std::vector<std::pair<const char*, Value>> fields) {
  std::vector<Value> kv;
  kv.reserve(fields.size() * 2);
  for (auto& [key, value] : fields) {
    kv.push_back(Value::String(key));
    kv.push_back(std::move(value));
  }
  return MakeMap(kv.data(), static_cast<int>(fields.size()));
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

HttpRequest HttpRequestOf(const Value& method, const Value& url, const Value& headers,
                          const Value& body, const Value* options) {
  const char* call = "http.request";
  HttpRequest request;
  if (!method.is_string()) {
    Fault(std::string(call) + "() expects the method as a string such as \"GET\", got " +
          TypeName(method.type()));
  }
  request.method = method.str();
  request.url = UrlArg(call, url);
  if (headers.is_map()) {
    CheckElements(static_cast<int64_t>(headers.map().size()));
    for (const auto& [name, value] : headers.map().entries()) {
      if (!name.is_string()) {
        Fault("http.request(): header names are strings, got the " +
              std::string(TypeName(name.type())) + " key " + Describe(name));
      }
      if (!value.is_string()) {
        Fault("http.request(): the value of header " + Quoted(name.str()) + " is " +
              Article(value) + "; header values are strings (convert with str())");
      }
      request.headers.emplace_back(name.str(), value.str());
    }
  } else if (!headers.is_nil()) {
    Fault(std::string(call) +
          "() expects the headers as a map such as {\"Accept\": \"text/plain\"} "
          "(or nil), got " +
          TypeName(headers.type()));
  }
  if (body.is_string()) {
    request.body = body.str();
  } else if (!body.is_nil()) {
    Fault(std::string(call) + "() expects the body as a string (or nil), got " +
          TypeName(body.type()) + " (convert it with str())");
  }
  if (options != nullptr) ReadHttpOptions(call, *options, &request);
  return request;
}

HttpRequest HttpGetOf(const Value& url, const Value* options) {
  HttpRequest request;
  request.method = "GET";
  request.url = UrlArg("http.get", url);
  if (options != nullptr) ReadHttpOptions("http.get", *options, &request);
  return request;
}

Value HttpResponseValue(HttpResponse r) {
  CheckElements(static_cast<int64_t>(r.headers.size()));
  // Header names are case-insensitive (RFC 9110 §5.1): the map's keys are
  // lower case, and a repeated header's values are joined with ", " in the
  // order received (§5.3). header_list keeps every line as it came.
  std::vector<std::pair<std::string, std::string>> merged;
  std::unordered_map<std::string, size_t> position;  // lower-case name -> merged[i]
  std::vector<Value> lines;
  lines.reserve(r.headers.size());
  for (auto& [name, value] : r.headers) {
    std::string key = AsciiLower(name);
    auto [it, added] = position.emplace(key, merged.size());
    if (added) {
      merged.emplace_back(std::move(key), value);
    } else {
      std::string& joined = merged[it->second].second;
      CheckStringSize(static_cast<int64_t>(joined.size() + 2 + value.size()));
      joined.append(", ").append(value);
    }
    lines.push_back(Value::NewList({Str(name), Str(value)}));
  }
  std::vector<Value> kv;
  kv.reserve(merged.size() * 2);
  for (auto& [k, v] : merged) {
    kv.push_back(Value::String(std::move(k)));
    kv.push_back(Value::String(std::move(v)));
  }
  Value header_map = MakeMap(kv.data(), static_cast<int>(merged.size()));
  return MapOf({{"status", Value::Int(r.status)},
                {"error", Value::String(std::move(r.error))},
                {"headers", std::move(header_map)},
                {"header_list", Value::NewList(std::move(lines))},
                {"body", Value::String(std::move(r.body))}});
}

namespace {

// proc.run's "env" option: a map of the command's whole environment.
std::vector<std::pair<std::string, std::string>> EnvOption(const Value& env) {
  if (!env.is_map()) {
    Fault(std::string("proc.run(): the option \"env\" must be a map of the command's "
                      "environment such as {\"PATH\": \"/usr/bin:/bin\"}, got ") +
          TypeName(env.type()));
  }
  CheckElements(static_cast<int64_t>(env.map().size()));
  std::vector<std::pair<std::string, std::string>> vars;
  vars.reserve(env.map().size());
  for (const auto& [name, value] : env.map().entries()) {
    if (!name.is_string()) {
      Fault("proc.run(): environment variable names are strings, got the " +
            std::string(TypeName(name.type())) + " key " + Describe(name));
    }
    const std::string& n = name.str();
    if (n.empty() || n.find('=') != std::string::npos || n.find('\0') != std::string::npos) {
      Fault("proc.run(): " + Quoted(n) +
            " cannot be an environment variable's name (it is empty or holds '=' or a NUL "
            "byte)");
    }
    if (!value.is_string()) {
      Fault("proc.run(): the value of environment variable " + Quoted(n) + " is " + Article(value) +
            "; values are strings (convert with str())");
    }
    if (value.str().find('\0') != std::string::npos) {
      Fault("proc.run(): the value of environment variable " + Quoted(n) + " contains a NUL byte");
    }
    vars.emplace_back(n, value.str());
  }
  return vars;
}

}  // namespace

ProcRequest ProcRequestOf(const Value& argv, const Value* options) {
  if (argv.is_string()) {
    Fault(
        "proc.run() expects the command as a list of strings such as [\"ls\", \"-l\"], not a "
        "string: there is no shell (split the words yourself, or run [\"sh\", \"-c\", " +
        Describe(argv) + "])");
  }
  if (!argv.is_list()) {
    Fault(std::string("proc.run() expects the command as a list of strings such as [\"ls\", "
                      "\"-l\"], got ") +
          TypeName(argv.type()));
  }
  if (argv.list().empty()) {
    Fault("proc.run(): the command is an empty list; it needs at least the program's name");
  }
  ProcRequest request;
  request.argv.reserve(argv.list().size());
  for (size_t i = 0; i < argv.list().size(); ++i) {
    const Value& a = argv.list()[i];
    if (!a.is_string()) {
      Fault("proc.run(): element " + std::to_string(i) + " of the command is " + Article(a) +
            "; a command's words are strings (convert with str())");
    }
    if (a.str().find('\0') != std::string::npos) {
      Fault("proc.run(): element " + std::to_string(i) + " of the command contains a NUL byte");
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
              Fault(std::string("proc.run(): the option \"stdin\" must be a string, got ") +
                    TypeName(v.type()) + " (convert it with str())");
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

Value ProcResultValue(ProcResult r) {
  return MapOf({{"status", Value::Int(r.exit_code)},
                {"signal", Value::Int(r.signal)},
                {"timed_out", Value::Bool(r.timed_out)},
                {"error", Value::Int(r.start_error)},
                {"stdout", Value::String(std::move(r.stdout_data))},
                {"stderr", Value::String(std::move(r.stderr_data))}});
}

}  // namespace tape::lang
