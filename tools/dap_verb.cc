// tape dap: the script debugger over the Debug Adapter Protocol, on stdin and
// stdout, for editors (VS Code, Neovim's nvim-dap, Emacs' dape, ...).
// specs/debugger.md §6 lists the requests, capabilities and events.
//
// One thread: a request that moves the run is answered at once, the run
// happens, and a `stopped` event follows. While a run goes on, stdin is
// polled between its slices, so that a `pause` request stops it; other
// requests that arrive meanwhile are handled after it stops.

#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/debug/evaluate.h"
#include "tools/cli.h"
#include "tools/debug_commands.h"
#include "tools/debug_target.h"
#include "tools/event_select.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

using json = nlohmann::json;
using debug::Stop;
using debug::StopReason;

// A request body may be at most this large; a larger Content-Length is a
// broken client, not a request to allocate.
constexpr size_t kMaxMessage = size_t{64} << 20;
// Children shown for a list or map when the client does not page.
constexpr size_t kMaxChildren = 1000;
constexpr int kThread = 1;

// Reads DAP messages ("Content-Length: N\r\n\r\n" + N bytes of JSON) from a fd.
class MessageReader {
 public:
  explicit MessageReader(int fd) : fd_(fd) {}

  // The next message; nullopt at the end of input or on a framing error
  // (`error` says which).
  std::optional<json> Next(std::string* error) {
    for (;;) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        bool found = false;
        for (size_t at = 0; at < end;) {
          size_t eol = buffer_.find("\r\n", at);
          std::string line = buffer_.substr(at, eol - at);
          if (line.rfind("Content-Length:", 0) == 0) {
            found = true;
            try {
              length = std::stoull(line.substr(15));
            } catch (...) {
              found = false;
            }
          }
          at = eol + 2;
        }
        if (!found || length > kMaxMessage) {
          *error = "a message without a valid Content-Length header (at most 64 MiB)";
          return std::nullopt;
        }
        if (!Fill(end + 4 + length)) {
          *error = "the input ended inside a message";
          return std::nullopt;
        }
        std::string body = buffer_.substr(end + 4, length);
        buffer_.erase(0, end + 4 + length);
        json message = json::parse(body, nullptr, /*allow_exceptions=*/false);
        if (message.is_discarded() || !message.is_object()) {
          *error = "a message that is not a JSON object";
          return std::nullopt;
        }
        return message;
      }
      if (buffer_.size() > 64 * 1024) {
        *error = "a message header longer than 64 KiB";
        return std::nullopt;
      }
      if (!ReadSome()) {
        *error = "";
        return std::nullopt;
      }
    }
  }

  // Whether a message (or part of one) is waiting.
  bool Ready() {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  bool ReadSome() {
    char chunk[65536];
    for (;;) {
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }
  bool Fill(size_t size) {
    while (buffer_.size() < size) {
      if (!ReadSome()) return false;
    }
    return true;
  }
  int fd_;
  std::string buffer_;
};

// What a `variablesReference` stands for while the run is stopped.
struct VarRef {
  enum class Kind { kLocals, kGlobals, kRecording, kValue };
  Kind kind = Kind::kLocals;
  size_t frame = 0;
  std::string expression;  // kValue: what gives the value (x, x[2], m["k"])
  bool globals_only = false;
};

class DapServer {
 public:
  explicit DapServer(const DebugArgs& args) : args_(args), in_(0) {}

  int Serve() {
    for (;;) {
      json message;
      if (!pending_.empty()) {
        message = std::move(pending_.front());
        pending_.pop_front();
      } else {
        std::string error;
        std::optional<json> next = in_.Next(&error);
        if (!next) {
          if (!error.empty()) Error("dap", error);
          return error.empty() ? kExitOk : kExitUsage;
        }
        message = std::move(*next);
      }
      if (message.value("type", "") != "request") continue;
      Handle(message);
      if (done_) return kExitOk;
    }
  }

 private:
  // --- sending ----------------------------------------------------------------
  void Send(json message) {
    message["seq"] = ++seq_;
    std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out = fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
    for (size_t at = 0; at < out.size();) {
      ssize_t n = ::write(1, out.data() + at, out.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        done_ = true;  // the client is gone
        return;
      }
      at += static_cast<size_t>(n);
    }
  }
  void Respond(const json& request, json body = json::object()) {
    Send({{"type", "response"},
          {"request_seq", request.value("seq", 0)},
          {"success", true},
          {"command", request.value("command", "")},
          {"body", std::move(body)}});
  }
  void Refuse(const json& request, const std::string& message) {
    Send({{"type", "response"},
          {"request_seq", request.value("seq", 0)},
          {"success", false},
          {"command", request.value("command", "")},
          {"message", message},
          {"body", {{"error", {{"id", 1}, {"format", message}, {"showUser", true}}}}}});
  }
  void Event(const std::string& name, json body = json::object()) {
    Send({{"type", "event"}, {"event", name}, {"body", std::move(body)}});
  }
  void Console(const std::string& text) {
    Event("output", {{"category", "console"}, {"output", text + "\n"}});
  }

  // --- requests ----------------------------------------------------------------
  void Handle(const json& request) {
    const std::string command = request.value("command", "");
    const json& arguments =
        request.contains("arguments") && request["arguments"].is_object() ? request["arguments"]
                                                                          : kEmpty;
    try {
      if (command == "initialize") return Initialize(request, arguments);
      if (command == "launch") return Launch(request, arguments);
      if (command == "disconnect" || command == "terminate") {
        Respond(request);
        if (command == "terminate") Event("terminated");
        done_ = true;
        return;
      }
      if (!target_) return Refuse(request, "no recording is open: send `launch` first");
      if (command == "setBreakpoints") return SetBreakpoints(request, arguments);
      if (command == "setExceptionBreakpoints" || command == "setFunctionBreakpoints") {
        return Respond(request, {{"breakpoints", json::array()}});
      }
      if (command == "configurationDone") return ConfigurationDone(request);
      if (command == "threads") {
        return Respond(request, {{"threads", {{{"id", kThread}, {"name", "script"}}}}});
      }
      if (command == "stackTrace") return StackTrace(request, arguments);
      if (command == "scopes") return Scopes(request, arguments);
      if (command == "variables") return Variables(request, arguments);
      if (command == "evaluate") return Evaluate(request, arguments);
      if (command == "source") {
        return Respond(request, {{"content", target_->script->source()}, {"mimeType", "text/x-tape"}});
      }
      if (command == "exceptionInfo") return ExceptionInfo(request);
      if (command == "pause") {
        Respond(request);
        return Stopped(Pause());
      }
      if (command == "continue") return Move(request, [&] { return dbg().Continue(); }, {{"allThreadsContinued", true}});
      if (command == "next") return Move(request, [&] { return dbg().Next(); });
      if (command == "stepIn") return Move(request, [&] { return dbg().Step(); });
      if (command == "stepOut") return Move(request, [&] { return dbg().Finish(); });
      if (command == "stepBack") return Move(request, [&] { return dbg().ReverseNext(); });
      if (command == "reverseContinue") return Move(request, [&] { return dbg().ReverseContinue(); });
      if (command == "restart") return Move(request, [&] { return dbg().Run(); });
      Refuse(request, "tape dap does not support the request '" + command + "'");
    } catch (const json::exception& e) {
      Refuse(request, std::string("bad arguments: ") + e.what());
    }
  }

  void Initialize(const json& request, const json& a) {
    // Lines and columns are 1-based unless the client says otherwise.
    line_base_ = a.value("linesStartAt1", true) ? 0 : 1;
    column_base_ = a.value("columnsStartAt1", true) ? 0 : 1;
    Respond(request, {{"supportsConfigurationDoneRequest", true},
                      {"supportsConditionalBreakpoints", true},
                      {"supportsStepBack", true},
                      {"supportsEvaluateForHovers", true},
                      {"supportsExceptionInfoRequest", true},
                      {"supportsRestartRequest", true},
                      {"supportsTerminateRequest", true},
                      {"exceptionBreakpointFilters", json::array()}});
  }

  void Launch(const json& request, const json& a) {
    if (target_) return Refuse(request, "a recording is open already");
    DebugTargetArgs t;
    t.trace = a.value("trace", "");
    t.script = a.value("program", "");
    t.ignore_code_hash = a.value("ignoreCodeHash", false);
    t.snapshot_memory = int64_t(args_.snapshot_memory_mb) << 20;
    stop_on_entry_ = a.value("stopOnEntry", false);
    if (t.trace.empty()) return Refuse(request, "launch needs \"trace\": the recording to debug");
    DebugTargetError error;
    target_ = OpenDebugTarget(t, &error);
    if (!target_) return Refuse(request, error.message);
    if (!t.script.empty()) {
      std::error_code ec;
      source_path_ = std::filesystem::absolute(t.script, ec).string();
    }
    dbg().set_output_sink([this](uint64_t, bool is_stderr, std::string_view bytes) {
      Event("output", {{"category", is_stderr ? "stderr" : "stdout"}, {"output", std::string(bytes)}});
    });
    dbg().set_interrupt_check([this] { return PausePending(); });
    shell_ = std::make_unique<DebugShell>(target_.get(), DebugShell::Options{},
                                          [this](std::string_view text) { shell_text_ += text; });
    Respond(request);
    Event("initialized");
  }

  void SetBreakpoints(const json& request, const json& a) {
    json source = a.value("source", json::object());
    std::string path = source.value("path", source.value("name", ""));
    std::string name = std::filesystem::path(path).filename().string();
    // This source's breakpoints replace the ones set before.
    for (int id : line_breakpoints_) (void)dbg().DeleteBreakpoint(id);
    line_breakpoints_.clear();
    json out = json::array();
    json wanted = a.value("breakpoints", json::array());
    for (const json& b : wanted) {
      int line = b.value("line", 0) + line_base_;
      json result = {{"verified", false}, {"line", line - line_base_}};
      if (!name.empty() && name != target_->script->name() && source.value("sourceReference", 0) == 0) {
        result["message"] = "not the script being debugged (" + target_->script->name() + ")";
        out.push_back(result);
        continue;
      }
      debug::BreakSpec spec;
      spec.line = line;
      spec.label = std::to_string(line);
      spec.condition = b.value("condition", "");
      Result<int> id = dbg().AddBreakpoint(spec);
      if (!id.has_value()) {
        result["message"] = id.error().message();
      } else {
        line_breakpoints_.push_back(*id);
        result["id"] = *id;
        result["verified"] = true;
      }
      out.push_back(result);
    }
    Respond(request, {{"breakpoints", out}});
  }

  void ConfigurationDone(const json& request) {
    Respond(request);
    if (stop_on_entry_) return Stopped(dbg().last_stop());
    Result<Stop> stop = dbg().Continue();
    Stopped(stop.has_value() ? *stop : dbg().last_stop());
  }

  json Source() const {
    json s = {{"name", target_->script->name()}};
    if (!source_path_.empty()) {
      s["path"] = source_path_;
    } else {
      s["sourceReference"] = 1;  // the trace's copy: the client asks with `source`
    }
    return s;
  }

  void StackTrace(const json& request, const json& a) {
    const lang::Machine& m = dbg().machine();
    size_t depth = m.depth();
    size_t start = a.value("startFrame", 0);
    size_t levels = a.value("levels", 0);
    size_t end = levels == 0 ? depth : std::min(depth, start + levels);
    json frames = json::array();
    for (size_t i = start; i < end; ++i) {
      lang::Machine::Frame f = m.frame(i);
      frames.push_back({{"id", i + 1},
                        {"name", FunctionName(m.module(), f.function)},
                        {"source", Source()},
                        {"line", dbg().Line(i) - line_base_},
                        {"column", f.pos.col - column_base_}});
    }
    Respond(request, {{"stackFrames", frames}, {"totalFrames", depth}});
  }

  // The frame of a request's frameId (1-based), or 0.
  size_t FrameOf(const json& a) const {
    int64_t id = a.value("frameId", int64_t{1});
    if (id < 1 || static_cast<size_t>(id) > dbg().machine().depth()) return 0;
    return static_cast<size_t>(id - 1);
  }

  int NewRef(VarRef ref) {
    refs_.push_back(std::move(ref));
    return static_cast<int>(refs_.size());
  }

  void Scopes(const json& request, const json& a) {
    size_t frame = FrameOf(a);
    json scopes = json::array();
    scopes.push_back({{"name", "Locals"},
                      {"presentationHint", "locals"},
                      {"variablesReference", NewRef({VarRef::Kind::kLocals, frame, "", false})},
                      {"expensive", false}});
    scopes.push_back({{"name", "Globals"},
                      {"variablesReference", NewRef({VarRef::Kind::kGlobals, frame, "", false})},
                      {"expensive", false}});
    scopes.push_back({{"name", "Recording"},
                      {"variablesReference", NewRef({VarRef::Kind::kRecording, frame, "", false})},
                      {"expensive", false}});
    Respond(request, {{"scopes", scopes}});
  }

  // A variable as DAP shows it; lists and maps get a reference to their items.
  json Variable(const std::string& name, const lang::Value& v, size_t frame,
                const std::string& expression, bool globals_only) {
    json out = {{"name", name},
                {"value", debug::Render(v, 200)},
                {"type", TypeOf(v)},
                {"evaluateName", expression},
                {"variablesReference", 0}};
    if (v.is_list() || v.is_map()) {
      out["variablesReference"] =
          NewRef({VarRef::Kind::kValue, frame, expression, globals_only});
      out[v.is_list() ? "indexedVariables" : "namedVariables"] =
          v.is_list() ? v.list().size() : v.map().size();
    }
    return out;
  }

  void Variables(const json& request, const json& a) {
    int id = a.value("variablesReference", 0);
    if (id < 1 || static_cast<size_t>(id) > refs_.size()) {
      return Refuse(request, "no such variables reference (the run moved since)");
    }
    VarRef ref = refs_[static_cast<size_t>(id - 1)];
    json vars = json::array();
    const lang::Machine& m = dbg().machine();
    switch (ref.kind) {
      case VarRef::Kind::kLocals:
        debug::ForEachLocal(m, ref.frame, [&](const std::string& name, const lang::Value& v) {
          vars.push_back(Variable(name, v, ref.frame, name, false));
        });
        break;
      case VarRef::Kind::kGlobals:
        debug::ForEachGlobal(m, [&](const std::string& name, const lang::Value* v) {
          if (v == nullptr) {
            vars.push_back({{"name", name}, {"value", "<not set yet>"}, {"variablesReference", 0}});
          } else {
            vars.push_back(Variable(name, *v, ref.frame, name, true));
          }
        });
        break;
      case VarRef::Kind::kRecording: vars = RecordingVariables(); break;
      case VarRef::Kind::kValue: {
        size_t start = a.value("start", 0);
        size_t count = a.value("count", 0);
        Status s = debug::Evaluate(
            debug::Scope{&m, ref.frame, ref.globals_only}, ref.expression,
            [&](const lang::Value& v) { vars = Children(v, ref, start, count); });
        if (!s.ok()) return Refuse(request, s.message());
        break;
      }
    }
    Respond(request, {{"variables", vars}});
  }

  json Children(const lang::Value& v, const VarRef& ref, size_t start, size_t count) {
    json out = json::array();
    size_t n = v.is_list() ? v.list().size() : v.is_map() ? v.map().size() : 0;
    size_t end = count == 0 ? std::min(n, start + kMaxChildren) : std::min(n, start + count);
    for (size_t i = start; i < end; ++i) {
      // The child's name as an index: [2] or ["key"]; its expression, the parent's with it.
      std::string index = "[";
      index += v.is_list() ? std::to_string(i) : debug::Render(v.map().entries()[i].first, 1 << 20);
      index += "]";
      std::string expression = ref.expression;
      expression += index;
      if (v.is_list()) {
        out.push_back(Variable(index, v.list()[i], ref.frame, expression, ref.globals_only));
      } else {
        const auto& [key, value] = v.map().entries()[i];
        out.push_back(Variable(debug::Render(key, 1 << 20), value, ref.frame, expression,
                               ref.globals_only));
      }
    }
    return out;
  }

  json RecordingVariables() {
    const format::TraceReader& r = *target_->reader;
    uint64_t seq = dbg().seq();
    json vars = json::array();
    vars.push_back({{"name", "seq"},
                    {"value", fmt::format("{} of {}", seq, r.event_count())},
                    {"variablesReference", 0}});
    std::string next = "none: every recorded event was served";
    if (seq < r.event_count()) {
      EventSelection sel;
      sel.first_seq = seq;
      sel.end_seq = seq + 1;
      EventWalker walker(r, sel);
      (void)walker.Forward([&](const format::DecodedChunk& chunk, uint32_t i) {
        next = EventLine(r, chunk.event(i), r.has_times());
        return false;
      });
    }
    vars.push_back({{"name", "next event"}, {"value", next}, {"variablesReference", 0}});
    vars.push_back({{"name", "position"},
                    {"value", fmt::format("{} instructions", dbg().position())},
                    {"variablesReference", 0}});
    return vars;
  }

  void Evaluate(const json& request, const json& a) {
    std::string text = a.value("expression", "");
    std::string context = a.value("context", "");
    if (context == "repl" && text.starts_with("-")) {
      // A debugger command typed in the console: -goto seq 40, -events around.
      shell_text_.clear();
      bool moved = false;
      shell_->Execute(text.substr(1), &moved);
      std::string result = shell_text_;
      while (!result.empty() && result.back() == '\n') result.pop_back();
      Respond(request, {{"result", result}, {"variablesReference", 0}});
      if (moved) Stopped(dbg().last_stop());
      return;
    }
    size_t frame = FrameOf(a);
    json body;
    Status s = debug::Evaluate(debug::Scope{&dbg().machine(), frame}, text,
                               [&](const lang::Value& v) {
                                 json var = Variable(text, v, frame, text, false);
                                 body = {{"result", var["value"]},
                                         {"type", var["type"]},
                                         {"variablesReference", var["variablesReference"]}};
                               });
    if (!s.ok()) return Refuse(request, s.message());
    Respond(request, body);
  }

  void ExceptionInfo(const json& request) {
    const Stop& stop = dbg().last_stop();
    if (stop.reason == StopReason::kDrift && stop.drift) {
      return Respond(request, {{"exceptionId", std::string("drift: ") + DriftKindName(stop.drift->kind)},
                               {"description", stop.drift->Describe()},
                               {"breakMode", "always"}});
    }
    Respond(request, {{"exceptionId", debug::StopReasonName(stop.reason)},
                      {"description", stop.message},
                      {"breakMode", "always"}});
  }

  template <typename F>
  void Move(const json& request, F move, json body = json::object()) {
    if (dbg().ended() && request.value("command", "") != "stepBack" &&
        request.value("command", "") != "reverseContinue" &&
        request.value("command", "") != "restart") {
      return Refuse(request,
                    "the run has ended: step back or reverse-continue to go back, or restart");
    }
    Respond(request, std::move(body));
    refs_.clear();
    Result<Stop> stop = move();
    if (!stop.has_value()) {
      Console(stop.error().message());
      return Stopped(dbg().last_stop());
    }
    Stopped(*stop);
  }

  // The stopped event of a stop (the run keeps going back and forth: the end
  // of the script is a stop too, not the end of the session).
  void Stopped(const Stop& stop) {
    refs_.clear();
    json body = {{"threadId", kThread}, {"allThreadsStopped", true}};
    switch (stop.reason) {
      case StopReason::kEntry: body["reason"] = "entry"; break;
      case StopReason::kBreakpoint:
        body["reason"] = "breakpoint";
        body["hitBreakpointIds"] = stop.breakpoints;
        break;
      case StopReason::kGoto: body["reason"] = "goto"; break;
      case StopReason::kStep: body["reason"] = "step"; break;
      case StopReason::kStart:
        body["reason"] = "step";
        body["description"] = "the start of the recording";
        break;
      case StopReason::kInterrupted: body["reason"] = "pause"; break;
      case StopReason::kExited:
        body["reason"] = "end";
        body["description"] = stop.message + ", as recorded";
        Console(stop.message + ", as recorded: step back or reverse-continue to go back");
        break;
      case StopReason::kError:
      case StopReason::kDrift:
      case StopReason::kTraceError: {
        body["reason"] = "exception";
        std::string what = stop.drift ? fmt::format("drift at seq {}: {}", stop.drift->seq,
                                                    DriftKindName(stop.drift->kind))
                                      : stop.message;
        body["description"] = what;
        body["text"] = stop.drift ? stop.drift->Describe() : stop.message;
        Console(stop.drift ? "drift: " + stop.drift->Describe() : stop.message);
        break;
      }
    }
    Event("stopped", body);
  }

  // A `pause` while stopped: report where.
  Stop Pause() {
    Stop s = dbg().last_stop();
    s.reason = StopReason::kInterrupted;
    return s;
  }

  // Between slices of a run: reads what arrived. A `pause` stops the run; so
  // does a `disconnect` or `terminate` (answered once the run has stopped),
  // and the end of the input, so that closing the session never waits for a
  // long run to end.
  bool PausePending() {
    bool stop = false;
    while (in_.Ready()) {
      std::string error;
      std::optional<json> message = in_.Next(&error);
      if (!message) {
        // The client is gone or broke the framing: stop, and Serve, reading
        // on, ends the session.
        stop = true;
        break;
      }
      std::string command =
          message->value("type", "") == "request" ? message->value("command", "") : "";
      if (command == "pause") {
        Respond(*message);
        stop = true;
        continue;
      }
      if (command == "disconnect" || command == "terminate") stop = true;
      pending_.push_back(std::move(*message));
    }
    return stop;
  }

  debug::Debugger& dbg() const { return *target_->debugger; }

  static inline const json kEmpty = json::object();
  DebugArgs args_;
  MessageReader in_;
  std::deque<json> pending_;
  int64_t seq_ = 0;
  bool done_ = false;
  std::unique_ptr<DebugTarget> target_;
  std::unique_ptr<DebugShell> shell_;
  std::string shell_text_;
  std::string source_path_;
  bool stop_on_entry_ = false;
  int line_base_ = 0, column_base_ = 0;  // 1 when the client counts from 0
  std::vector<int> line_breakpoints_;
  std::vector<VarRef> refs_;
};

}  // namespace

int RunDap(const DebugArgs& args) {
  GuardTraceReads("dap");
  DapServer server(args);
  return server.Serve();
}

}  // namespace tape::cli
