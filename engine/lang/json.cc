// JSON for scripts: nlohmann/json's SAX parser feeds an explicit stack of
// containers (no recursion, whatever the text's nesting), and a small writer
// renders values back (their nesting is bounded by kMaxNesting).

#include "engine/lang/json.h"

#include <fmt/core.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/lang/builtins_internal.h"
#include "engine/lang/limits.h"
#include "engine/lang/number_text.h"
#include "engine/lang/ops.h"

namespace tape::lang {
namespace {

// Builds the value a JSON text holds. A text that is not JSON, or that
// holds what a value cannot (a number beyond the float range, nesting
// deeper than kMaxNesting), stops the parse with error() set. The limits of
// the run (memory, elements) fault as they would for any value.
class ValueBuilder {
 public:
  using json = nlohmann::json;

  bool null() { return Add(Value()); }
  bool boolean(bool b) { return Add(Value::Bool(b)); }
  bool number_integer(json::number_integer_t n) { return Add(Value::Int(n)); }
  bool number_unsigned(json::number_unsigned_t n) {
    // Beyond the int range: the nearest float, as a JavaScript reader gives.
    if (n > uint64_t(INT64_MAX)) return Add(Value::Float(double(n)));
    return Add(Value::Int(int64_t(n)));
  }
  bool number_float(json::number_float_t, const json::string_t& text) {
    // Read with the language's own reader, so that every machine gets the
    // same double (specs/language.md §3.6).
    bool too_large = false;
    std::optional<double> d = ParseFloat(text, true, &too_large);
    if (!d) return Stop("the number '" + text.substr(0, 40) + "' is too large for a float");
    return Add(Value::Float(*d));
  }
  bool string(json::string_t& s) { return Add(Value::String(std::move(s))); }
  bool binary(json::binary_t&) { return Stop("binary values are not JSON"); }
  bool start_object(std::size_t) { return Open(true); }
  bool key(json::string_t& k) {
    Push(Value::String(std::move(k)));
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(false); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    // or "[json.exception.out_of_range.406] number overflow parsing '1e999'".
    std::string what = e.what();
    if (what.starts_with("[") && what.find("] ") != std::string::npos) {
      what = what.substr(what.find("] ") + 2);
    }
    if (what.starts_with("parse error ")) return Stop(what.substr(12));
    if (what.starts_with("number overflow parsing ")) {
      return Stop("the number " + what.substr(24) + " is too large for a float");
    }
    return Stop(what);
  }

  const std::string& error() const { return error_; }
  Value Take() { return std::move(result_); }

 private:
  struct Frame {
    bool is_map;
    std::vector<Value> items;  // a map's keys and values, alternating
  };

  bool Stop(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  bool Open(bool is_map) {
    // A value nests at most kMaxNesting levels (limits.h); the text is
    // refused at the level past it.
    if (frames_.size() >= size_t(kMaxNesting)) {
      return Stop(fmt::format("it nests deeper than the {} levels a value may have", kMaxNesting));
    }
    frames_.push_back({is_map, {}});
    return true;
  }
  bool Close() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    pending_ -= int64_t(frame.items.size());
    Value done = frame.is_map ? MakeMap(frame.items.data(), int(frame.items.size() / 2))
                              : Value::NewList(std::move(frame.items));
    return Add(std::move(done));
  }
  bool Add(Value v) {
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    Push(std::move(v));
    return true;
  }
  void Push(Value v) {
    std::vector<Value>& items = frames_.back().items;
    items.push_back(std::move(v));
    CheckElements(int64_t(items.size()));
    // Elements not yet in a container are not charged to the run: check
    // that they would fit now and then.
    if ((++pending_ & 4095) == 0) MemoryBudget::CheckAvailable(pending_ * int64_t(sizeof(Value)));
  }

