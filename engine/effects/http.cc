// http.request: one HTTP exchange (tape/services.h). A response of any
// status, and a failure to connect, resolve or finish in time, are results;
// a request that cannot be sent is the program's error, checked before
// anything is recorded, on record and replay alike. Performed by
// http_client.cc.

#include <fmt/core.h>

#include <unordered_map>

#include "engine/effects/bind.h"
#include "engine/effects/http_client.h"
#include "engine/effects/printable.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

constexpr Fields<HttpRequest> kRequest{
    Field<&HttpRequest::method>(FieldType::kSizedText, "method").Key(),
    Field<&HttpRequest::url>(FieldType::kSizedText, "url").Key(),
    Field<&HttpRequest::headers>(FieldType::kTextList, "headers"),
    Field<&HttpRequest::timeout_ms>(FieldType::kU32, "timeout_ms"),
    Field<&HttpRequest::body>(FieldType::kText, "body")};
constexpr Fields<HttpResponse> kResponse{
    Field<&HttpResponse::status>(FieldType::kU32, "status"),
    Field<&HttpResponse::error>(FieldType::kSizedText, "error"),
    Field<&HttpResponse::headers>(FieldType::kTextList, "headers"),
    Field<&HttpResponse::body>(FieldType::kText, "body")};

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

bool HasLineBreakOrNul(const std::string& s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
}

// OK when the request can be sent, else InvalidArgument with what is wrong
// (or IoError when the HTTP client cannot be loaded to check the URL).
Status Check(const HttpRequest& r) {
  bool known = false;
  for (const char* m : kMethods) known = known || r.method == m;
  if (!known) {
    return Status::InvalidArgument("unknown method '" + Excerpt(r.method) +
                                   "' (use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)");
  }
  if (r.url.empty()) return Status::InvalidArgument("the URL is empty");
  if (HasLineBreakOrNul(r.url)) {
    return Status::InvalidArgument("the URL '" + Excerpt(r.url) + "' contains a line break");
  }
  std::string scheme;
  Status url = CheckUrl(r.url, &scheme);
  if (url.code() == StatusCode::kIoError) return url;  // no client to ask
  if (!url.ok()) {
    return Status::InvalidArgument("malformed URL '" + Excerpt(r.url) + "' (" + url.message() +
                                   "); expected e.g. http://host:port/path");
  }
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("URL '" + Excerpt(r.url) + "' is not http:// or https://");
  }
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || name.find_first_of(": \t") != std::string::npos ||
        HasLineBreakOrNul(name)) {
      return Status::InvalidArgument("bad header name '" + Excerpt(name) + "'");
    }
    if (HasLineBreakOrNul(value)) {
      return Status::InvalidArgument("header " + name + " has a line break in its value");
    }
  }
  if (r.timeout_ms == 0 || r.timeout_ms > kMaxHttpTimeoutMs) {
    return Status::InvalidArgument(
        fmt::format("timeout {} ms is out of range (1..{})", r.timeout_ms, kMaxHttpTimeoutMs));
  }
  return Status::Ok();
}

HttpResponse Live(LiveEnv&, const HttpRequest& request) { return PerformHttp(request); }

// The error texts are libcurl's for the same failures.
constexpr Perturbation kChaos[] = {
    Replace<kResponse>("refused",
                       [] { return HttpResponse{.error = "Couldn't connect to server"}; }),
    ReplaceTimedOut<kRequest, kResponse, &HttpRequest::timeout_ms>(
        "timeout", [] { return HttpResponse{.error = "Timeout was reached"}; }),
    Replace<kResponse>("unavailable", [] { return HttpResponse{.status = 503}; }),
};

// --- scripts (specs/language.md §8.2) ----------------------------------------------

void ReadOptions(const char* call, const Value& options, HttpRequest* request) {
  ForEachOption(call, options, "\"timeout_ms\"", [&](const std::string& key, const Value& v) {
    if (key != "timeout_ms") return false;
    request->timeout_ms = TimeoutOption(call, v, 1, kMaxHttpTimeoutMs);
    return true;
  });
}

std::string UrlArg(const char* call, const Value& url) {
  if (!url.is_string()) {
    lang::Fault(std::string(call) +
                "() expects the URL as a string such as \"http://host:port/path\", got " +
                lang::TypeName(url.type()));
  }
  return url.str();
}

