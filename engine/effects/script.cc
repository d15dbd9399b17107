#include "engine/effects/script.h"

#include <fmt/core.h>

namespace tape::engine {

using lang::Fault;
using lang::TypeName;

void NotAString(std::string_view call, const Value& v, const char* what) {
  Fault(std::string(call) + "() expects " + what + ", got " + TypeName(v.type()));
}

void HoldsNul(std::string_view call, const char* what) {
  Fault(std::string(call) + "(): the " + what + " contains a NUL byte");
}

Value NewSiteString(ScriptCall& c, std::string_view text) {
  Value v = Value::String(text);
  if (c.site_result != nullptr) {
    if (text.size() <= kMaxSiteString) {
      *c.site_result = v;
    } else {
      c.site_result->Reset();
    }
  }
  return v;
}

int64_t IntRangeArg(std::string_view call, const Value& v, int64_t max, const char* unit) {
  if (!v.is_int()) {
    Fault(std::string(call) + "() expects an int, got " + TypeName(v.type()));
  }
  int64_t n = v.as_int();
  if (n < 0 || n > max) {
    Fault(fmt::format("{}(): {} {} is out of range (0..{})", call, n, unit, max));
  }
  return n;
}

const std::string& TextArg(const Value& v, std::string* storage) {
  if (v.is_string()) return v.str();
  *storage = lang::ToString(v);
  return *storage;
}

std::string Article(const Value& v) {
  if (v.is_nil()) return "nil";
  std::string name = TypeName(v.type());
  return (name[0] == 'i' ? "an " : "a ") + name;
}

std::string Quoted(const std::string& s) {
  std::string out;
  lang::AppendRepr(&out, Value::String(s.substr(0, 60)));
  return s.size() > 60 ? out + "..." : out;
}

uint32_t TimeoutOption(std::string_view call, const Value& v, int64_t min, int64_t max) {
  if (!v.is_int()) {
    Fault(std::string(call) + "(): the option \"timeout_ms\" must be an int (milliseconds), got " +
          TypeName(v.type()));
  }
  if (v.as_int() < min || v.as_int() > max) {
    Fault(fmt::format("{}(): timeout_ms {} is out of range ({}..{})", call, v.as_int(), min, max));
  }
  return static_cast<uint32_t>(v.as_int());
}

Value BytesWritten(int error, size_t bytes) {
  return error == 0 ? Value::Int(static_cast<int64_t>(bytes)) : Value();
}

Value MapOf(std::vector<std::pair<const char*, Value>> fields) {
  std::vector<Value> kv;
  kv.reserve(fields.size() * 2);
  for (auto& [key, value] : fields) {
    kv.push_back(Value::String(key));
    kv.push_back(std::move(value));
  }
  return lang::MakeMap(kv.data(), static_cast<int>(fields.size()));
}

Value StringList(std::vector<std::string> items) {
  lang::CheckElements(static_cast<int64_t>(items.size()));
  std::vector<Value> values;
  values.reserve(items.size());
  for (std::string& s : items) values.push_back(Value::String(std::move(s)));
  return Value::NewList(std::move(values));
}

void RefusedRequest(std::string_view call, std::string_view effect,
                    const std::invalid_argument& e) {
  std::string_view what = e.what();
  if (what.size() > effect.size() + 2 && what.substr(0, effect.size()) == effect &&
      what.substr(effect.size(), 2) == ": ") {
    what.remove_prefix(effect.size() + 2);
  }
  Fault(std::string(call) + "(): " + std::string(what));
}

}  // namespace tape::engine
