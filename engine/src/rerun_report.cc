#include "engine/internal/rerun_report.h"

#include <nlohmann/json.hpp>

namespace tape::engine {

namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  // ASCII: every control and non-ASCII character escaped; bytes that are not
  // UTF-8 (a trace may hold any) replaced.
  return j.dump(-1, ' ', true, Json::error_handler_t::replace);
}

Json ChangeJson(const OutputChange& c) {
  if (c.what.empty()) return nullptr;
  Json j = {{"what", c.what}, {"lane", c.lane}};
  if (c.what != "added") {
    j["seq"] = c.seq;
    j["recorded"] = c.recorded;
    j["recorded_at"] = c.recorded_at;
  }
  if (c.what != "removed") {
    j["call"] = c.call;
    j["now"] = c.now;
    j["now_at"] = c.now_at;
  }
  if (!c.difference.empty()) j["difference"] = c.difference;
  return j;
}

}  // namespace

std::string RerunJson(const RunReport& r, const std::string& trace) {
  Json j;
  j["trace"] = trace;
  if (r.rerun) {
    const RerunSummary& s = *r.rerun;
    j["inputs"] = {{"by_site", s.by_site}, {"by_key", s.by_key}, {"by_kind", s.by_kind},
                   {"adjusted", s.adjusted}, {"live", s.live},     {"unused", s.inputs_unused}};
    j["outputs"] = {{"same", s.outputs_same},
                    {"changed", s.outputs_changed},
                    {"added", s.outputs_added},
                    {"removed", s.outputs_removed}};
    j["not_reached"] = s.not_reached;
    j["threads"] = s.threads;
    j["first_change"] = ChangeJson(s.first_change);
    j["first_output_change"] = s.first_output_change;
    j["notes"] = s.notes;
    j["recorded"] = {{"program", s.recorded_program},
                     {"outcome", s.recorded_outcome},
                     {"code_hash", s.recorded_code_hash}};
    j["now"] = {{"outcome", r.outcome}, {"exit_code", r.exit_code}, {"code_hash", s.code_hash}};
    j["outcome_same"] = s.outcome_same;
    j["code_changed"] = s.recorded_code_hash != s.code_hash;
  }
  bool ok = r.status == RunReport::Status::kOk;
  j["changed"] = !ok || !r.rerun || r.rerun->Changed();
  if (r.status == RunReport::Status::kDrift && r.drift) {
    j["stopped"] = {{"drift", DriftKindName(r.drift->kind)},
                    {"call", r.drift->seq},
                    {"lane", r.drift->lane},
                    {"recorded", r.drift->expected},
                    {"now", r.drift->got},
                    {"message", r.drift->Describe()}};
  }
  if (!ok && r.status != RunReport::Status::kDrift) j["error"] = r.error;
  if (!r.program_error.empty()) j["program_error"] = r.program_error;
  if (!r.note.empty()) j["note"] = r.note;
  return Dump(j);
}

std::string RerunErrorJson(const std::string& trace, int exit_code, const std::string& error) {
  return Dump(Json{{"trace", trace}, {"changed", true}, {"error", error}, {"exit_code", exit_code}});
}

int RerunExitCode(const RunReport& r, bool exit_code_says_changed) {
  switch (r.status) {
    case RunReport::Status::kBadOptions: return kRerunUsage;
    case RunReport::Status::kTraceError: return kRerunTraceError;
    case RunReport::Status::kDrift: return kRerunStopped;
    case RunReport::Status::kOk: break;
  }
  if (exit_code_says_changed) {
    return r.rerun && !r.rerun->Changed() ? kRerunSame : kRerunChanged;
  }
  return r.exit_code & 0xff;
}

}  // namespace tape::engine
