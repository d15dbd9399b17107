#include "preload/control.h"

#include <charconv>

#include "tape/codec.h"

namespace tape::preload {

namespace {

using Items = std::vector<std::string>;

void Add(Items* items, std::string_view key, std::string_view value) {
  std::string item(key);
  item += '=';
  item += value;
  items->push_back(std::move(item));
}

std::string Encode(const Items& items) {
  std::string out;
  Codec<Items>::Encode(items, &out);
  return out;
}

bool Decode(std::string_view bytes, Items* items) {
  return Codec<Items>::Decode(&bytes, items) && bytes.empty();
}

template <typename T>
bool Number(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Calls `fn(key, value)` for each item; false at an item without '='.
template <typename F>
bool ForEach(const Items& items, F fn) {
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || !fn(std::string_view(item).substr(0, eq),
                                       std::string_view(item).substr(eq + 1))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string EncodeControl(const Control& c) {
  Items items;
  Add(&items, "mode", c.mode == Control::Mode::kRecord ? "record" : "replay");
  Add(&items, "trace", c.trace);
  Add(&items, "label", c.label);
  Add(&items, "executable", c.executable);
  Add(&items, "code_hash", c.code_hash);
  if (c.user_preload) Add(&items, "user_preload", *c.user_preload);
  Add(&items, "flush_ms", std::to_string(c.flush_ms));
  Add(&items, "force", c.force ? "1" : "0");
  Add(&items, "chaos", c.chaos);
  Add(&items, "chaos_seed", std::to_string(c.chaos_seed));
  for (const std::string& glob : c.redact_env) Add(&items, "redact_env", glob);
  for (const std::string& pattern : c.redact_match) Add(&items, "redact_match", pattern);
  for (int fd : c.fds) Add(&items, "fd", std::to_string(fd));
  return Encode(items);
}

bool DecodeControl(std::string_view bytes, Control* c) {
  Items items;
  if (!Decode(bytes, &items)) return false;
  return ForEach(items, [c](std::string_view key, std::string_view value) {
    if (key == "mode") {
      if (value != "record" && value != "replay") return false;
      c->mode = value == "record" ? Control::Mode::kRecord : Control::Mode::kReplay;
    } else if (key == "trace") {
      c->trace = value;
    } else if (key == "label") {
      c->label = value;
    } else if (key == "executable") {
      c->executable = value;
    } else if (key == "code_hash") {
      c->code_hash = value;
    } else if (key == "user_preload") {
      c->user_preload = std::string(value);
    } else if (key == "flush_ms") {
      return Number(value, &c->flush_ms);
    } else if (key == "force") {
      c->force = value == "1";
    } else if (key == "chaos") {
      c->chaos = value;
    } else if (key == "chaos_seed") {
      return Number(value, &c->chaos_seed);
    } else if (key == "redact_env") {
      c->redact_env.emplace_back(value);
    } else if (key == "redact_match") {
      c->redact_match.emplace_back(value);
    } else if (key == "fd") {
      int fd = 0;
      if (!Number(value, &fd)) return false;
      c->fds.push_back(fd);
    } else {
      return false;
    }
    return true;
  });
}

std::string EncodeReport(const Report& r) {
  Items items;
  Add(&items, "status", std::to_string(int(r.status)));
  Add(&items, "events", std::to_string(r.events));
  if (!r.caller_module.empty()) {
    Add(&items, "caller_module", r.caller_module);
    Add(&items, "caller_offset", std::to_string(r.caller_offset));
  }
  if (r.status == Report::Status::kDrift) {
    Add(&items, "drift_kind", std::to_string(r.drift_kind));
    Add(&items, "drift_seq", std::to_string(r.drift_seq));
    Add(&items, "drift_expected", r.drift_expected);
    Add(&items, "drift_got", r.drift_got);
    Add(&items, "drift_hint", r.drift_hint);
  }
  if (!r.message.empty()) Add(&items, "message", r.message);
  return Encode(items);
}

bool DecodeReport(std::string_view bytes, Report* r) {
  Items items;
  if (!Decode(bytes, &items)) return false;
  return ForEach(items, [r](std::string_view key, std::string_view value) {
    if (key == "status") {
      int s = 0;
      if (!Number(value, &s) || s < 0 || s > int(Report::Status::kTraceError)) return false;
      r->status = Report::Status(s);
      return true;
    }
    if (key == "events") return Number(value, &r->events);
    if (key == "caller_module") {
      r->caller_module = value;
      return true;
    }
    if (key == "caller_offset") return Number(value, &r->caller_offset);
    if (key == "drift_kind") return Number(value, &r->drift_kind);
    if (key == "drift_seq") return Number(value, &r->drift_seq);
    for (auto [name, field] : {std::pair{"drift_expected", &r->drift_expected},
                               std::pair{"drift_got", &r->drift_got},
                               std::pair{"drift_hint", &r->drift_hint},
                               std::pair{"message", &r->message}}) {
      if (key == name) {
        *field = value;
        return true;
      }
    }
    return true;  // a key from a newer library: ignored
  });
}

}  // namespace tape::preload
