#include "tools/debug_commands.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "engine/debug/evaluate.h"
#include "engine/lang/diagnostics.h"
#include "tools/cli.h"
#include "tools/event_select.h"
#include "tools/event_text.h"
#include "tools/time_arg.h"

namespace tape::cli {

using debug::Stop;
using debug::StopReason;
using nlohmann::ordered_json;

// What a command answers: JSON fields and the text a person reads.
struct DebugShell::Reply {
  ordered_json json = ordered_json::object();
  std::string text;
  bool moved = false;
};

namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The first word of `s`, and the rest (trimmed).
std::pair<std::string_view, std::string_view> SplitWord(std::string_view s) {
  s = Trim(s);
  size_t space = s.find_first_of(" \t");
  if (space == std::string_view::npos) return {s, ""};
  return {s.substr(0, space), Trim(s.substr(space))};
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Status NotANumber(std::string_view what, std::string_view text) {
  if (text.empty()) return Status::InvalidArgument(std::string(what) + " needs a number");
  return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) +
                                 "' is not a whole number");
}

// A line number as the user typed it: 1 up to INT32_MAX.
Result<int> ParseLine(std::string_view what, std::string_view text) {
  std::optional<uint64_t> n = ParseNumber(text);
  if (!n) return NotANumber(what, text);
  if (*n == 0 || *n > INT32_MAX) {
    return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) +
                                   "' is not a line number (lines count from 1)");
  }
  return static_cast<int>(*n);
}

// Whether `file`, as a user or an editor names it (a bare name or a path),
// is the script `name`.
bool IsScript(std::string_view file, const std::string& name) {
  if (file == name) return true;
  size_t slash = file.rfind('/');
  return slash != std::string_view::npos && file.substr(slash + 1) == name;
}

// One source line, numbered: "   12  total += x;" (control bytes escaped).
std::string SourceLineText(const lang::Script& script, int line, const char* mark = "  ") {
  char number[16];
  std::snprintf(number, sizeof number, "%5d", line);
  return std::string(mark) + number + "  " +
         Shown(lang::SourceLine(script.source(), line)) + "\n";
}

// "calc.tape:12 in fn total", "calc.tape:3 in the top level".
std::string LocationText(const debug::Debugger& d, size_t frame) {
  const lang::Machine& m = d.machine();
  lang::Machine::Frame f = m.frame(frame);
  std::string fn = m.module().functions[static_cast<size_t>(f.function)].name;
  return fmt::format("{}:{}{}", Shown(d.script().name()), d.Line(frame),
                     fn.empty() ? " in the top level" : " in fn " + Shown(fn));
}

ordered_json DriftJson(const DriftInfo& d) {
  return {{"kind", DriftKindName(d.kind)}, {"seq", d.seq},         {"expected", d.expected},
          {"got", d.got},                  {"hint", d.hint},       {"recent", d.recent}};
}

// Calls `visit` with the events [first, end) of the trace.
Status ForEvents(const format::TraceReader& r, uint64_t first, uint64_t end,
                 const std::function<void(const format::EventView&)>& visit) {
  EventSelection sel;
  sel.first_seq = first;
  sel.end_seq = end;
  EventWalker walker(r, sel);
  return walker.Forward([&](const format::DecodedChunk& chunk, uint32_t i) {
    visit(chunk.event(i));
    return true;
  });
}

// The process's CPU time so far, in milliseconds (all its threads).
double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

