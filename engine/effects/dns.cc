// dns.resolve: the addresses a host name resolves to, by getaddrinfo(3)
// (the hosts file, DNS, whatever the system's resolver consults). A name
// that does not resolve is a result, with the resolver's code and message;
// an empty name, or one with a NUL byte, is the program's error. Replay
// returns the recorded answer: the resolver is not asked.

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

struct Request {
  std::string_view host;
};
constexpr Fields<Request> kRequest{Field<&Request::host>(FieldType::kText, "host").Key()};
constexpr Fields<DnsResult> kResult{
    Field<&DnsResult::error>(FieldType::kI32, "error"),
    Field<&DnsResult::message>(FieldType::kSizedText, "message"),
    Field<&DnsResult::addresses>(FieldType::kTextList, "addresses")};

Status Check(std::string_view host) {
  if (host.empty()) return Status::InvalidArgument("the host name is empty");
  if (host.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("the host name contains a NUL byte");
  }
  return Status::Ok();
}

DnsResult Failure(int code) {
  DnsResult r;
  r.error = code;
  r.message = code == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(code);
  return r;
}

DnsResult Resolve(LiveEnv&, const Request& request) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  addrinfo* found = nullptr;
  std::string host(request.host);
  int code = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (code != 0) return Failure(code);
  DnsResult r;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = "";
    const void* address =
        a->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr);
    if (::inet_ntop(a->ai_family, address, text, sizeof text) == nullptr) continue;
    if (std::find(r.addresses.begin(), r.addresses.end(), text) == r.addresses.end()) {
      r.addresses.emplace_back(text);
    }
  }
  ::freeaddrinfo(found);
  return r;
}

// The two failures a program meets: a name that does not exist, and a
// resolver that cannot be reached for now.
constexpr Perturbation kChaos[] = {
    Replace<kResult>("noname", [] { return Failure(EAI_NONAME); }),
    Replace<kResult>("again", [] { return Failure(EAI_AGAIN); }),
};

// dns.resolve(host): the addresses, or nil when the name does not resolve;
// dns.last_error() says why ("" after an answer).
Value ResolveValue(ScriptCall& c) {
  const std::string& host = NameArg("dns.resolve", c.args[0], "host name");
  DnsResult r =
      Refusable("dns.resolve", "dns.resolve", [&] { return c.rt.DnsResolveAt(c.site, host); });
  *c.last_error = Value::String(r.message);
  if (!r.ok()) return Value();
  return StringList(std::move(r.addresses));
}
constexpr ScriptBinding kScript[] = {
    {"dns", "resolve", 1, ResolveValue, ScriptErrors::kMessage},
};

}  // namespace

constinit const EffectSpec kDnsResolve = {
    .kind = EffectKind::kDnsResolve,
    .name = "dns.resolve",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kResult,
    .measured = true,
    .live = LiveTyped<kRequest, kResult, Resolve>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

DnsResult Runtime::DnsResolveAt(const Site& site, std::string_view host) {
  Status ok = engine::Check(host);
  if (!ok.ok()) throw std::invalid_argument("dns.resolve: " + ok.message());
  return engine::EffectCall::Perform<engine::kRequest, engine::kResult>(
      *this, site, EffectKind::kDnsResolve, {host});
}

}  // namespace tape
