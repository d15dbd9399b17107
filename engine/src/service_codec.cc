#include "engine/src/service_codec.h"

#include "engine/src/effect_table.h"

namespace tape::engine {

namespace {

using format::AsChars;

void PutU32(std::string* out, uint32_t v) {
  char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
  out->append(b, 4);
}

void PutSized(std::string* out, std::string_view s) {
  PutU32(out, uint32_t(s.size()));
  out->append(s);
}

void PutList(std::string* out, const std::vector<std::string>& items) {
  PutU32(out, uint32_t(items.size()));
  for (const std::string& s : items) PutSized(out, s);
}

// Headers travel as "Name: value" items.
std::vector<std::string> HeaderLines(const std::vector<std::pair<std::string, std::string>>& h) {
  std::vector<std::string> lines;
  lines.reserve(h.size());
  for (const auto& [name, value] : h) lines.push_back(name + ": " + value);
  return lines;
}

bool SplitHeaders(const std::vector<Bytes>& lines,
                  std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  for (Bytes b : lines) {
    std::string_view line = AsChars(b);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

bool Parse(EffectKind kind, bool args, Bytes bytes, ParsedPayload* parsed) {
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  return ParsePayload(args ? spec->args : spec->result, bytes, parsed).empty();
}

}  // namespace

void EncodeHttpRequest(const HttpRequest& r, std::string* out) {
  PutSized(out, r.method);
  PutSized(out, r.url);
  PutList(out, HeaderLines(r.headers));
  PutU32(out, r.timeout_ms);
  out->append(r.body);
}

bool DecodeHttpRequest(Bytes args, HttpRequest* r) {
  ParsedPayload p;
  if (!Parse(EffectKind::kHttpRequest, true, args, &p)) return false;
  r->method = AsChars(p.fields[0].bytes);
  r->url = AsChars(p.fields[1].bytes);
  r->timeout_ms = uint32_t(p.fields[3].number);
  r->body = AsChars(p.fields[4].bytes);
  return SplitHeaders(p.fields[2].list, &r->headers);
}

void EncodeHttpResponse(const HttpResponse& r, std::string* out) {
  PutU32(out, uint32_t(r.status));
  PutSized(out, r.error);
  PutList(out, HeaderLines(r.headers));
  out->append(r.body);
}

bool DecodeHttpResponse(Bytes result, HttpResponse* r) {
  ParsedPayload p;
  if (!Parse(EffectKind::kHttpRequest, false, result, &p)) return false;
  r->status = int(p.fields[0].number);
  r->error = AsChars(p.fields[1].bytes);
  r->body = AsChars(p.fields[3].bytes);
  return SplitHeaders(p.fields[2].list, &r->headers);
}

// proc.run's argv list: the command's words, then, when the request gives an
// environment, an item of one NUL byte (which no word can be) and the
// variables as "NAME=value" items (specs/trace-format.md §13).
constexpr std::string_view kEnvSeparator("\0", 1);

void EncodeProcRequest(const ProcRequest& r, std::string* out) {
  size_t items = r.argv.size() + (r.env ? 1 + r.env->size() : 0);
  PutU32(out, uint32_t(items));
  for (const std::string& word : r.argv) PutSized(out, word);
  if (r.env) {
    PutSized(out, kEnvSeparator);
    for (const auto& [name, value] : *r.env) {
      PutU32(out, uint32_t(name.size() + 1 + value.size()));
      out->append(name).append("=").append(value);
    }
  }
  PutU32(out, r.timeout_ms);
  out->append(r.stdin_data);
}

bool DecodeProcRequest(Bytes args, ProcRequest* r) {
  ParsedPayload p;
  if (!Parse(EffectKind::kProcRun, true, args, &p)) return false;
  r->argv.clear();
  r->env.reset();
  for (Bytes b : p.fields[0].list) {
    std::string_view item = AsChars(b);
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
  r->timeout_ms = uint32_t(p.fields[1].number);
  r->stdin_data = AsChars(p.fields[2].bytes);
  return true;
}

void EncodeProcResult(const ProcResult& r, std::string* out) {
  PutU32(out, uint32_t(r.exit_code));
  PutU32(out, uint32_t(r.signal));
  PutU32(out, uint32_t(r.start_error));
  out->push_back(r.timed_out ? 1 : 0);
  PutSized(out, r.stdout_data);
  out->append(r.stderr_data);
}

bool DecodeProcResult(Bytes bytes, ProcResult* r) {
  ParsedPayload p;
  if (!Parse(EffectKind::kProcRun, false, bytes, &p)) return false;
  r->exit_code = int32_t(p.fields[0].number);
  r->signal = int(p.fields[1].number);
  r->start_error = int32_t(p.fields[2].number);
  r->timed_out = p.fields[3].number != 0;
  r->stdout_data = AsChars(p.fields[4].bytes);
  r->stderr_data = AsChars(p.fields[5].bytes);
  return true;
}

}  // namespace tape::engine