const char* const kHelp[][2] = {
    {"break LINE | FILE:LINE | seq N | effect KIND | site PREFIX | time T [if COND]",
     "stop there (b); with a condition, only when it is true"},
    {"info breakpoints | info snapshots", "list the breakpoints (i b); the snapshots kept"},
    {"delete [N...]", "delete breakpoints, all without a number (d)"},
    {"run", "run from the start to the first breakpoint (r)"},
    {"continue", "run to the next breakpoint or the end (c)"},
    {"step", "to the next line, into calls (s)"},
    {"next", "to the next line in this function, over calls (n)"},
    {"finish", "run until this function returns; show its value (fin)"},
    {"until [LINE]", "run to a line after this one (or to LINE) in this function (u)"},
    {"reverse-step", "back to the previous line, into calls (rs)"},
    {"reverse-next", "back to the previous line in this function (rn)"},
    {"reverse-continue", "back to the previous breakpoint hit (rc)"},
    {"reverse-finish", "back to the call of this function (rf)"},
    {"goto seq N | goto time T", "to just before event N (or the first event at T) is served"},
    {"print EXPR", "evaluate an expression: variables, fields, indexing, builtins (p)"},
    {"locals", "the variables of the selected frame"},
    {"globals", "the script's global variables"},
    {"backtrace", "the calls in progress (bt)"},
    {"frame N | up | down", "select the frame print, locals and list look at (f)"},
    {"list [LINE]", "the source around the current (or that) line (l)"},
    {"where", "seq, time, file:line and the next effect call"},
    {"events [N] | events around [K]", "the next N events (10), or K each side of this one (5)"},
    {"event", "the effect call about to be served: kind, args, recorded result"},
    {"help", "this list (h)"},
    {"quit", "leave the debugger (q)"},
};

}  // namespace

std::string FunctionName(const lang::Module& module, int function) {
  const std::string& name = module.functions[static_cast<size_t>(function)].name;
  return name.empty() ? "top level" : name;
}

std::string TypeOf(const lang::Value& v) { return lang::TypeName(v.type()); }

ordered_json StopJson(const debug::Debugger& d, const Stop& stop) {
  const lang::Machine& m = d.machine();
  ordered_json j = {{"reason", debug::StopReasonName(stop.reason)},
                    {"seq", d.seq()},
                    {"position", d.position()},
                    {"file", d.script().name()},
                    {"line", d.Line()},
                    {"function", FunctionName(m.module(), m.frame(0).function)},
                    {"ended", d.ended()}};
  if (!stop.breakpoints.empty()) j["breakpoints"] = stop.breakpoints;
  if (!stop.message.empty()) j["message"] = stop.message;
  if (stop.drift) j["drift"] = DriftJson(*stop.drift);
  if (!stop.finished.empty()) j["finished"] = stop.finished;
  if (stop.returned) j["returned"] = *stop.returned;
  return j;
}

Result<uint64_t> SeqAtTime(const format::TraceReader& r, std::string_view text) {
  TimeArg arg;
  std::string why;
  if (!ParseTimeArg(text, &arg, &why)) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a time: " + why);
  }
  if (!r.has_times()) {
    return Status::InvalidArgument(r.path() + " has no event times (it was written by an older "
                                              "tape): use seq numbers");
  }
  int64_t ns = ResolveTime(arg, RecordingStart(r), r.last_time_ns());
  EventSelection sel;
  sel.timed = true;
  sel.from_ns = ns;
  std::optional<uint64_t> seq;
  EventWalker walker(r, sel);
  Status s = walker.Forward([&](const format::DecodedChunk& chunk, uint32_t i) {
    seq = chunk.event(i).seq;
    return false;
  });
  if (!s.ok()) return s;
  if (!seq) {
    return Status::InvalidArgument("no event at or after " + FormatInstant(ns) +
                                   ": the recording ends at " + FormatInstant(r.last_time_ns()));
  }
  return *seq;
}

DebugShell::DebugShell(DebugTarget* target, Options options,
                       std::function<void(std::string_view)> write)
    : target_(target), options_(options), write_(std::move(write)) {}

void DebugShell::Output(uint64_t seq, bool is_stderr, std::string_view bytes) {
  if (options_.json) {
    ordered_json j = {{"output", std::string(bytes)},
                      {"stream", is_stderr ? "stderr" : "stdout"},
                      {"seq", seq}};
    write_(JsonLine(j) + "\n");
  } else if (is_stderr) {
    std::fwrite(bytes.data(), 1, bytes.size(), stderr);
  } else {
    write_(bytes);
  }
}

