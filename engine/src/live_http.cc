// http.request performed for real, with libcurl: redirects followed, a
// connect and a total timeout, TLS verified against the system's CA store
// (libcurl's default). What happened is the result: the final response, or
// why there was none (an error text the program can show).

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "engine/src/live_effects.h"
#include "engine/src/service_codec.h"

namespace tape::engine {

namespace {

constexpr long kMaxRedirects = 10;
constexpr uint32_t kMaxConnectMs = 10000;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Exchange {
  HttpResponse response;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* context) {
  auto* x = static_cast<Exchange*>(context);
  size_t n = size * count;
  if (x->response.body.size() + n > kMaxHttpBodyBytes) {
    x->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  x->response.body.append(data, n);
  return n;
}

// Called once per header line of every response in a redirect chain; only
// the last response's headers are kept.
size_t OnHeader(char* data, size_t size, size_t count, void* context) {
  auto* x = static_cast<Exchange*>(context);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    x->response.headers.clear();  // a new response begins
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    x->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return n;
}

HttpResponse Perform(const HttpRequest& request) {
  GlobalInit();
  Exchange x;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    x.response.error = "cannot start an HTTP client (libcurl)";
    return x.response;
  }
  char errors[CURL_ERROR_SIZE] = "";
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(request.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   long(std::min(request.timeout_ms, kMaxConnectMs)));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errors);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (request.method == "GET") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "GET");
  }
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    x.response.status = int(status);
  } else {
    std::string detail = errors[0] ? errors : curl_easy_strerror(code);
    if (x.too_large) {
      detail = "the response body is larger than " + std::to_string(kMaxHttpBodyBytes >> 20) +
               " MiB";
    }
    x.response = HttpResponse{};
    x.response.error = detail;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return x.response;
}

}  // namespace

std::string_view LiveHttpRequest(LiveEnv&, Bytes args, std::string* result) {
  result->clear();
  HttpRequest request;
  HttpResponse response;
  if (!DecodeHttpRequest(args, &request)) {
    response.error = "malformed request";  // the runtime encoded it: cannot happen
  } else {
    response = Perform(request);
  }
  EncodeHttpResponse(response, result);
  return *result;
}

std::string ParseUrlScheme(const std::string& url, std::string* scheme) {
  CURLU* parsed_url = curl_url();
  CURLUcode parsed = curl_url_set(parsed_url, CURLUPART_URL, url.c_str(), 0);
  char* part = nullptr;
  if (parsed == CURLUE_OK) curl_url_get(parsed_url, CURLUPART_SCHEME, &part, 0);
  *scheme = part ? part : "";
  curl_free(part);
  curl_url_cleanup(parsed_url);
  return parsed == CURLUE_OK ? "" : curl_url_strerror(parsed);
}

}  // namespace tape::engine
