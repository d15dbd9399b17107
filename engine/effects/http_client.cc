// http.request performed for real, with libcurl: redirects followed, a
// connect and a total timeout, TLS verified against the system's CA store
// (libcurl's default). What happened is the result: the final response, or
// why there was none (an error text the program can show).
//
// libcurl is loaded on first use (dlopen), not linked: a program, or a run
// of the tape command, that never calls http.* does not load it, nor the
// thirty libraries it needs (TLS, Kerberos, LDAP, SSH, ...), which cost
// every start of tape several milliseconds. Only curl's headers are needed
// to build; embedders need curl at run time, and only for HTTP.

#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/core.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "engine/effects/http_client.h"

namespace tape::engine {

namespace {

constexpr long kMaxRedirects = 10;
constexpr uint32_t kMaxConnectMs = 10000;

// The sonames of libcurl 7 and 8 (the OpenSSL and GnuTLS builds of Debian).
constexpr const char* kLibraries[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};

// The functions of libcurl tape calls, found in the loaded library.
struct Curl {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_url) url;
  decltype(&curl_url_set) url_set;
  decltype(&curl_url_get) url_get;
  decltype(&curl_url_cleanup) url_cleanup;
  decltype(&curl_url_strerror) url_strerror;
  decltype(&curl_free) free;
};

template <typename F>
bool Find(void* library, const char* name, F* fn) {
  *fn = reinterpret_cast<F>(::dlsym(library, name));
  return *fn != nullptr;
}

Result<Curl> Load() {
  std::string why;
  for (const char* name : kLibraries) {
    void* lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      if (why.empty()) why = ::dlerror();
      continue;
    }
    Curl c;
    if (Find(lib, "curl_global_init", &c.global_init) && Find(lib, "curl_easy_init", &c.easy_init) &&
        Find(lib, "curl_easy_setopt", &c.easy_setopt) &&
        Find(lib, "curl_easy_perform", &c.easy_perform) &&
        Find(lib, "curl_easy_getinfo", &c.easy_getinfo) &&
        Find(lib, "curl_easy_cleanup", &c.easy_cleanup) &&
        Find(lib, "curl_easy_strerror", &c.easy_strerror) &&
        Find(lib, "curl_slist_append", &c.slist_append) &&
        Find(lib, "curl_slist_free_all", &c.slist_free_all) && Find(lib, "curl_url", &c.url) &&
        Find(lib, "curl_url_set", &c.url_set) && Find(lib, "curl_url_get", &c.url_get) &&
        Find(lib, "curl_url_cleanup", &c.url_cleanup) &&
        Find(lib, "curl_url_strerror", &c.url_strerror) && Find(lib, "curl_free", &c.free)) {
      c.global_init(CURL_GLOBAL_DEFAULT);
      return c;  // loaded for the process's lifetime
    }
    why = std::string(name) + " lacks a function tape needs: it is older than libcurl 7.80";
    ::dlclose(lib);
  }
  return Status::IoError("cannot load libcurl, the HTTP client (" + why +
                         "); install it (Debian: apt-get install libcurl4)");
}

// libcurl, loaded on the first call; the error, for every call, when it
// cannot be.
const Result<Curl>& Client() {
  static const Result<Curl> curl = Load();
  return curl;
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

}  // namespace

HttpResponse PerformHttp(const HttpRequest& request) {
  Exchange x;
  if (!Client().has_value()) {
    x.response.error = Client().error().message();
    return x.response;
  }
  const Curl& c = *Client();
  CURL* curl = c.easy_init();
  if (curl == nullptr) {
    x.response.error = "cannot start an HTTP client (libcurl)";
    return x.response;
  }
  char errors[CURL_ERROR_SIZE] = "";
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = c.slist_append(headers, (name + ": " + value).c_str());
  }
  c.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  c.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  c.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  c.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  c.easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  c.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(request.timeout_ms));
  c.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   long(std::min(request.timeout_ms, kMaxConnectMs)));
  c.easy_setopt(curl, CURLOPT_ERRORBUFFER, errors);
  c.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  c.easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  c.easy_setopt(curl, CURLOPT_WRITEDATA, &x);
  c.easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  c.easy_setopt(curl, CURLOPT_HEADERDATA, &x);
  if (request.method == "HEAD") {
    c.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    c.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    c.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
    c.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (request.method == "GET") c.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "GET");
  }
  CURLcode code = c.easy_perform(curl);
  if (code == CURLE_OK) {
    long status = 0;
    c.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    x.response.status = int(status);
  } else {
    std::string detail = errors[0] ? errors : c.easy_strerror(code);
    if (x.too_large) {
      detail = fmt::format("the response body is larger than {} MiB", kMaxHttpBodyBytes >> 20);
    }
    x.response = HttpResponse{};
    x.response.error = detail;
  }
  c.slist_free_all(headers);
  c.easy_cleanup(curl);
  return x.response;
}

Status CheckUrl(const std::string& url, std::string* scheme) {
  if (!Client().has_value()) return Client().error();
  const Curl& c = *Client();
  CURLU* u = c.url();
  CURLUcode parsed = c.url_set(u, CURLUPART_URL, url.c_str(), 0);
  char* part = nullptr;
  if (parsed == CURLUE_OK) c.url_get(u, CURLUPART_SCHEME, &part, 0);
  *scheme = part ? part : "";
  c.free(part);
  c.url_cleanup(u);
  if (parsed != CURLUE_OK) return Status::InvalidArgument(c.url_strerror(parsed));
  return Status::Ok();
}

}  // namespace tape::engine