// --- the commands --------------------------------------------------------------------

struct ShellCommands {
  using Reply = DebugShell::Reply;
  DebugShell& shell;
  debug::Debugger& d;

  const lang::Script& script() { return d.script(); }
  const format::TraceReader& reader() { return d.reader(); }

  // The report of a stop, as text.
  std::string StopText(const Stop& stop) {
    std::string out;
    const lang::Machine& m = d.machine();
    std::string at = fmt::format("{} (seq {})", LocationText(d, 0), d.seq());
    switch (stop.reason) {
      case StopReason::kEntry:
        out = "stopped at the start of " + Shown(script().name()) + " (" +
              Count(reader().event_count(), "event", "events") + " recorded)\n";
        break;
      case StopReason::kBreakpoint: {
        std::string ids;
        for (int id : stop.breakpoints) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
        out = (stop.breakpoints.size() > 1 ? "breakpoints " : "breakpoint ") + ids + ", " + at +
              "\n";
        break;
      }
      case StopReason::kStep:
        if (!stop.finished.empty()) {
          out = "fn " + Shown(stop.finished) + " returned" +
                (stop.returned ? " " + Shown(*stop.returned) : std::string()) + "\n";
        }
        out += at + "\n";
        break;
      case StopReason::kGoto: out = fmt::format("before seq {}: {}\n", d.seq(), at); break;
      case StopReason::kStart: out = "at the start of the run (no earlier history): " + at + "\n"; break;
      case StopReason::kInterrupted: out = "interrupted: " + at + "\n"; break;
      case StopReason::kExited:
        return Shown(stop.message) + ", as recorded (" +
               Count(d.seq(), "event", "events") + " served); the reverse commands go back\n";
      case StopReason::kError:
        return "the script stopped with a runtime error, as recorded:\n" +
               ShownLines(stop.message) + "\n";
      case StopReason::kDrift:
        out = "drift: " + ShownLines(stop.drift ? stop.drift->Describe() : stop.message) + "\n";
        if (!stop.message.empty() && stop.drift) out += ShownLines(stop.message) + "\n";
        out += "the replay stopped at " + at + "; the reverse commands go back\n";
        break;
      case StopReason::kTraceError: return "trace error: " + Shown(stop.message) + "\n";
    }
    if (!stop.message.empty() && stop.reason != StopReason::kDrift) {
      out += ShownLines(stop.message) + "\n";
    }
    (void)m;
    out += SourceLineText(script(), d.Line());
    return out;
  }

  Status Move(Result<Stop> stop, Reply* r) {
    if (!stop.has_value()) return stop.error();
    shell.frame_ = 0;
    shell.list_next_ = 0;
    r->moved = true;
    r->json["stop"] = StopJson(d, *stop);
    r->text = StopText(*stop);
    return Status::Ok();
  }

