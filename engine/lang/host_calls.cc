#include "engine/lang/host_calls.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/lang/host_services.h"
#include "engine/lang/limits.h"

namespace tape::lang {
namespace {

// Grouped by module, in the order HostCallList() names them. A call's forms
// are adjacent, the one FindHost() falls back to first.
constexpr HostInfo kHosts[] = {
    {"clock", "now", Host::kClockNow, 0, "clock.now"},
    {"random", "bits", Host::kRandomBits, 1, "random.bits"},
    {"io", "write", Host::kIoWrite, 1, "io.write"},
    {"io", "error", Host::kIoError, 1, "io.error"},
    {"io", "last_error", Host::kIoLastError, 0, ""},
    {"fs", "read", Host::kFsRead, 1, "fs.read"},
    {"fs", "write", Host::kFsWrite, 2, "fs.write"},
    {"fs", "append", Host::kFsAppend, 2, "fs.append"},
    {"fs", "exists", Host::kFsExists, 1, "fs.exists"},
    {"fs", "is_dir", Host::kFsIsDir, 1, "fs.exists"},
    {"fs", "list", Host::kFsList, 1, "fs.list"},
    {"fs", "last_error", Host::kFsLastError, 0, ""},
    {"env", "get", Host::kEnvGet, 1, "env.get"},
    {"env", "get", Host::kEnvGetOr, 2, "env.get"},
    {"env", "has", Host::kEnvHas, 1, "env.get"},
    {"args", "get", Host::kArgsGet, 0, "args.get"},
    {"time", "sleep", Host::kTimeSleep, 1, "time.sleep"},
    {"http", "request", Host::kHttpRequest, 4, "http.request"},
    {"http", "request", Host::kHttpRequestWith, 5, "http.request"},
    {"http", "get", Host::kHttpGet, 1, "http.request"},
    {"http", "get", Host::kHttpGetWith, 2, "http.request"},
    {"proc", "run", Host::kProcRun, 1, "proc.run"},
    {"proc", "run", Host::kProcRunWith, 2, "proc.run"},
    {"", "print", Host::kPrint, 1, "io.write"},
    {"", "eprint", Host::kEprint, 1, "io.error"},
    {"", "version", Host::kVersion, 3, "version.marker"},
};

const std::string& StringArg(const char* call, const Value& v, const char* what) {
  if (!v.is_string()) {
    Fault(std::string(call) + "() expects " + what + ", got " + TypeName(v.type()));
  }
  return v.str();
}

// Paths and variable names travel to C APIs that stop at a NUL byte; refuse
// them rather than act on a different name than the script wrote.
const std::string& NameArg(const char* call, const Value& v, const char* what) {
  const std::string& s = StringArg(call, v, what);
  if (s.find('\0') != std::string::npos) {
    Fault(std::string(call) + "(): the " + what + " contains a NUL byte");
  }
  return s;
}

int64_t IntRangeArg(const char* call, const Value& v, int64_t max, const char* unit) {
  if (!v.is_int()) {
    Fault(std::string(call) + "() expects an int, got " + TypeName(v.type()));
  }
  int64_t n = v.as_int();
  if (n < 0 || n > max) {
    Fault(std::string(call) + "(): " + std::to_string(n) + " " + unit + " is out of range (0.." +
          std::to_string(max) + ")");
  }
  return n;
}

// What io.write and fs.write write: a string's bytes, any other value as
// str() renders it (as the original did).
const std::string& TextArg(const Value& v, std::string* storage) {
  if (v.is_string()) return v.str();
  *storage = ToString(v);
  return *storage;
}

// What the writes return (§8): the bytes written, or nil when the write
// failed (the errno is then in io.last_error() / fs.last_error()).
Value BytesWritten(int error, size_t bytes) {
  return error == 0 ? Value::Int(static_cast<int64_t>(bytes)) : Value();
}

// Runs a runtime call that throws std::invalid_argument for a request it
// refuses (a malformed URL, an unknown method; before anything is recorded)
// and turns that into a fault of the script, named as the script called it:
// the runtime's "http.request: bad URL" becomes "http.get(): bad URL".
template <typename F>
auto Refusable(std::string_view call, std::string_view effect, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    std::string_view what = e.what();
    if (what.size() > effect.size() + 2 && what.substr(0, effect.size()) == effect &&
        what.substr(effect.size(), 2) == ": ") {
      what.remove_prefix(effect.size() + 2);
    }
    Fault(std::string(call) + "(): " + std::string(what));
  }
}

}  // namespace

