// io.read_line and io.read_all: standard input, line by line or all that is
// left. Replay returns the recorded input whatever standard input is then
// (another file, a terminal, closed).

#include <fmt/format.h>

#include <cerrno>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"
#include "engine/effects/stdin_reader.h"

namespace tape::engine {

namespace {

constexpr Fields<IoLine> kLineResult{Field<&IoLine::error>(FieldType::kErrno, "errno"),
                                     Field<&IoLine::line>(FieldType::kOptText, "line")};
constexpr Fields<FsReadResult> kAllResult{
    Field<&FsReadResult::error, &FsReadResult::data>(FieldType::kErrnoData, "data")};

// Both calls take the process's one reader: tape::Threads may read at once.
IoLine ReadLine(LiveEnv&, const NoArgs&) {
  StdinReader& in = StdinReader::Process();
  std::lock_guard lock(in.mu());
  IoLine r;
  r.error = in.ReadLine(kMaxStdinLineBytes, &r.line);
  return r;
}

FsReadResult ReadAll(LiveEnv&, const NoArgs&) {
  StdinReader& in = StdinReader::Process();
  std::lock_guard lock(in.mu());
  FsReadResult r;
  r.error = in.ReadAll(kMaxFsReadBytes, &r.data);
  return r;
}

constexpr Perturbation kLineChaos[] = {
    // The input ends early.
    Replace<kLineResult>("eof", [] { return IoLine(); }),
    Replace<kLineResult>("eio", [] { return IoLine{.error = EIO}; }),
};
constexpr Perturbation kAllChaos[] = {
    // The input ends early: what was read comes back cut short.
    ChangeResult<kAllResult>("truncate",
                             [](FsReadResult& r, ChaosDraw& draw) {
                               if (r.error != 0 || r.data.empty()) return false;
                               r.data.resize(draw.Next() % r.data.size());
                               return true;
                             }),
    Replace<kAllResult>("eio", [] { return FsReadResult{.error = EIO}; }),
};

// io.read_line() is the next line without its newline, nil at the end of
// input (io.last_error() 0) or when the read failed (the errno); a line too
// long to hold faults, rather than reading as the end of input.
Value ReadLineValue(ScriptCall& c) {
  IoLine r = c.rt.IoReadLineAt(c.site);
  *c.last_error = Value::Int(r.error);
  if (r.error == EFBIG) {
    lang::Fault(fmt::format(
        "io.read_line(): a line of standard input is longer than {} bytes, the most a line may "
        "hold; read such input with io.read_all() or fs.read()",
        kMaxStdinLineBytes));
  }
  if (!r.line) return Value();
  return Value::String(std::move(*r.line));
}

// io.read_all() is the rest of standard input ("" at its end), or nil when
// the read failed (the errno in io.last_error()); more than fs.read reads
// faults.
Value ReadAllValue(ScriptCall& c) {
  FsReadResult r = c.rt.IoReadAllAt(c.site);
  *c.last_error = Value::Int(r.error);
  if (r.error == EFBIG) {
    lang::Fault(fmt::format(
        "io.read_all(): standard input holds more than {} bytes, the most a read may return",
        kMaxFsReadBytes));
  }
  if (!r.ok()) return Value();
  return Value::String(std::move(r.data));
}

constexpr ScriptBinding kLineScript[] = {
    {"io", "read_line", 0, ReadLineValue, ScriptErrors::kErrno}};
constexpr ScriptBinding kAllScript[] = {{"io", "read_all", 0, ReadAllValue, ScriptErrors::kErrno}};

}  // namespace

// Timed, as fs.read: a read waits for whoever writes standard input.
constinit const EffectSpec kIoReadLine = {
    .kind = EffectKind::kIoReadLine,
    .name = "io.read_line",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kLineResult,
    .measured = true,
    .live = LiveTyped<kNoArgs, kLineResult, ReadLine>,
    .chaos = kLineChaos,
    .script = kLineScript,
};

constinit const EffectSpec kIoReadAll = {
    .kind = EffectKind::kIoReadAll,
    .name = "io.read_all",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kAllResult,
    .measured = true,
    .live = LiveTyped<kNoArgs, kAllResult, ReadAll>,
    .chaos = kAllChaos,
    .script = kAllScript,
};

}  // namespace tape::engine

namespace tape {

IoLine Runtime::IoReadLineAt(const Site& site) {
  return engine::EffectCall::Perform<engine::kNoArgs, engine::kLineResult>(
      *this, site, EffectKind::kIoReadLine, {});
}

FsReadResult Runtime::IoReadAllAt(const Site& site) {
  return engine::EffectCall::Perform<engine::kNoArgs, engine::kAllResult>(
      *this, site, EffectKind::kIoReadAll, {});
}

}  // namespace tape