  Status Break(std::string_view args, Reply* r) {
    debug::BreakSpec spec;
    // "LOCATION if CONDITION"
    std::string_view where = args;
    if (size_t at = args.find(" if "); at != std::string_view::npos) {
      where = Trim(args.substr(0, at));
      spec.condition = std::string(Trim(args.substr(at + 4)));
    } else if (args.starts_with("if ")) {
      where = "";
      spec.condition = std::string(Trim(args.substr(3)));
    } else if (args == "if" || args.ends_with(" if")) {
      return Status::InvalidArgument("break: `if` needs a condition, e.g. break 12 if total > 100");
    }
    auto [word, rest] = SplitWord(where);
    if (where.empty()) {
      spec.line = d.Line(shell.frame_);
    } else if (word == "seq") {
      std::optional<uint64_t> seq = ParseNumber(rest);
      if (!seq) return NotANumber("break seq", rest);
      spec.kind = debug::BreakSpec::Kind::kSeq;
      spec.seq = *seq;
    } else if (word == "time") {
      Result<uint64_t> seq = SeqAtTime(reader(), rest);
      if (!seq.has_value()) return seq.error();
      spec.kind = debug::BreakSpec::Kind::kSeq;
      spec.seq = *seq;
      spec.label = "time " + std::string(rest);
    } else if (word == "effect" || word == "site") {
      if (rest.empty()) return Status::InvalidArgument("break " + std::string(word) + " needs a " + (word == "effect" ? "name, e.g. http.request" : "location or site id"));
      spec.kind = word == "effect" ? debug::BreakSpec::Kind::kEffect : debug::BreakSpec::Kind::kSite;
      spec.text = std::string(rest);
    } else {
      // LINE or FILE:LINE
      std::string_view line = where;
      if (size_t colon = where.rfind(':'); colon != std::string_view::npos) {
        std::string_view file = where.substr(0, colon);
        if (!IsScript(file, script().name())) {
          return Status::InvalidArgument("'" + std::string(file) + "' is not the script: it is " +
                                         script().name());
        }
        line = where.substr(colon + 1);
      }
      std::optional<uint64_t> n = ParseNumber(line);
      if (!n || *n == 0 || *n > INT32_MAX) {
        return Status::InvalidArgument(
            "break: '" + std::string(where) +
            "' is not a line (break LINE, FILE:LINE, seq N, effect KIND, site PREFIX or time T; "
            "lines count from 1)");
      }
      spec.line = static_cast<int>(*n);
    }
    if (spec.kind == debug::BreakSpec::Kind::kLine) spec.label = std::to_string(spec.line);
    Result<int> id = d.AddBreakpoint(spec);
    if (!id.has_value()) return id.error();
    const debug::Breakpoint& bp = d.breakpoints().back();
    r->json["breakpoint"] = BreakpointJson(bp);
    r->text = fmt::format("breakpoint {} at {}", *id, Shown(bp.Describe()));
    if (spec.kind == debug::BreakSpec::Kind::kEffect || spec.kind == debug::BreakSpec::Kind::kSite) {
      r->text += " (" + Count(bp.traps.size(), "call site", "call sites") + ")";
    }
    r->text += "\n";
    return Status::Ok();
  }

  ordered_json BreakpointJson(const debug::Breakpoint& bp) {
    static const char* const kKinds[] = {"line", "seq", "effect", "site"};
    ordered_json j = {{"id", bp.id},
                      {"kind", kKinds[static_cast<int>(bp.spec.kind)]},
                      {"where", bp.Describe()},
                      {"hits", bp.hits}};
    switch (bp.spec.kind) {
      case debug::BreakSpec::Kind::kLine: j["line"] = bp.spec.line; break;
      case debug::BreakSpec::Kind::kSeq: j["seq"] = bp.spec.seq; break;
      default: j["match"] = bp.spec.text; break;
    }
    if (!bp.spec.condition.empty()) j["condition"] = bp.spec.condition;
    return j;
  }

  Status Info(std::string_view args, Reply* r) {
    auto [what, rest] = SplitWord(args);
    if (what == "breakpoints" || what == "b" || what == "break") {
      ordered_json list = ordered_json::array();
      for (const debug::Breakpoint& bp : d.breakpoints()) {
        list.push_back(BreakpointJson(bp));
        char line[64];
        std::snprintf(line, sizeof line, "%3d  ", bp.id);
        r->text += line + Shown(bp.Describe()) + "  (" + Count(bp.hits, "hit", "hits") + ")\n";
      }
      if (d.breakpoints().empty()) r->text = "no breakpoints\n";
      r->json["breakpoints"] = list;
      return Status::Ok();
    }
    if (what == "snapshots") {
      r->json["snapshots"] = {{"count", d.snapshot_count()},
                              {"bytes", d.snapshot_bytes()},
                              {"budget", d.snapshot_budget()}};
      r->text =
          fmt::format("{}, {} bytes of {}\n", Count(d.snapshot_count(), "snapshot", "snapshots"),
                      d.snapshot_bytes(), d.snapshot_budget());
      return Status::Ok();
    }
    if (what == "locals") return Locals(r);
    if (what == "globals") return Globals(r);
    if (what == "frame") return Frame("", r);
    return Status::InvalidArgument((what.empty() ? std::string("info") : "info " + std::string(what)) +
                                   ": say info breakpoints, info locals, info globals or info "
                                   "snapshots");
  }