// http.request(method, url, headers, body[, options]): `options` may be null.
HttpRequest RequestOf(const Value& method, const Value& url, const Value& headers,
                      const Value& body, const Value* options) {
  const char* call = "http.request";
  HttpRequest request;
  if (!method.is_string()) {
    lang::Fault(std::string(call) + "() expects the method as a string such as \"GET\", got " +
                lang::TypeName(method.type()));
  }
  request.method = method.str();
  request.url = UrlArg(call, url);
  if (headers.is_map()) {
    lang::CheckElements(static_cast<int64_t>(headers.map().size()));
    for (const auto& [name, value] : headers.map().entries()) {
      if (!name.is_string()) {
        lang::Fault("http.request(): header names are strings, got the " +
                    std::string(lang::TypeName(name.type())) + " key " + lang::Describe(name));
      }
      if (!value.is_string()) {
        lang::Fault("http.request(): the value of header " + Quoted(name.str()) + " is " +
                    Article(value) + "; header values are strings (convert with str())");
      }
      request.headers.emplace_back(name.str(), value.str());
    }
  } else if (!headers.is_nil()) {
    lang::Fault(std::string(call) +
                "() expects the headers as a map such as {\"Accept\": \"text/plain\"} "
                "(or nil), got " +
                lang::TypeName(headers.type()));
  }
  if (body.is_string()) {
    request.body = body.str();
  } else if (!body.is_nil()) {
    lang::Fault(std::string(call) + "() expects the body as a string (or nil), got " +
                lang::TypeName(body.type()) + " (convert it with str())");
  }
  if (options != nullptr) ReadOptions(call, *options, &request);
  return request;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// {"status", "error", "headers", "header_list", "body"}.
Value ResponseValue(HttpResponse r) {
  lang::CheckElements(static_cast<int64_t>(r.headers.size()));
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
      lang::CheckStringSize(static_cast<int64_t>(joined.size() + 2 + value.size()));
      joined.append(", ").append(value);
    }
    lines.push_back(Value::NewList({Value::String(name), Value::String(value)}));
  }
  std::vector<Value> kv;
  kv.reserve(merged.size() * 2);
  for (auto& [k, v] : merged) {
    kv.push_back(Value::String(std::move(k)));
    kv.push_back(Value::String(std::move(v)));
  }
  Value header_map = lang::MakeMap(kv.data(), static_cast<int>(merged.size()));
  return MapOf({{"status", Value::Int(r.status)},
                {"error", Value::String(std::move(r.error))},
                {"headers", std::move(header_map)},
                {"header_list", Value::NewList(std::move(lines))},
                {"body", Value::String(std::move(r.body))}});
}

// http.request(method, url, headers, body[, options]).
template <bool kOptions>
Value RequestValue(ScriptCall& c) {
  HttpRequest request =
      RequestOf(c.args[0], c.args[1], c.args[2], c.args[3], kOptions ? &c.args[4] : nullptr);
  return ResponseValue(
      Refusable("http.request", "http.request", [&] { return c.rt.HttpAt(c.site, request); }));
}

// http.get(url[, options]): http.request("GET", url, nil, nil[, options]).
template <bool kOptions>
Value GetValue(ScriptCall& c) {
  HttpRequest request;
  request.method = "GET";
  request.url = UrlArg("http.get", c.args[0]);
  if (kOptions) ReadOptions("http.get", c.args[1], &request);
  return ResponseValue(
      Refusable("http.get", "http.request", [&] { return c.rt.HttpAt(c.site, request); }));
}

constexpr ScriptBinding kScript[] = {
    {"http", "request", 4, RequestValue<false>},
    {"http", "request", 5, RequestValue<true>},
    {"http", "get", 1, GetValue<false>},
    {"http", "get", 2, GetValue<true>},
};

}  // namespace

constinit const EffectSpec kHttpRequest = {
    .kind = EffectKind::kHttpRequest,
    .name = "http.request",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kResponse,
    .measured = true,
    .live = LiveTyped<kRequest, kResponse, Live>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

HttpResponse Runtime::HttpAt(const Site& site, const HttpRequest& request) {
  Status ok = engine::Check(request);
  if (ok.code() == StatusCode::kIoError) throw std::runtime_error("http.request: " + ok.message());
  if (!ok.ok()) throw std::invalid_argument("http.request: " + ok.message());
  return engine::EffectCall::Perform<engine::kRequest, engine::kResponse>(
      *this, site, EffectKind::kHttpRequest, request);
}

}  // namespace tape
