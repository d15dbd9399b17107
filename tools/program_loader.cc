#include "tools/program_loader.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/programs/programs.h"

#if __has_include("engine/lang/script.h")
#include "engine/lang/script.h"
#define TAPE_HAVE_LANG 1
#endif

namespace tape::cli {

namespace {


Result<Program> FromScriptSource(std::string name, std::string source) {
#ifdef TAPE_HAVE_LANG
  auto script = lang::Script::Compile(name, source);
  if (!script.has_value()) return script.error();
  std::shared_ptr<const lang::Script> compiled = *script;
  Program p;
  p.kind = ProgramKind::kScript;
  p.name = std::move(name);
  p.code_hash = compiled->code_hash();
  p.script_source = std::move(source);
  p.main = [compiled](Runtime& rt) { return compiled->Run(rt); };
  return p;
#else
  (void)name;
  (void)source;
  return Status::InvalidArgument("this build of tape has no script interpreter");
#endif
}

}  // namespace

Result<Program> LoadBuiltin(const std::string& name) {
  if (const programs::BuiltinProgram* b = programs::FindBuiltin(name)) return programs::MakeProgram(*b);
  std::string names;
  for (const programs::BuiltinProgram& b : programs::Builtins()) {
    names += names.empty() ? "" : ", ";
    names += b.name;
  }
  std::string hint = name.ends_with(".tape") ? " (to record a script, use: tape run " + name + ")" : "";
  return Status::InvalidArgument("unknown program '" + name + "'; built-in programs are: " + names +
                                 hint);
}

Result<Program> LoadScript(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      return Status::NotFound("no such program or script: '" + path +
                              "' (built-in programs: tape list)");
    }
    return Status::FromErrno("cannot read script " + path, err);
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " is a directory, not a script");
#ifdef TAPE_HAVE_LANG
  if (st.st_size > lang::kMaxSourceBytes) {
    return Status::InvalidArgument(path + " is " + std::to_string(st.st_size) +
                                   " bytes; scripts are limited to " +
                                   std::to_string(lang::kMaxSourceBytes >> 20) + " MiB");
  }
#endif
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno("cannot read script " + path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  // The name is the file name alone: a script replays from any directory,
  // whatever path spelling recorded it.
  return FromScriptSource(std::filesystem::path(path).filename().string(), text.str());
}

Result<Program> LoadFromTrace(const format::TraceHeader& header) {
  switch (header.program_kind) {
    case format::ProgramKind::kBuiltin:
      return LoadBuiltin(header.program_name);
    case format::ProgramKind::kScript:
      return FromScriptSource(header.program_name, header.script_source);
    case format::ProgramKind::kEmbedded:
      return Status::InvalidArgument("the trace was recorded by the embedded program '" +
                                     header.program_name +
                                     "'; replay it with that program (its 'replay' command)");
  }
  return Status::InvalidArgument("the trace names an unknown kind of program");
}

std::string DescribeScriptChange(const std::string& recorded_source,
                                 const std::string& current_source) {
#ifdef TAPE_HAVE_LANG
  return lang::DescribeFirstChange(recorded_source, current_source);
#else
  (void)recorded_source;
  (void)current_source;
  return "";
#endif
}

}  // namespace tape::cli