  Status Delete(std::string_view args, Reply* r) {
    ordered_json deleted = ordered_json::array();
    if (args.empty()) {
      for (const debug::Breakpoint& bp : d.breakpoints()) deleted.push_back(bp.id);
      d.DeleteAllBreakpoints();
    }
    while (!args.empty()) {
      auto [word, rest] = SplitWord(args);
      std::optional<uint64_t> id = ParseNumber(word);
      if (!id || *id > INT32_MAX) return NotANumber("delete", word);
      if (Status s = d.DeleteBreakpoint(static_cast<int>(*id)); !s.ok()) return s;
      deleted.push_back(*id);
      args = rest;
    }
    r->json["deleted"] = deleted;
    r->text = deleted.empty() ? "no breakpoints to delete\n"
                              : "deleted " + Count(deleted.size(), "breakpoint", "breakpoints") + "\n";
    return Status::Ok();
  }

  Status Goto(std::string_view args, Reply* r) {
    auto [word, rest] = SplitWord(args);
    std::optional<uint64_t> seq;
    if (args.empty()) return Status::InvalidArgument("goto needs a place: goto seq N or goto time T");
    if (word == "time") {
      Result<uint64_t> at = SeqAtTime(reader(), rest);
      if (!at.has_value()) return at.error();
      seq = *at;
    } else {
      std::string_view n = word == "seq" ? rest : args;
      seq = ParseNumber(n);
      if (!seq) return NotANumber("goto seq", n);
    }
    return Move(d.GotoSeq(*seq), r);
  }

  Status Print(std::string_view expr, Reply* r) {
    Status s = debug::Evaluate(debug::Scope{&d.machine(), shell.frame_}, expr,
                               [&](const lang::Value& v) {
                                 std::string shown = debug::Render(v);
                                 r->json["expression"] = std::string(expr);
                                 r->json["value"] = shown;
                                 r->json["type"] = TypeOf(v);
                                 r->text = Shown(shown) + "\n";
                               });
    return s;
  }

  Status Locals(Reply* r) {
    ordered_json list = ordered_json::array();
    debug::ForEachLocal(d.machine(), shell.frame_, [&](const std::string& name, const lang::Value& v) {
      std::string shown = debug::Render(v);
      list.push_back({{"name", name}, {"value", shown}, {"type", TypeOf(v)}});
      r->text += name + " = " + Shown(shown) + "\n";
    });
    if (list.empty()) r->text = "no locals here\n";
    r->json["locals"] = list;
    return Status::Ok();
  }

  Status Globals(Reply* r) {
    ordered_json list = ordered_json::array();
    debug::ForEachGlobal(d.machine(), [&](const std::string& name, const lang::Value* v) {
      if (v == nullptr) {
        list.push_back({{"name", name}, {"value", nullptr}, {"type", "unset"}});
        r->text += name + " = <not set yet>\n";
        return;
      }
      std::string shown = debug::Render(*v);
      list.push_back({{"name", name}, {"value", shown}, {"type", TypeOf(*v)}});
      r->text += name + " = " + Shown(shown) + "\n";
    });
    if (list.empty()) r->text = "the script has no globals\n";
    r->json["globals"] = list;
    return Status::Ok();
  }

