// User-defined effects (Runtime::Effect): kinds 128..255, named per trace
// (specs/trace-format.md §13.4). Their args are the caller's encoded
// arguments; their result is what the caller's function returned or threw.
// The function runs on record only, as the call's LiveCall.

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

constexpr Fields<std::string_view> kArgs{Whole<std::string_view>(FieldType::kText, "args")};

// The result: u8 0 and the value, or u8 1, the exception's type and message.
constexpr Layout kResult = {{{FieldType::kUserResult, "result"}}, 1};

// The function is not run: the call throws tape::EffectError of type
// kChaosErrorType.
void Throw(Bytes, std::string* out) {
  FieldValue threw{.type = FieldType::kUserResult,
                   .number = 1,
                   .bytes = format::AsBytes(kChaosErrorType),
                   .message = format::AsBytes("injected by chaos mode")};
  out->clear();
  AppendPayload(kResult, &threw, out);
}
constexpr Perturbation kChaos[] = {{.name = "throw", .replace = Throw}};

}  // namespace

constinit const EffectSpec kUserEffects = {
    .kind = EffectKind(kFirstUserKind),
    .name = "user",
    .direction = Direction::kInput,
    .args = kArgs,
    .result = kResult,
    .chaos = kChaos,
};

}  // namespace tape::engine

namespace tape {

void Runtime::StoreThrown(std::exception_ptr e, std::string* result) {
  std::string type = "unknown exception", message;
  try {
    std::rethrow_exception(e);
  } catch (const EffectError& err) {
    type = err.type();
    message = err.message();
  } catch (const std::exception& err) {
    int status = 0;
    const char* mangled = typeid(err).name();
    char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    type = status == 0 && d ? d : mangled;
    std::free(d);
    message = err.what();
  } catch (...) {
  }
  result->push_back(1);
  Codec<std::string>::Encode(type, result);
  result->append(message);
}

std::string_view Runtime::EffectAt(const Site& site, std::string_view name, std::string_view args,
                                   const LiveCall& live) {
  EffectKind kind = UserKind(name);
  std::string_view r = Perform(site, kind, args, live);
  // The common case, a returned value: tag 0, then the value's bytes (§13.4).
  if (!r.empty() && r[0] == '\0') [[likely]] return r.substr(1);
  engine::ParsedPayload parsed;
  if (!engine::ParsePayload(engine::UserResultLayout(), format::AsBytes(r), &parsed).ok()) {
    BadResult(kind);
  }
  const engine::FieldValue& v = parsed.fields[0];
  if (v.number == 1) {
    throw EffectError(std::string(name), std::string(format::AsChars(v.bytes)),
                      std::string(format::AsChars(v.message)));
  }
  return format::AsChars(v.bytes);
}

}  // namespace tape
