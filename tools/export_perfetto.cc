// `tape export --format perfetto`: Perfetto's protobuf trace format, written
// with a few lines of protobuf wire encoding instead of a protobuf library.
//
// The file is a `perfetto.protos.Trace`: a sequence of `packet` fields, each
// a TracePacket, written one at a time (memory stays flat). On one packet
// sequence:
//   1. a TrackDescriptor for the process (the recorded program), with
//      SEQ_INCREMENTAL_STATE_CLEARED so that interning starts afresh;
//   2. a TrackDescriptor per lane, a thread of that process (tid = lane),
//      written before the lane's first event;
//   3. per event, a TrackEvent on its lane's track at the event's time (ns
//      since the Unix epoch): TYPE_INSTANT, or TYPE_SLICE_BEGIN followed by
//      TYPE_SLICE_END at time + duration for an effect whose duration was
//      measured. Event names (the effect) and annotation names are interned:
//      the packet that first uses one carries it in InternedData.
//      The event's seq, site, location, args and result are debug
//      annotations (args and result as JSON text).
//
// Field numbers, from Perfetto's protos (protos/perfetto/trace/...):
//   Trace:              packet = 1
//   TracePacket:        timestamp = 8, trusted_packet_sequence_id = 10,
//                       track_event = 11, interned_data = 12,
//                       sequence_flags = 13, track_descriptor = 60
//   SequenceFlags:      SEQ_INCREMENTAL_STATE_CLEARED = 1,
//                       SEQ_NEEDS_INCREMENTAL_STATE = 2
//   TrackDescriptor:    uuid = 1, name = 2, process = 3, thread = 4, parent_uuid = 5
//   ProcessDescriptor:  pid = 1, process_name = 6
//   ThreadDescriptor:   pid = 1, tid = 2, thread_name = 5
//   TrackEvent:         category_iids = 3, debug_annotations = 4, type = 9,
//                       name_iid = 10, track_uuid = 11
//   TrackEvent.Type:    TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3
//   InternedData:       event_categories = 1, event_names = 2,
//                       debug_annotation_names = 3
//   EventName, EventCategory, DebugAnnotationName: iid = 1, name = 2
//   DebugAnnotation:    name_iid = 1, uint_value = 3, string_value = 6
// tests/cli/export.sh reads the output back with Python's protobuf runtime
// and these messages declared independently (tests/cli/perfetto_subset.proto).

#include <string>
#include <unordered_map>

#include "tools/cli.h"
#include "tools/event_text.h"
#include "tools/export_sink.h"

namespace tape::cli {

namespace {

// Protobuf wire format: a key is (field << 3 | wire type); varints are
// base-128 little-endian; length-delimited fields carry their byte length.
class Proto {
 public:
  void Varint(uint32_t field, uint64_t v) {
    Key(field, 0);
    Raw(v);
  }
  void Bytes(uint32_t field, std::string_view bytes) {
    Key(field, 2);
    Raw(bytes.size());
    buf_.append(bytes);
  }
  void Message(uint32_t field, const Proto& m) { Bytes(field, m.buf_); }
  const std::string& data() const { return buf_; }
  void Clear() { buf_.clear(); }

 private:
  void Key(uint32_t field, int wire_type) { Raw(uint64_t(field) << 3 | uint64_t(wire_type)); }
  void Raw(uint64_t v) {
    while (v >= 0x80) {
      buf_ += char(uint8_t(v) | 0x80);
      v >>= 7;
    }
    buf_ += char(v);
  }
  std::string buf_;
};

// Field numbers (see the file comment).
enum : uint32_t {
  kTracePacket = 1,
  kTimestamp = 8,
  kSequenceId = 10,
  kTrackEvent = 11,
  kInternedData = 12,
  kSequenceFlags = 13,
  kTrackDescriptor = 60,
  kTrackUuid = 1, kTrackName = 2, kTrackProcess = 3, kTrackThread = 4, kTrackParent = 5,
  kProcessPid = 1, kProcessName = 6,
  kThreadPid = 1, kThreadTid = 2, kThreadName = 5,
  kEventCategoryIids = 3, kEventAnnotations = 4, kEventType = 9, kEventNameIid = 10,
  kEventTrackUuid = 11,
  kInternedCategories = 1, kInternedEventNames = 2, kInternedAnnotationNames = 3,
  kInternedIid = 1, kInternedName = 2,
  kAnnotationNameIid = 1, kAnnotationUint = 3, kAnnotationString = 6,
};
enum : uint64_t { kSeqCleared = 1, kSeqNeedsState = 2 };
enum : uint64_t { kSliceBegin = 1, kSliceEnd = 2, kInstant = 3 };
constexpr uint64_t kSequence = 1;  // the one packet sequence this file uses
constexpr uint64_t kProcessTrack = 1;
constexpr int32_t kPid = 1;
uint64_t LaneTrack(uint32_t lane) { return 100 + lane; }

class PerfettoSink final : public ExportSink {
 public:
  explicit PerfettoSink(ExportOutput* out) : out_(out) {}
  bool needs_times() const override { return true; }

  void Begin(const ExportContext& c) override {
    c_ = c;
    Proto process, track, packet;
    process.Varint(kProcessPid, kPid);
    process.Bytes(kProcessName, Shown(c.program));  // valid UTF-8, as `string` needs
    track.Varint(kTrackUuid, kProcessTrack);
    track.Message(kTrackProcess, process);
    packet.Varint(kSequenceId, kSequence);
    packet.Varint(kSequenceFlags, kSeqCleared);
    packet.Message(kTrackDescriptor, track);
    WritePacket(packet);
    DescribeLane(0);
  }