  ordered_json FrameJson(size_t i, std::string* text) {
    const lang::Machine& m = d.machine();
    lang::Machine::Frame f = m.frame(i);
    const lang::Function& fn = m.module().functions[static_cast<size_t>(f.function)];
    ordered_json args = ordered_json::array();
    std::string call = FunctionName(m.module(), f.function);
    if (!fn.name.empty()) {
      call += "(";
      int shown = 0;
      debug::ForEachLocal(m, i, [&](const std::string& name, const lang::Value& v) {
        if (shown >= fn.arity) return;
        std::string value = debug::Render(v, 60);
        args.push_back({{"name", name}, {"value", value}});
        call += (shown++ > 0 ? ", " : "") + name + "=" + Shown(value);
      });
      call += ")";
    }
    int line = d.Line(i);
    *text = fmt::format("#{}  {} at {}:{}\n", i, call, Shown(script().name()), line);
    return {{"index", i},
            {"function", FunctionName(m.module(), f.function)},
            {"file", script().name()},
            {"line", line},
            {"column", f.pos.col},
            {"args", args}};
  }

  Status Backtrace(Reply* r) {
    ordered_json frames = ordered_json::array();
    for (size_t i = 0; i < d.machine().depth(); ++i) {
      std::string text;
      frames.push_back(FrameJson(i, &text));
      r->text += text;
    }
    r->json["frames"] = frames;
    return Status::Ok();
  }

  Status Frame(std::string_view args, Reply* r) {
    size_t depth = d.machine().depth();
    if (!args.empty()) {
      std::optional<uint64_t> n = ParseNumber(args);
      if (!n) return NotANumber("frame", args);
      if (*n >= depth) {
        return Status::InvalidArgument(
            fmt::format("no frame {}: there are {} (0..{})", *n, depth, depth - 1));
      }
      shell.frame_ = *n;
    }
    shell.list_next_ = 0;  // `list` shows the selected frame's line again
    std::string text;
    r->json["frame"] = FrameJson(shell.frame_, &text);
    r->text = text + SourceLineText(script(), d.Line(shell.frame_));
    return Status::Ok();
  }

  Status UpDown(int delta, Reply* r) {
    size_t depth = d.machine().depth();
    if (delta > 0 && shell.frame_ + 1 >= depth) {
      return Status::InvalidArgument("the top-level code has no caller");
    }
    if (delta < 0 && shell.frame_ == 0) return Status::InvalidArgument("already in the innermost frame");
    shell.frame_ = delta > 0 ? shell.frame_ + 1 : shell.frame_ - 1;
    return Frame("", r);  // resets `list` too
  }

  Status List(std::string_view args, Reply* r) {
    const std::string& source = script().source();
    int lines = static_cast<int>(std::count(source.begin(), source.end(), '\n'));
    if (!source.empty() && source.back() != '\n') ++lines;
    int current = d.Line(shell.frame_);
    int first;
    if (!args.empty()) {
      Result<int> n = ParseLine("list", args);
      if (!n.has_value()) return n.error();
      if (*n > lines) {
        return Status::InvalidArgument(
            fmt::format("line {} is past the end: {} has {} lines", args, script().name(), lines));
      }
      first = std::max(1, *n - 5);
    } else {
      first = shell.list_next_ > 0 ? shell.list_next_ : std::max(1, current - 5);
    }
    if (first > lines) return Status::InvalidArgument("at the end of " + script().name());
    int last = std::min(lines, first + 9);
    std::vector<int> marked;
    for (const debug::Breakpoint& bp : d.breakpoints()) {
      if (bp.spec.kind == debug::BreakSpec::Kind::kLine) marked.push_back(bp.spec.line);
    }
    ordered_json list = ordered_json::array();
    for (int n = first; n <= last; ++n) {
      bool here = n == current;
      bool bp = std::find(marked.begin(), marked.end(), n) != marked.end();
      list.push_back({{"line", n},
                      {"text", std::string(lang::SourceLine(script().source(), n))},
                      {"current", here},
                      {"breakpoint", bp}});
      r->text += SourceLineText(script(), n, here ? "=>" : bp ? "* " : "  ");
    }
    shell.list_next_ = last + 1;
    r->json["lines"] = list;
    return Status::Ok();
  }