  std::vector<Frame> frames_;
  int64_t pending_ = 0;
  Value result_;
  std::string error_;
};

// Parses `text`; the error is "" on success.
Value Parse(const std::string& text, std::string* error) {
  ValueBuilder builder;
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                            nlohmann::json::input_format_t::json, /*strict=*/true);
  *error = builder.error();
  return builder.Take();
}

// Appends `s` as a JSON string; false when it is not UTF-8 (JSON holds
// text only).
bool AppendString(std::string* out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          if (c < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 15]);
          } else {
            out->push_back(char(c));
          }
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: the right number of continuation bytes, no overlong
    // form, no surrogate, nothing past U+10FFFF.
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    out->append(s, i, n);
    i += n;
  }
  out->push_back('"');
  return true;
}

class Writer {
 public:
  explicit Writer(int indent) : indent_(indent) {}

  void Write(const Value& v) {
    switch (v.type()) {
      case Type::kNil:
        out_ += "null";
        break;
      case Type::kBool:
        out_ += v.as_bool() ? "true" : "false";
        break;
      case Type::kInt:
        out_ += std::to_string(v.as_int());
        break;
      case Type::kFloat:
        out_ += FormatFloat(v.as_float());
        break;
      case Type::kString:
        Text(v.str());
        break;
      case Type::kList: {
        const std::vector<Value>& items = v.list();
        out_ += '[';
        ++depth_;
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out_ += ',';
          NewLine();
          path_.push_back(fmt::format("[{}]", i));
          Write(items[i]);
          path_.pop_back();
        }
        --depth_;
        if (!items.empty()) NewLine();
        out_ += ']';
        break;
      }
      case Type::kMap: {
        const auto& entries = v.map().entries();
        out_ += '{';
        ++depth_;
        for (size_t i = 0; i < entries.size(); ++i) {
          const Value& key = entries[i].first;
          if (i > 0) out_ += ',';
          NewLine();
          // JSON's keys are strings: an int key is written as its digits.
          std::string name = key.is_int() ? std::to_string(key.as_int()) : key.str();
          path_.push_back("[" + (key.is_int() ? name : Describe(key)) + "]");
          Text(name);
          out_ += indent_ >= 0 ? ": " : ":";
          Write(entries[i].second);
          path_.pop_back();
        }
        --depth_;
        if (!entries.empty()) NewLine();
        out_ += '}';
        break;
      }
    }
    // The text is charged to the run only when it becomes a string: check
    // now and then that it would fit.
    if (out_.size() > checked_ + (1u << 20)) {
      CheckStringSize(int64_t(out_.size()));
      MemoryBudget::CheckAvailable(int64_t(out_.size()));
      checked_ = out_.size();
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  void Text(const std::string& s) {
    if (!AppendString(&out_, s)) {
      std::string where;
      for (const std::string& p : path_) where += p;
      Fault("json.dump(): the string " + (where.empty() ? std::string("given") : "at " + where) +
            " is not UTF-8 text, and JSON holds text only");
    }
  }
  // With an indent: a new line, indented for the current depth.
  void NewLine() {
    if (indent_ < 0) return;
    out_ += '\n';
    out_.append(size_t(indent_) * depth_, ' ');
  }

  int indent_;  // -1: compact
  size_t depth_ = 0;
  size_t checked_ = 0;
  std::vector<std::string> path_;
  std::string out_;
};

}  // namespace

Value JsonParse(const Value* args, int argc) {
  const std::string& text = builtins::StringArg("json.parse", args[0], "a string");
  std::string error;
  Value v = Parse(text, &error);
  if (error.empty()) return v;
  if (argc == 2) return args[1];
  Fault("json.parse(): " + error +
        " (json.parse(text, default) gives the default instead; json.error(text) says why)");
}

Value JsonError(const Value& text) {
  std::string error;
  Parse(builtins::StringArg("json.error", text, "a string"), &error);
  return Value::String(std::move(error));
}

Value JsonDump(const Value* args, int argc) {
  int indent = -1;
  if (argc == 2) {
    int64_t n = builtins::IntArg("json.dump", args[1], "an int indent");
    if (n < 0 || n > 16) Fault(fmt::format("json.dump(): the indent {} is not in 0..16", n));
    indent = int(n);
  }
  Writer w(indent);
  w.Write(args[0]);
  return Value::String(w.Take());
}

}  // namespace tape::lang
