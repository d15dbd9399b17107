#include "engine/lang/code_hash.h"

#include <xxhash.h>

#include "format/bytes.h"

namespace tape::lang {

std::string CodeHash(const std::vector<Token>& tokens) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  static constexpr std::string_view kDomain = "tape-script/1\n";
  XXH3_128bits_update(state, kDomain.data(), kDomain.size());
  for (const Token& t : tokens) {
    if (t.kind == Tok::kEof) break;
    uint32_t n = static_cast<uint32_t>(t.lexeme.size());
    uint8_t len[4];
    format::StoreU32(len, n);
    XXH3_128bits_update(state, len, sizeof len);
    XXH3_128bits_update(state, t.lexeme.data(), t.lexeme.size());
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest);
}

uint64_t ScriptSiteId(std::string_view scope, std::string_view effect, int ordinal) {
  std::string text = "tape-script-site/1:";
  text.append(scope.empty() ? "<top>" : scope).append(":").append(effect).append(":");
  text.append(std::to_string(ordinal));
  return XXH3_64bits(text.data(), text.size());
}

}  // namespace tape::lang