  Status Where(Reply* r) {
    uint64_t seq = d.seq(), count = reader().event_count();
    ordered_json j = {{"seq", seq},
                      {"events", count},
                      {"position", d.position()},
                      {"file", script().name()},
                      {"line", d.Line()},
                      {"function", FunctionName(d.machine().module(), d.machine().frame(0).function)},
                      {"ended", d.ended()},
                      {"time", nullptr},
                      {"next", nullptr}};
    r->text = fmt::format("seq {} of {}, {}{}\n", seq, count, LocationText(d, 0),
                          d.ended() ? " (the run has ended)" : "");
    Status s = ForEvents(reader(), seq, seq + 1, [&](const format::EventView& e) {
      if (e.time_ns != 0) {
        j["time"] = e.time_ns;
        r->text += "time " + FormatInstant(e.time_ns) + " (recorded, of the next event)\n";
      }
      j["next"] = EventJson(reader(), e);
      r->text += "next: " + EventLine(reader(), e) + "\n";
    });
    if (!s.ok()) return s;
    if (seq >= count) r->text += "next: none (every recorded event was served)\n";
    r->json["where"] = j;
    return Status::Ok();
  }

  Status Events(std::string_view args, Reply* r) {
    auto [word, rest] = SplitWord(args);
    uint64_t seq = d.seq(), count = reader().event_count();
    uint64_t first = seq, end;
    if (word == "around") {
      std::optional<uint64_t> k = rest.empty() ? std::optional<uint64_t>(5) : ParseNumber(rest);
      if (!k || *k > 100000) return NotANumber("events around", rest);
      first = seq > *k ? seq - *k : 0;
      end = seq + *k + 1;
    } else {
      std::optional<uint64_t> n = args.empty() ? std::optional<uint64_t>(10) : ParseNumber(args);
      if (!n || *n == 0 || *n > 100000) {
        return Status::InvalidArgument("events: '" + std::string(args) +
                                       "' is not a count from 1 to 100000 (or say `events around`)");
      }
      end = seq + *n;
    }
    ordered_json list = ordered_json::array();
    bool with_time = reader().has_times();
    Status s = ForEvents(reader(), first, std::min(end, count), [&](const format::EventView& e) {
      list.push_back(EventJson(reader(), e));
      r->text += (e.seq == seq ? "> " : "  ") + EventLine(reader(), e, with_time) + "\n";
    });
    if (!s.ok()) return s;
    if (list.empty()) r->text = "no more events: all " + Count(count, "event", "events") + " were served\n";
    r->json["events"] = list;
    return Status::Ok();
  }

  Status Event(Reply* r) {
    uint64_t seq = d.seq();
    r->json["event"] = nullptr;
    r->text = "no more events: the recording has " + Count(reader().event_count(), "event", "events") + "\n";
    return ForEvents(reader(), seq, seq + 1, [&](const format::EventView& e) {
      r->json["event"] = EventJson(reader(), e);
      r->text = "about to serve: " + EventLine(reader(), e, reader().has_times()) + "\n";
    });
  }

  Status Help(Reply* r) {
    ordered_json list = ordered_json::array();
    for (const auto& h : kHelp) {
      list.push_back({{"command", h[0]}, {"does", h[1]}});
      r->text += std::string(h[0]) + "\n      " + h[1] + "\n";
    }
    r->json["help"] = list;
    return Status::Ok();
  }

