// fs.stat: what a path names (lstat: a symbolic link is a link), its size,
// permission bits and modification time; or the errno that prevented
// knowing. Replay returns the recorded answer: the file need not exist.

#include <sys/stat.h>

#include <cerrno>

#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape {

// A FileKind travels as text, so that a trace reads "dir" (bind.h finds
// these by the type's namespace). Any other text is not a FileKind.
constexpr std::string_view kKindNames[] = {"", "file", "dir", "link", "other"};
static void ToField(FileKind kind, engine::FieldValue* v, engine::BindStorage*) {
  v->bytes = format::AsBytes(kKindNames[uint8_t(kind)]);
}
static bool FromField(const engine::FieldValue& v, FileKind* kind) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (format::AsChars(v.bytes) == kKindNames[i]) {
      *kind = FileKind(i);
      return true;
    }
  }
  return false;
}

}  // namespace tape

namespace tape::engine {

namespace {

constexpr Fields<FsStatResult> kResult{Field<&FsStatResult::error>(FieldType::kErrno, "errno"),
                                       Field<&FsStatResult::kind>(FieldType::kSizedText, "kind"),
                                       Field<&FsStatResult::size>(FieldType::kU64, "size"),
                                       Field<&FsStatResult::mode>(FieldType::kU32, "mode"),
                                       Field<&FsStatResult::mtime_ns>(FieldType::kTimeNs, "mtime")};

FsStatResult Stat(LiveEnv&, const PathArg& p) {
  struct stat st;
  std::string path(p.path);
  if (::lstat(path.c_str(), &st) != 0) return {.error = errno};
  FileKind kind = S_ISREG(st.st_mode)   ? FileKind::kFile
                  : S_ISDIR(st.st_mode) ? FileKind::kDir
                  : S_ISLNK(st.st_mode) ? FileKind::kLink
                                        : FileKind::kOther;
  return {.kind = kind,
          .size = uint64_t(st.st_size),
          .mode = uint32_t(st.st_mode & 07777),
          .mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

constexpr Perturbation kChaos[] = {
    Replace<kResult>("enoent", [] { return FsStatResult{.error = ENOENT}; }),
    Replace<kResult>("eacces", [] { return FsStatResult{.error = EACCES}; }),
};

// fs.stat(path): {"exists", "kind", "size", "mode", "mtime"}; "exists" is
// false for any error, which fs.last_error() tells.
Value StatValue(ScriptCall& c) {
  FsStatResult st = c.rt.FsStatAt(c.site, NameArg("fs.stat", c.args[0], "path"));
  *c.last_error = Value::Int(st.error);
  return MapOf({{"exists", Value::Bool(st.exists())},
                {"kind", Value::String(kKindNames[uint8_t(st.kind)])},
                {"size", Value::Int(int64_t(st.size))},
                {"mode", Value::Int(st.mode)},
                {"mtime", Value::Int(st.mtime_ns)}});
}
constexpr ScriptBinding kScript[] = {{"fs", "stat", 1, StatValue, ScriptErrors::kErrno}};

}  // namespace

constinit const EffectSpec kFsStat = {
    .kind = EffectKind::kFsStat,
    .name = "fs.stat",
    .direction = Direction::kInput,
    .args = kPathArg,
    .result = kResult,
    .measured = true,
    .live = LiveTyped<kPathArg, kResult, Stat>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

FsStatResult Runtime::FsStatAt(const Site& site, std::string_view path) {
  return engine::EffectCall::Perform<engine::kPathArg, engine::kResult>(
      *this, site, EffectKind::kFsStat, {path});
}

}  // namespace tape