const HostInfo* FindHost(std::string_view module, std::string_view function, int argc) {
  const HostInfo* first = nullptr;
  for (const HostInfo& h : kHosts) {
    if (h.module != module || h.function != function) continue;
    if (h.arity == argc) return &h;
    if (first == nullptr) first = &h;
  }
  return first;
}

void HostArgCounts(std::string_view module, std::string_view function, int* min, int* max) {
  *min = kMaxArgs;
  *max = 0;
  for (const HostInfo& h : kHosts) {
    if (h.module != module || h.function != function) continue;
    *min = std::min(*min, h.arity);
    *max = std::max(*max, h.arity);
  }
}

std::string HostCallList() {
  std::string out;
  for (const HostInfo& h : kHosts) {
    // One mention per call, however many forms it has.
    if (h.module.empty() || FindHost(h.module, h.function) != &h) continue;
    if (!out.empty()) out += ", ";
    out.append(h.module).append(".").append(h.function);
  }
  return out;
}

Value CallHost(Host id, Runtime& rt, const Site& site, Value* args, HostState* state) {
  switch (id) {
    case Host::kClockNow:
      return Value::Int(rt.ClockNowAt(site));
    case Host::kRandomBits: {
      int64_t n = IntRangeArg("random.bits", args[0], kMaxRandomBits, "bytes");
      return Value::String(rt.RandomBitsAt(site, static_cast<uint32_t>(n)));
    }
    case Host::kIoWrite: {
      std::string rendered;
      const std::string& bytes = TextArg(args[0], &rendered);
      state->io_errno = rt.IoWriteAt(site, bytes);
      return BytesWritten(state->io_errno, bytes.size());
    }
    case Host::kPrint: {
      std::string line = ToString(args[0]);
      line.push_back('\n');
      state->io_errno = rt.IoWriteAt(site, line);
      return BytesWritten(state->io_errno, line.size());
    }
    case Host::kIoLastError:
      return Value::Int(state->io_errno);
    case Host::kFsRead: {
      FsReadResult r = rt.FsReadAt(site, NameArg("fs.read", args[0], "path"));
      state->fs_errno = r.error;
      if (!r.ok()) return Value();
      return Value::String(std::move(r.data));
    }
    case Host::kFsWrite: {
      const std::string& path = NameArg("fs.write", args[0], "path");
      std::string rendered;
      const std::string& data = TextArg(args[1], &rendered);
      state->fs_errno = rt.FsWriteAt(site, path, data);
      return BytesWritten(state->fs_errno, data.size());
    }
    case Host::kFsLastError:
      return Value::Int(state->fs_errno);
    // An unset variable is "" (as in the original), or the default given;
    // env.has tells unset from empty.
    case Host::kEnvGet:
    case Host::kEnvGetOr:
    case Host::kEnvHas: {
      const char* call = id == Host::kEnvHas ? "env.has" : "env.get";
      std::optional<std::string> v = rt.EnvGetAt(site, NameArg(call, args[0], "name"));
      if (id == Host::kEnvHas) return Value::Bool(v.has_value());
      if (!v.has_value()) return id == Host::kEnvGetOr ? args[1] : Value::String("");
      return Value::String(std::move(*v));
    }
    case Host::kArgsGet: {
      std::vector<std::string> argv = rt.ArgsGetAt(site);
      CheckElements(static_cast<int64_t>(argv.size()));
      std::vector<Value> items;
      items.reserve(argv.size());
      for (std::string& a : argv) items.push_back(Value::String(std::move(a)));
      return Value::NewList(std::move(items));
    }
    case Host::kTimeSleep:
      rt.TimeSleepAt(site, static_cast<uint64_t>(
                               IntRangeArg("time.sleep", args[0], kMaxSleepMs, "milliseconds")));
      return Value();
    // Standard error, as io.write and print are standard output (and share
    // io.last_error()).
    case Host::kIoError: {
      std::string rendered;
      const std::string& bytes = TextArg(args[0], &rendered);
      state->io_errno = rt.IoErrorAt(site, bytes);
      return BytesWritten(state->io_errno, bytes.size());
    }
    case Host::kVersion: {
      const std::string& id = StringArg("version", args[0], "a change id string");
      bool printable = !id.empty() && id.size() <= kMaxEffectNameBytes &&
                       std::all_of(id.begin(), id.end(), [](char c) {
                         return uint8_t(c) > 0x20 && uint8_t(c) < 0x7f;
                       });
      if (!printable) {
        Fault("version(): the change id must be 1 to " + std::to_string(kMaxEffectNameBytes) +
              " printable characters without spaces, such as \"rounding-fix\"");
      }
      for (int i : {1, 2}) {
        if (!args[i].is_int() || args[i].as_int() < INT32_MIN || args[i].as_int() > INT32_MAX) {
          Fault(std::string("version() expects ") + (i == 1 ? "min" : "max") +
                " as an int from -2147483648 to 2147483647, got " +
                (args[i].is_int() ? std::to_string(args[i].as_int()) : TypeName(args[i].type())));
        }
      }
      int64_t min = args[1].as_int(), max = args[2].as_int();
      if (min > max) {
        Fault("version(\"" + id + "\", " + std::to_string(min) + ", " + std::to_string(max) +
              "): min is above max");
      }
      return Value::Int(rt.VersionAt(site, id, int32_t(min), int32_t(max)));
    }
    case Host::kEprint: {
      std::string line = ToString(args[0]);
      line.push_back('\n');
      state->io_errno = rt.IoErrorAt(site, line);
      return BytesWritten(state->io_errno, line.size());
    }
    // false for any error; fs.last_error() tells ENOENT (absent) from the
    // others (EACCES: a directory on the way cannot be searched, ...).
    case Host::kFsExists:
    case Host::kFsIsDir: {
      const char* call = id == Host::kFsExists ? "fs.exists" : "fs.is_dir";
      FsStat st = rt.FsExistsAt(site, NameArg(call, args[0], "path"));
      state->fs_errno = st.error;
      return Value::Bool(st.exists() && (id == Host::kFsExists || st.is_dir));
    }
    case Host::kFsList: {
      FsList l = rt.FsListAt(site, NameArg("fs.list", args[0], "path"));
      state->fs_errno = l.error;
      if (!l.ok()) return Value();
      CheckElements(static_cast<int64_t>(l.names.size()));
      std::vector<Value> names;
      names.reserve(l.names.size());
      for (std::string& n : l.names) names.push_back(Value::String(std::move(n)));
      return Value::NewList(std::move(names));
    }
    case Host::kFsAppend: {
      const std::string& path = NameArg("fs.append", args[0], "path");
      std::string rendered;
      const std::string& data = TextArg(args[1], &rendered);
      state->fs_errno = rt.FsAppendAt(site, path, data);
      return BytesWritten(state->fs_errno, data.size());
    }
    case Host::kHttpRequest:
    case Host::kHttpRequestWith: {
      HttpRequest request = HttpRequestOf(args[0], args[1], args[2], args[3],
                                          id == Host::kHttpRequestWith ? &args[4] : nullptr);
      return HttpResponseValue(
          Refusable("http.request", "http.request", [&] { return rt.HttpAt(site, request); }));
    }
    case Host::kHttpGet:
    case Host::kHttpGetWith: {
      HttpRequest request = HttpGetOf(args[0], id == Host::kHttpGetWith ? &args[1] : nullptr);
      return HttpResponseValue(
          Refusable("http.get", "http.request", [&] { return rt.HttpAt(site, request); }));
    }
    case Host::kProcRun:
    case Host::kProcRunWith: {
      ProcRequest request = ProcRequestOf(args[0], id == Host::kProcRunWith ? &args[1] : nullptr);
      return ProcResultValue(
          Refusable("proc.run", "proc.run", [&] { return rt.ProcRunAt(site, request); }));
    }
  }
  Fault("internal error: unknown host call");
}

}  // namespace tape::lang