  // Runs `name args`; *quit on quit.
  Status Run(std::string_view name, std::string_view args, Reply* r, bool* quit) {
    auto is = [&](std::initializer_list<std::string_view> names) {
      for (std::string_view n : names) {
        if (name == n) return true;
      }
      return false;
    };
    auto no_args = [&]() -> Status {
      if (args.empty()) return Status::Ok();
      return Status::InvalidArgument(std::string(name) + " takes no arguments");
    };
    if (is({"break", "b", "br"})) return Break(args, r);
    if (is({"info", "i"})) return Info(args, r);
    if (is({"delete", "d"})) return Delete(args, r);
    if (is({"print", "p"})) return Print(args, r);
    if (is({"goto"})) return Goto(args, r);
    if (is({"until", "u"})) {
      if (args.empty()) return Move(d.Until(), r);
      Result<int> line = ParseLine("until", args);
      if (!line.has_value()) return line.error();
      return Move(d.Until(*line), r);
    }
    if (is({"list", "l"})) return List(args, r);
    if (is({"frame", "f"})) return Frame(args, r);
    if (is({"events"})) return Events(args, r);
    Status s = no_args();
    if (!s.ok()) return s;
    if (is({"run", "r"})) return Move(d.Run(), r);
    if (is({"continue", "c"})) return Move(d.Continue(), r);
    if (is({"step", "s"})) return Move(d.Step(), r);
    if (is({"next", "n"})) return Move(d.Next(), r);
    if (is({"finish", "fin"})) return Move(d.Finish(), r);
    if (is({"reverse-step", "rs"})) return Move(d.ReverseStep(), r);
    if (is({"reverse-next", "rn"})) return Move(d.ReverseNext(), r);
    if (is({"reverse-continue", "rc"})) return Move(d.ReverseContinue(), r);
    if (is({"reverse-finish", "rf"})) return Move(d.ReverseFinish(), r);
    if (is({"locals"})) return Locals(r);
    if (is({"globals"})) return Globals(r);
    if (is({"backtrace", "bt"})) return Backtrace(r);
    if (is({"up"})) return UpDown(1, r);
    if (is({"down"})) return UpDown(-1, r);
    if (is({"where"})) return Where(r);
    if (is({"event"})) return Event(r);
    if (is({"help", "h"})) return Help(r);
    if (is({"quit", "q", "exit"})) {
      *quit = true;
      r->text = "";
      return Status::Ok();
    }
    return Status::InvalidArgument("unknown command '" + std::string(name) +
                                   "' (`help` lists the commands)");
  }
};

bool DebugShell::Execute(std::string_view input, bool* moved) {
  std::string_view line = Trim(input);
  if (moved) *moved = false;
  if (line.starts_with("#")) return true;  // a comment in a command file
  std::string repeated;
  if (line.empty()) {
    if (!options_.interactive || last_move_.empty()) return true;
    repeated = last_move_;
    line = repeated;
  }
  auto [name, args] = SplitWord(line);
  Reply reply;
  bool quit = false;
  ShellCommands commands{*this, dbg()};
  Status s;
  auto start = std::chrono::steady_clock::now();
  double cpu_start = CpuMs();
  try {
    s = commands.Run(name, args, &reply, &quit);
  } catch (const std::exception& e) {
    s = Status::InvalidArgument(std::string("internal error: ") + e.what());
  }
  // How long the command took, and the CPU time it used (JSON only): what
  // the benchmarks read.
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  reply.json["elapsed_ms"] = std::round(took.count() * 100) / 100;
  reply.json["cpu_ms"] = std::round((CpuMs() - cpu_start) * 100) / 100;
  if (reply.moved) {
    last_move_ = std::string(line);
    if (moved) *moved = true;
  }
  Emit(line, s, reply);
  return !quit;
}

void DebugShell::Emit(std::string_view line, const Status& status, const Reply& reply) {
  last_failed_ = !status.ok();
  if (options_.json) {
    ordered_json j = {{"command", std::string(line)}, {"ok", status.ok()}};
    if (!status.ok()) j["error"] = status.message();
    for (auto& [key, value] : reply.json.items()) {
      if (status.ok() || key == "elapsed_ms" || key == "cpu_ms") j[key] = value;
    }
    write_(JsonLine(j) + "\n");
    return;
  }
  if (!status.ok()) {
    write_("error: " + ShownLines(status.message()) + "\n");
    return;
  }
  write_(reply.text);
}

void DebugShell::ShowStop(const Stop& stop) {
  Reply reply;
  ShellCommands commands{*this, dbg()};
  (void)commands.Move(stop, &reply);
  Emit("", Status::Ok(), reply);
}

}  // namespace tape::cli
