#include "tools/export_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "engine/internal/effect_text.h"
#include "tools/cli.h"
#include "tools/event_text.h"
#include "tools/time_arg.h"

namespace tape::cli {

std::unique_ptr<ExportSink> MakePerfettoSink(ExportOutput* out);  // export_perfetto.cc
bool StartsLikePerfettoExport(std::string_view head);              // export_perfetto.cc

// How each format's output begins (the sinks below write these first).
constexpr std::string_view kChromeStart = "{\"displayTimeUnit\":\"ms\",\"otherData\":";
constexpr std::string_view kChromeTool = "{\"tool\":\"tape export\"";
constexpr std::string_view kCsvHeader =
    "seq,lane,time,time_unix_ns,duration_ns,kind,site,location,args,result\r\n";
constexpr std::string_view kJsonlStart = "{\"seq\":";

ExportOutput::ExportOutput(std::FILE* file, std::string name)
    : file_(file), name_(std::move(name)) {
  std::setvbuf(file_, nullptr, _IOFBF, 1u << 20);
}

ExportOutput::~ExportOutput() {
  if (!closed_ && file_ != stdout) std::fclose(file_);
}

Status ExportOutput::Close() {
  closed_ = true;
  bool good = ok() && std::fflush(file_) == 0;
  int err = errno;
  if (file_ != stdout && std::fclose(file_) != 0 && good) {
    good = false;
    err = errno;
  }
  if (!good) return Status::FromErrno("cannot write " + name_, err ? err : EIO);
  return Status::Ok();
}

std::string LaneName(uint32_t lane) {
  return lane == 0 ? "lane 0 (main)" : "lane " + std::to_string(lane);
}

std::string KindCategory(uint8_t kind) {
  if (kind >= kFirstUserKind) return "user";
  std::string name = engine::KindName(kind, nullptr);
  size_t dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

namespace {

using Json = nlohmann::ordered_json;

// "12345.678": microseconds with nanosecond digits, as Chrome's format wants.
std::string Micros(int64_t ns) {
  char buf[40];
  int64_t whole = ns / 1000, frac = ns % 1000;
  if (frac < 0) {
    whole -= 1;
    frac += 1000;
  }
  std::snprintf(buf, sizeof buf, "%lld.%03lld", (long long)whole, (long long)frac);
  return buf;
}

// Chrome's Trace Event Format ("JSON Object Format"): a traceEvents array of
// metadata events ("M") naming the process and its threads, instant events
// ("i", thread scope) and complete events ("X" with "dur"). Timestamps are
// microseconds from the start of the recording; otherData says when that
// was.
class ChromeSink final : public ExportSink {
 public:
  explicit ChromeSink(ExportOutput* out) : out_(out) {}
  bool needs_times() const override { return true; }

  void Begin(const ExportContext& c) override {
    c_ = c;
    const format::TraceHeader& h = c.reader->header();
    Json other = {{"tool", "tape export"},
                  {"trace", c.reader->path()},
                  {"program", c.program},
                  {"recorder", h.recorder},
                  {"time_origin", FormatIso(c.origin_ns)},
                  {"time_origin_unix_ns", c.origin_ns}};
    out_->Write(kChromeStart);
    out_->Write(JsonLine(other));
    out_->Write(",\"traceEvents\":[\n");
    Json process = {{"ph", "M"}, {"pid", 1}, {"tid", 0}, {"name", "process_name"},
                    {"args", {{"name", c.program}}}};
    out_->Write(JsonLine(process));
    NameLane(0);
  }

  void Event(const format::EventView& e) override {
    if (!lanes_.Seen(e.lane)) NameLane(e.lane);
    Json j = EventJson(*c_.reader, e, c_.max_payload);
    std::string name = j["kind"];
    j.erase("kind");
    std::string line = "{\"name\":" + JsonLine(name) + ",\"cat\":" + JsonLine(KindCategory(e.kind));
    if (e.duration_ns != 0) {
      line += ",\"ph\":\"X\",\"ts\":" + Micros(e.time_ns - c_.origin_ns) +
              ",\"dur\":" + Micros(int64_t(e.duration_ns));
    } else {
      line += ",\"ph\":\"i\",\"s\":\"t\",\"ts\":" + Micros(e.time_ns - c_.origin_ns);
    }
    line += ",\"pid\":1,\"tid\":" + std::to_string(e.lane) + ",\"args\":" + JsonLine(j) + "}";
    out_->Write(",\n");
    out_->Write(line);
  }

  void End() override { out_->Write("\n]}\n"); }

 private:
  // A metadata event naming lane `lane`'s thread (tid = lane), written before
  // its first event: viewers show one track per thread.
  void NameLane(uint32_t lane) {
    lanes_.Seen(lane);
    Json thread = {{"ph", "M"}, {"pid", 1}, {"tid", lane}, {"name", "thread_name"},
                   {"args", {{"name", LaneName(lane)}}}};
    out_->Write(",\n");
    out_->Write(JsonLine(thread));
  }

  ExportOutput* out_;
  ExportContext c_;
  SeenLanes lanes_;
};

// RFC 4180: a field holding a comma, a quote or a line break is quoted, and
// its quotes doubled. A field that a spreadsheet would take for a formula
// (it starts with = + - @, a tab or a carriage return: a user effect named
// =HYPERLINK(...), a script named @SUM(A1).tape) gets a leading ' and is
// quoted, as OWASP's CSV injection guidance says: the cell then shows text.
std::string CsvField(std::string_view s) {
  bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = formula ? "\"'" : "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

class CsvSink final : public ExportSink {
 public:
  explicit CsvSink(ExportOutput* out) : out_(out) {}
  bool needs_times() const override { return false; }
  void Begin(const ExportContext& c) override {
    c_ = c;
    out_->Write(kCsvHeader);
  }
  void Event(const format::EventView& e) override {
    Json j = EventJson(*c_.reader, e, c_.max_payload);
    std::string row = std::to_string(e.seq) + "," + std::to_string(e.lane) + ",";
    if (e.time_ns != 0) row += FormatIso(e.time_ns) + "," + std::to_string(e.time_ns);
    else row += ",";
    row += ",";
    if (e.duration_ns != 0) row += std::to_string(e.duration_ns);
    row += "," + CsvField(j["kind"].get<std::string>()) + "," + SiteHex(e.site) + "," +
           CsvField(Shown(c_.reader->SiteLocation(e.site))) + "," + CsvField(JsonLine(j["args"])) +
           "," + CsvField(JsonLine(j["result"])) + "\r\n";
    out_->Write(row);
  }
  void End() override {}

 private:
  ExportOutput* out_;
  ExportContext c_;
};

class JsonlSink final : public ExportSink {
 public:
  explicit JsonlSink(ExportOutput* out) : out_(out) {}
  bool needs_times() const override { return false; }
  void Begin(const ExportContext& c) override { c_ = c; }
  void Event(const format::EventView& e) override {
    out_->Write(JsonLine(EventJson(*c_.reader, e, c_.max_payload)));
    out_->Write("\n");
  }
  void End() override {}

 private:
  ExportOutput* out_;
  ExportContext c_;
};

}  // namespace

bool LooksLikeExport(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  char buf[256];
  ssize_t n = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? ::pread(fd, buf, sizeof buf, 0) : -1;
  ::close(fd);
  if (n < 0) return false;
  std::string_view head(buf, size_t(n));
  if (head.empty()) return true;  // nothing to lose (an export of no events to jsonl)
  return (head.starts_with(kChromeStart) && head.substr(kChromeStart.size()).starts_with(kChromeTool)) ||
         head.starts_with(kCsvHeader) || head.starts_with(kJsonlStart) ||
         StartsLikePerfettoExport(head);
}

std::unique_ptr<ExportSink> MakeExportSink(std::string_view format, ExportOutput* out) {
  if (format == "chrome") return std::make_unique<ChromeSink>(out);
  if (format == "perfetto") return MakePerfettoSink(out);
  if (format == "csv") return std::make_unique<CsvSink>(out);
  if (format == "jsonl") return std::make_unique<JsonlSink>(out);
  return nullptr;
}

}  // namespace tape::cli