  void Event(const format::EventView& e) override {
    if (!lanes_.Seen(e.lane)) DescribeLane(e.lane);
    nlohmann::ordered_json j = EventJson(*c_.reader, e, c_.max_payload);
    Proto interned, event, packet;
    uint64_t name = Intern(&names_, j["kind"].get<std::string>(), kInternedEventNames, &interned);
    uint64_t category = Intern(&categories_, KindCategory(e.kind), kInternedCategories, &interned);
    event.Varint(kEventType, e.duration_ns != 0 ? kSliceBegin : kInstant);
    event.Varint(kEventTrackUuid, LaneTrack(e.lane));
    event.Varint(kEventNameIid, name);
    event.Varint(kEventCategoryIids, category);
    Annotate(&event, &interned, "seq", e.seq);
    Annotate(&event, &interned, "site", SiteHex(e.site));
    Annotate(&event, &interned, "location", Shown(c_.reader->SiteLocation(e.site)));
    Annotate(&event, &interned, "args", JsonLine(j["args"]));
    Annotate(&event, &interned, "result", JsonLine(j["result"]));
    packet.Varint(kTimestamp, uint64_t(e.time_ns));
    packet.Varint(kSequenceId, kSequence);
    packet.Varint(kSequenceFlags, kSeqNeedsState);
    if (!interned.data().empty()) packet.Message(kInternedData, interned);
    packet.Message(kTrackEvent, event);
    WritePacket(packet);
    if (e.duration_ns == 0) return;
    event.Clear();
    packet.Clear();
    event.Varint(kEventType, kSliceEnd);
    event.Varint(kEventTrackUuid, LaneTrack(e.lane));
    packet.Varint(kTimestamp, uint64_t(e.time_ns) + e.duration_ns);
    packet.Varint(kSequenceId, kSequence);
    packet.Varint(kSequenceFlags, kSeqNeedsState);
    packet.Message(kTrackEvent, event);
    WritePacket(packet);
  }

  void End() override {}

 private:
  // The track of lane `lane`: a thread (tid = lane) of the process, described
  // before its first event.
  void DescribeLane(uint32_t lane) {
    lanes_.Seen(lane);
    Proto thread, track, packet;
    thread.Varint(kThreadPid, kPid);
    thread.Varint(kThreadTid, lane);
    thread.Bytes(kThreadName, LaneName(lane));
    track.Varint(kTrackUuid, LaneTrack(lane));
    track.Varint(kTrackParent, kProcessTrack);
    track.Message(kTrackThread, thread);
    packet.Varint(kSequenceId, kSequence);
    packet.Message(kTrackDescriptor, track);
    WritePacket(packet);
  }

  void WritePacket(const Proto& packet) {
    frame_.Clear();
    frame_.Message(kTracePacket, packet);
    out_->Write(frame_.data());
  }

  // The iid of `name` in `table`; a new one is added to `interned` under
  // `field` (EventName, EventCategory or DebugAnnotationName: iid 1, name 2).
  static uint64_t Intern(std::unordered_map<std::string, uint64_t>* table, const std::string& name,
                         uint32_t field, Proto* interned) {
    auto [it, added] = table->emplace(name, table->size() + 1);
    if (added) {
      Proto entry;
      entry.Varint(kInternedIid, it->second);
      entry.Bytes(kInternedName, name);
      interned->Message(field, entry);
    }
    return it->second;
  }

  void Annotate(Proto* event, Proto* interned, const std::string& name, uint64_t value) {
    Proto a;
    a.Varint(kAnnotationNameIid, Intern(&annotation_names_, name, kInternedAnnotationNames, interned));
    a.Varint(kAnnotationUint, value);
    event->Message(kEventAnnotations, a);
  }
  void Annotate(Proto* event, Proto* interned, const std::string& name, const std::string& value) {
    Proto a;
    a.Varint(kAnnotationNameIid, Intern(&annotation_names_, name, kInternedAnnotationNames, interned));
    a.Bytes(kAnnotationString, value);
    event->Message(kEventAnnotations, a);
  }

  ExportOutput* out_;
  ExportContext c_;
  Proto frame_;
  std::unordered_map<std::string, uint64_t> names_, categories_, annotation_names_;
  SeenLanes lanes_;
};

}  // namespace

bool StartsLikePerfettoExport(std::string_view head) {
  // The first packet as Begin writes it: Trace.packet (field 1, bytes), its
  // length, then trusted_packet_sequence_id = kSequence, sequence_flags =
  // kSeqCleared and a track_descriptor (field 60, bytes).
  Proto start;
  start.Varint(kSequenceId, kSequence);
  start.Varint(kSequenceFlags, kSeqCleared);
  if (head.size() < 2 || head[0] != 0x0a) return false;
  size_t at = 1;
  while (at < head.size() && at < 6 && (head[at] & 0x80)) ++at;  // the packet's length
  ++at;
  start.Bytes(kTrackDescriptor, "");  // its key; the length byte follows
  std::string_view fields = std::string_view(start.data()).substr(0, start.data().size() - 1);
  return head.size() >= at + fields.size() && head.substr(at, fields.size()) == fields;
}

std::unique_ptr<ExportSink> MakePerfettoSink(ExportOutput* out) {
  return std::make_unique<PerfettoSink>(out);
}

}  // namespace tape::cli
