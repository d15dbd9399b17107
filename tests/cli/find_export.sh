# Long recordings: every event's time, finding events (inspect --from/--to,
# --grep, --grep-re, --filter, --last, --around) and exporting them to other
# tools' formats, each read back by an independent parser (Python's json, csv
# and protobuf runtime); and every new flag's bad input.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3  # Debian's, with python3-protobuf

cat > job.tape <<'EOF'
let i = 0;
while i < 30 {
  if i == 17 {
    io.write("ERROR: disk full at item 17\n");
  } else {
    io.write("item " + str(i) + " ok\n");
  }
  time.sleep(10);
  i = i + 1;
}
EOF
tape run job.tape --out job.bin > /dev/null || fail "recording the job failed"

# --- every event has its time -------------------------------------------------
run tape inspect job.bin
expect_code 0
expect_out "events from 20"
[ "$(printf '%s\n' "$OUT" | grep -cE '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{6} +[0-9]+  ')" = 60 ] ||
  fail "every event line should start with its time"
# A measured duration: 10.xx ms, more on a loaded machine.
printf '%s\n' "$OUT" | grep -qE 'time\.sleep\(10\) -> done in [0-9.]+ ms  at ' ||
  fail "a sleep shows how long it took"
tape inspect job.bin --json > all.jsonl
$PY - all.jsonl <<'EOF' || fail "inspect --json times"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
assert len(events) == 60, len(events)
times = [e["time"] for e in events]
assert all(isinstance(t, int) and t > 1.7e18 for t in times), times[:3]
assert times == sorted(times), "times decrease"
sleeps = [e for e in events if e["kind"] == "time.sleep"]
assert all(e["duration"] >= 9_000_000 for e in sleeps), [e["duration"] for e in sleeps]
assert all("duration" not in e for e in events if e["kind"] == "io.write")
# Each sleep starts after the write before it and the next write comes after it ends.
for a, b in zip(events, events[1:]):
    assert b["time"] >= a["time"] + a.get("duration", 0), (a, b)
EOF

# --- finding -------------------------------------------------------------------
run tape inspect job.bin --grep "disk full"
expect_code 0
expect_out 'io.write("ERROR: disk full at item 17\n")'
[ "$(printf '%s\n' "$OUT" | grep -c 'io.write')" = 1 ] || fail "--grep should show one event"
run tape inspect job.bin --grep-re 'item 1[0-2] ok'
[ "$(printf '%s\n' "$OUT" | grep -c 'io.write("item 1')" = 3 ] || fail "--grep-re should show 3 events"
run tape inspect job.bin --grep "no such text"
expect_code 0
expect_out "no events match"
run tape inspect job.bin --filter time.sleep --filter io.write --json
[ "$(printf '%s\n' "$OUT" | wc -l)" = 60 ] || fail "two --filter kinds"
run tape inspect job.bin --filter io.write,time.sleep --limit 3 --json
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] || fail "comma-separated --filter with --limit"
run tape inspect job.bin --filter io.write --last 2
expect_out "     56  io.write(\"item 28 ok"
expect_out "     58  io.write(\"item 29 ok"
expect_no_out "     54  "
run tape inspect job.bin --around 10 --context 2
expect_out "> "
printf '%s\n' "$OUT" | grep -q '^> .*     10  io.write' || fail "--around marks its seq"
for seq in 8 9 11 12; do printf '%s\n' "$OUT" | grep -q "^  .* $seq  " || fail "--around shows seq $seq"; done
expect_no_out "      7  "
expect_no_out "     13  "

# --from/--to: the window of events 20..29 by their times, in each form.
t20=$($PY -c 'import json,sys; print([json.loads(l) for l in open("all.jsonl")][20]["time"])')
t30=$($PY -c 'import json,sys; print([json.loads(l) for l in open("all.jsonl")][30]["time"])')
iso() { $PY -c "import datetime,sys; n=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(n//10**9, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S') + '.%09dZ' % (n % 10**9))" "$1"; }
run tape inspect job.bin --from "$(iso "$t20")" --to "$(iso "$t30")" --json
expect_code 0
[ "$($PY -c 'import json,sys; print(",".join(str(json.loads(l)["seq"]) for l in sys.stdin))' <<< "$OUT")" = \
  "20,21,22,23,24,25,26,27,28,29" ] || fail "--from/--to ISO window: $OUT"
# "+" counts from the start of the recording (its header's time), which can be
# well before the first event on a slow machine.
# (or, should the header's time be later, from the first event).
start=$(tape stats job.bin --json | $PY -c 'import json,sys
created = json.load(sys.stdin)["created_unix_ns"]
first = json.loads(open("all.jsonl").readline())["time"]
print(min(created, first) if created else first)')
off=$(( (t20 - start) / 1000 ))  # whole microseconds after the start: from at most 1 us before event 20
run tape inspect job.bin --from "+${off}us" --filter io.write --limit 1 --json
expect_out '"seq":20'
run tape inspect job.bin --from -15ms --json
[ "$(printf '%s\n' "$OUT" | wc -l)" -le 4 ] || fail "--from -15ms shows the last events only"
expect_out '"seq":59'
tod=$($PY -c "import datetime,sys; n=int(sys.argv[1]); print(datetime.datetime.fromtimestamp(n//10**9, datetime.timezone.utc).strftime('%H:%M:%S') + '.%09d' % (n % 10**9))" "$t20")
run tape inspect job.bin --from "$tod" --limit 1 --json
expect_out '"seq":20'
run tape inspect job.bin --from 2001-01-01 --to 2001-01-02
expect_code 0
expect_out "no events from 2001-01-01 00:00:00.000000 UTC to 2001-01-02 00:00:00.000000 UTC"

# --- bad input: what, where, what to do; exit 2 ----------------------------------
bad() {  # bad EXPECTED-ERROR ARGS...
  local want=$1
  shift
  run tape "$@"
  expect_code 2
  expect_err "$want"
  expect_one_line_err
}
bad "--from 14:61: not a time: expected ISO 8601" inspect job.bin --from 14:61
bad "--to yesterday: not a time" inspect job.bin --to yesterday
bad "--from 2026-02-30: not a date: 2026-02-30 does not exist" inspect job.bin --from 2026-02-30
bad "is not before --to +1s" inspect job.bin --from +2s --to +1s
bad "--grep: the text is empty" inspect job.bin --grep ""
bad "--grep-re: the pattern is empty" inspect job.bin --grep-re ""
bad "--grep-re a(b: not a regular expression (RE2 syntax): missing )" inspect job.bin --grep-re 'a(b'
bad "--grep and --grep-re: give one of them" inspect job.bin --grep a --grep-re b
bad "--around shows the events around one seq" inspect job.bin --around 5 --since 2
bad "--around shows the events around one seq" inspect job.bin --around 5 --from +1s
bad "--last and --since both choose where to start" inspect job.bin --last 3 --since 1
bad "--last N already says how many" inspect job.bin --last 3 --limit 2
bad "--context goes with --around" inspect job.bin --context 3
bad "--around 99: the trace has 60 events (seq 0..59)" inspect job.bin --around 99
bad "--filter teleport: not an effect" inspect job.bin --filter io.write --filter teleport
bad "has no event times" inspect "$SRC/tests/golden/two-chunks.trace" --from +1s
bad "is not a whole number" inspect job.bin --last abc
# A trace without times still shows its events, without a time column.
run tape inspect "$SRC/tests/golden/two-chunks.trace" --json --limit 1
expect_code 0
expect_out '"time":null'

# --- export ------------------------------------------------------------------------
run tape export job.bin --format chrome --out job.json
expect_code 0
expect_err "exported 60 events to job.json (chrome)"
$PY - job.json all.jsonl <<'EOF' || fail "chrome export does not read back"
import json, sys
doc = json.load(open(sys.argv[1]))
events = [json.loads(l) for l in open(sys.argv[2])]
te = doc["traceEvents"]
meta = [e for e in te if e["ph"] == "M"]
assert {m["name"] for m in meta} == {"process_name", "thread_name"}, meta
assert any("job.tape" in m["args"]["name"] for m in meta if m["name"] == "process_name")
rest = [e for e in te if e["ph"] != "M"]
assert len(rest) == 60, len(rest)
origin = doc["otherData"]["time_origin_unix_ns"]
for e, want in zip(rest, events):
    assert e["name"] == want["kind"] and e["args"]["seq"] == want["seq"], (e, want)
    assert e["pid"] == 1 and e["tid"] == 0
    assert abs(e["ts"] * 1000 - (want["time"] - origin)) < 1, (e["ts"], want["time"], origin)
    if want["kind"] == "time.sleep":
        assert e["ph"] == "X" and abs(e["dur"] * 1000 - want["duration"]) < 1, e
    else:
        assert e["ph"] == "i" and e["s"] == "t", e
    assert e["args"]["args"] == want["args"] and e["args"]["result"] == want["result"]
EOF

run tape export job.bin --format perfetto --out job.pftrace
expect_code 0
protoc --proto_path="$SRC/tests/cli" --python_out=. "$SRC/tests/cli/perfetto_subset.proto" ||
  fail "protoc cannot compile the Perfetto subset"
$PY - job.pftrace all.jsonl <<'EOF' || fail "perfetto export does not read back"
import json, sys
sys.path.insert(0, ".")
import perfetto_subset_pb2 as pb
data = open(sys.argv[1], "rb").read()
trace = pb.Trace()
trace.ParseFromString(data)
size = trace.ByteSize()
trace.DiscardUnknownFields()
assert trace.ByteSize() == size == len(data), "fields outside Perfetto's messages"
events = [json.loads(l) for l in open(sys.argv[2])]
packets = list(trace.packet)
assert packets[0].sequence_flags == 1 and packets[0].track_descriptor.process.process_name
thread = packets[1].track_descriptor
assert thread.thread.thread_name == "lane 0 (main)" and thread.parent_uuid == packets[0].track_descriptor.uuid
names, annotation = {}, {}
slices = []
for p in packets[2:]:
    assert p.trusted_packet_sequence_id == packets[0].trusted_packet_sequence_id
    assert p.sequence_flags == 2
    for n in p.interned_data.event_names: names[n.iid] = n.name
    for n in p.interned_data.debug_annotation_names: annotation[n.iid] = n.name
    assert p.track_event.track_uuid == thread.uuid
    slices.append(p)
begins = [p for p in slices if p.track_event.type != pb.TrackEvent.TYPE_SLICE_END]
assert len(begins) == 60, len(begins)
for p, want in zip(begins, events):
    ann = {annotation[a.name_iid]: (a.uint_value if a.HasField("uint_value") else a.string_value)
           for a in p.track_event.debug_annotations}
    assert names[p.track_event.name_iid] == want["kind"] and ann["seq"] == want["seq"], (ann, want)
    assert p.timestamp == want["time"], (p.timestamp, want["time"])
    assert json.loads(ann["args"]) == want["args"] and json.loads(ann["result"]) == want["result"]
    kind = pb.TrackEvent.TYPE_SLICE_BEGIN if want["kind"] == "time.sleep" else pb.TrackEvent.TYPE_INSTANT
    assert p.track_event.type == kind, (p.track_event.type, want)
ends = [p for p in slices if p.track_event.type == pb.TrackEvent.TYPE_SLICE_END]
sleeps = [e for e in events if e["kind"] == "time.sleep"]
assert [p.timestamp for p in ends] == [e["time"] + e["duration"] for e in sleeps]
assert len(names) == 2, names  # interned once each
EOF

run tape export job.bin --format csv --out job.csv
expect_code 0
$PY - job.csv all.jsonl <<'EOF' || fail "csv export does not read back"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
events = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == 60
for r, e in zip(rows, events):
    assert int(r["seq"]) == e["seq"] and int(r["time_unix_ns"]) == e["time"] and r["kind"] == e["kind"]
    assert json.loads(r["args"]) == e["args"] and json.loads(r["result"]) == e["result"]
    assert (r["duration_ns"] == "") == ("duration" not in e)
EOF
# A cell a spreadsheet would take for a formula (a script named like one)
# starts with ' and is quoted (OWASP's CSV injection guidance).
for name in '=HYPERLINK("http:evil")-.tape' '@SUM(A1).tape' '+1+2.tape' '-2+3.tape'; do
  printf 'print("x");\n' > "$name"
  run tape run "$name" --out formula.bin --force
  expect_code 0
  run tape export formula.bin --format csv --out formula.csv --force
  expect_code 0
  $PY - formula.csv "$name" <<'EOF' || fail "csv export of $name: a cell starts like a formula"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 1, rows
for r in rows:
    for key in ("kind", "site", "location", "args", "result"):
        assert r[key][:1] not in ("=", "+", "-", "@", "\t", "\r"), (key, r[key])
    assert r["location"] == "'" + sys.argv[2] + ":1:1", r["location"]
EOF
done
run tape export job.bin --format jsonl --out -
expect_code 0
[ "$OUT" = "$(cat all.jsonl)" ] || fail "jsonl export differs from inspect --json"
run tape export job.bin --format chrome --out window.json --grep ERROR
expect_err "exported 1 event to window.json"
run tape export job.bin --format jsonl --out - --from "$(iso "$t20")" --limit 2
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] && [[ "$OUT" == *'"seq":20'* ]] || fail "export --from --limit"

# Export's own bad input: nothing is written.
# An earlier export is replaced; any other file only with --force.
run tape export job.bin --format chrome --out job.json
expect_code 0
printf 'notes\n' > notes.txt
bad "refusing to replace notes.txt: it exists and is not an earlier export" export job.bin --format chrome --out notes.txt
[ "$(cat notes.txt)" = notes ] || fail "a refused export changed the file"
run tape export job.bin --format chrome --out notes.txt --force
expect_code 0
bad "--out job.bin is the trace being exported" export job.bin --format jsonl --out job.bin --force
bad "has no event times" export "$SRC/tests/golden/two-chunks.trace" --format chrome --out old.json
[ ! -e old.json ] || fail "a refused export left a file"
bad "--format: html not in {chrome,perfetto,csv,jsonl}" export job.bin --format html --out x
bad "--from 25:00: not a time" export job.bin --format csv --out x.csv --from 25:00
ls -A | grep -q tape-export && fail "a temporary export file was left behind"
# The temporary file has a name nobody can guess: a link planted at the name
# export once used, .OUT.tape-export-PID (exec keeps the pid), is not
# followed, and what it points to stays as it was.
echo "keep me" > victim.txt
run bash -c 'ln -s victim.txt .planted.csv.tape-export-$$; exec "$@"' planted "$TAPE" \
  export job.bin --format csv --out planted.csv
expect_code 0
[ "$(cat victim.txt)" = "keep me" ] || fail "export wrote through a planted link"
[ -f planted.csv ] && [ ! -L planted.csv ] || fail "planted.csv is not the export"
rm -f .planted.csv.tape-export-* victim.txt
run tape export "$SRC/tests/golden/two-chunks.trace" --format csv --out old.csv
expect_code 0
grep -q '^0,0,,,,' old.csv || fail "csv of a trace without times leaves time empty"

# --- threads: lanes with times, selection and export ---------------------------
# The workers demo: 3 threads, 40 rounds each (a draw and a mutex.lock).
run tape record workers --out w.bin -- 3 40
expect_code 0
tape inspect w.bin --json > w.jsonl
run tape inspect w.bin --lane 2
expect_code 0
# Every event line has its time and its lane; lane 2 has 40 draws, 40 locks, its end.
[ "$(printf '%s\n' "$OUT" | grep -cE '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{6} +[0-9]+  \[lane 2\] ')" = 81 ] ||
  fail "--lane 2: 81 event lines, each with its time and [lane 2]"
expect_no_out "[lane 1]"
printf '%s\n' "$OUT" | grep -qE '\[lane 2\] mutex\.lock\("log"\) -> done in [0-9.]+ (ns|us|ms|s)  at ' ||
  fail "a mutex.lock shows how long its thread waited"
# --lane with the other selection flags, each against a brute force over the
# JSON of all events.
$PY - w.jsonl > w.want <<'PYEOF'
import datetime, json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
t0 = ev[len(ev) // 4]["time"]
lane2 = [e for e in ev if e["lane"] == 2]
draws = [e["seq"] for e in lane2 if e["kind"] == "random.bits"]
d = datetime.datetime.fromtimestamp(t0 // 10**9, datetime.timezone.utc)
print(d.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % (t0 % 10**9))
print(" ".join(str(e["seq"]) for e in lane2 if e["time"] >= t0 and e["kind"] == "mutex.lock"))
print(" ".join(str(e["seq"]) for e in lane2 if e["kind"] == "thread.end"))
print(" ".join(map(str, draws[-3:])))
print(draws[5])
print(" ".join(str(e["seq"]) for e in ev if abs(e["seq"] - draws[5]) <= 4 and e["lane"] == 2))
PYEOF
want() { sed -n "$1p" w.want; }
seqs() { $PY -c 'import json,sys; print(" ".join(str(json.loads(l)["seq"]) for l in sys.stdin if l.strip()))'; }
got=$(tape inspect w.bin --lane 2 --from "$(want 1)" --filter mutex.lock --json | seqs)
[ -n "$got" ] && [ "$got" = "$(want 2)" ] || fail "--lane with --from and --filter: $got"
got=$(tape inspect w.bin --lane 2 --grep "log" --json | seqs)
[ "$got" = "$(tape inspect w.bin --lane 2 --filter mutex.lock --json | seqs)" ] ||
  fail "--lane with --grep: lane 2's locks of \"log\": $got"
got=$(tape inspect w.bin --lane 2 --filter thread.end --json | seqs)
[ -n "$got" ] && [ "$got" = "$(want 3)" ] || fail "--lane with --filter thread.end: $got"
got=$(tape inspect w.bin --lane 2 --filter random.bits --last 3 --json | seqs)
[ "$got" = "$(want 4)" ] || fail "--lane with --last: $got"
around=$(want 5)
got=$(tape inspect w.bin --lane 2 --around "$around" --context 4 --json | seqs)
[ "$got" = "$(want 6)" ] || fail "--lane with --around: $got"
run tape inspect w.bin --lane 2 --around "$around" --context 1
printf '%s\n' "$OUT" | grep -qE "^> [0-9:.]+ +$around  \[lane 2\] random\.bits" ||
  fail "--around marks the event, with its time and lane"
run tape inspect w.bin --lane 3 --grep "log" --to +0s
expect_code 0
expect_out "no events match from "
run tape inspect w.bin --lane 70000
expect_code 2
# Export: a track per lane in chrome and perfetto; csv and jsonl carry the lane.
run tape export w.bin --format chrome --out w.json
expect_code 0
$PY - w.json w.jsonl <<'PYEOF' || fail "chrome export of a threaded trace"
import json, sys
te = json.load(open(sys.argv[1]))["traceEvents"]
events = [json.loads(l) for l in open(sys.argv[2])]
names = {e["tid"]: e["args"]["name"] for e in te if e["ph"] == "M" and e["name"] == "thread_name"}
assert names == {0: "lane 0 (main)", 1: "lane 1", 2: "lane 2", 3: "lane 3"}, names
rest = [e for e in te if e["ph"] != "M"]
assert [e["tid"] for e in rest] == [e["lane"] for e in events]
assert [e["args"]["lane"] for e in rest] == [e["lane"] for e in events]
for lane in range(4):  # a thread is named before its first event
    named = next(i for i, e in enumerate(te) if e["ph"] == "M" and e["tid"] == lane and e["name"] == "thread_name")
    first = next(i for i, e in enumerate(te) if e["ph"] != "M" and e["tid"] == lane)
    assert named < first, (lane, named, first)
# A lock is a slice as long as its thread waited; one whose wait ended before
# the event ahead of it (another thread's) is an instant there (§7.8).
for e, want in zip(rest, events):
    assert e["ph"] == ("X" if "duration" in want else "i"), (e, want)
locks = [e for e in rest if e["name"] == "mutex.lock"]
assert len(locks) == 120 and any(e["ph"] == "X" for e in locks), locks[:2]
PYEOF
run tape export w.bin --format perfetto --out w.pftrace
expect_code 0
$PY - w.pftrace w.jsonl <<'PYEOF' || fail "perfetto export of a threaded trace"
import json, sys
sys.path.insert(0, ".")
import perfetto_subset_pb2 as pb
trace = pb.Trace()
trace.ParseFromString(open(sys.argv[1], "rb").read())
events = [json.loads(l) for l in open(sys.argv[2])]
tracks, order = {}, []
for p in trace.packet:
    if p.HasField("track_descriptor") and p.track_descriptor.HasField("thread"):
        t = p.track_descriptor
        tracks[t.uuid] = (t.thread.tid, t.thread.thread_name)
    elif p.HasField("track_event") and p.track_event.type != pb.TrackEvent.TYPE_SLICE_END:
        assert p.track_event.track_uuid in tracks, "an event before its track"
        order.append(tracks[p.track_event.track_uuid][0])
assert sorted(tracks.values()) == [(0, "lane 0 (main)"), (1, "lane 1"), (2, "lane 2"), (3, "lane 3")], tracks
assert order == [e["lane"] for e in events]
PYEOF
run tape export w.bin --format csv --out w.csv
expect_code 0
$PY - w.csv w.jsonl <<'PYEOF' || fail "csv export carries the lane"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
events = [json.loads(l) for l in open(sys.argv[2])]
assert [int(r["lane"]) for r in rows] == [e["lane"] for e in events]
assert [int(r["time_unix_ns"]) for r in rows] == [e["time"] for e in events]
PYEOF
run tape export w.bin --format jsonl --lane 1 --out -
expect_code 0
[ "$OUT" = "$(tape inspect w.bin --lane 1 --json)" ] || fail "jsonl export --lane 1 differs from inspect --lane 1 --json"
# tape redact copies every event: lanes, times and durations stay.
lanes_times() { $PY -c 'import json,sys; print([(e["seq"], e["lane"], e["time"], e.get("duration")) for e in map(json.loads, sys.stdin)])'; }
run tape redact w.bin --out w-red.bin --match 'no-such-secret'
expect_code 0
[ "$(tape inspect w-red.bin --json | lanes_times)" = "$(lanes_times < w.jsonl)" ] ||
  fail "tape redact keeps lanes, times and durations"
run tape verify w-red.bin
expect_code 0

# --- the README's walkthrough: examples/scripts/worker.tape ---------------------
# Two seconds instead of six (the slow second is then +1s..+2s); the README's
# commands, and what they find, on a fresh recording.
run tape run "$SRC/examples/scripts/worker.tape" --out worker.bin -- 2
expect_code 0
failed=$(printf '%s\n' "$OUT" | grep -c 'ERROR: upstream timed out') || true
[ "$failed" -ge 1 ] || fail "worker.tape: no request timed out in its slow second"
expect_out "served "
run tape inspect worker.bin --grep "timed out" --filter io.write --json
[ "$(printf '%s\n' "$OUT" | wc -l)" = "$failed" ] || fail "--grep finds each logged timeout"
first=$($PY -c 'import json,sys; print(json.loads(sys.stdin.readline())["seq"])' <<< "$OUT")
# (A request that starts late in the slow second logs its timeout 100 ms later.)
run tape inspect worker.bin --from +1s --to +2.2s --grep "timed out" --filter io.write --json
[ "$(printf '%s\n' "$OUT" | wc -l)" = "$failed" ] || fail "every timeout is in the slow second"
run tape inspect worker.bin --from +0s --to +1s --grep-re 'ERROR|failed'
expect_out "no events match from "
run tape inspect worker.bin --around "$first" --context 3
printf '%s\n' "$OUT" | grep -qE "^> [0-9:.]+ +$first  io.write\(\"req=[0-9]+ ERROR" || fail "--around marks the error"
printf '%s\n' "$OUT" | grep -qE 'time\.sleep\(100\) -> done in [0-9.]+ (ms|s)  at worker' ||
  fail "--around shows the timed-out wait before the error"
run tape export worker.bin --format chrome --from +0.8s --to +2.2s --out worker.json
expect_code 0
$PY - worker.json "$failed" <<'EOF' || fail "the exported window of worker.tape"
import json, sys
te = json.load(open(sys.argv[1]))["traceEvents"]
timeouts = [e for e in te if e["name"] == "time.sleep" and e["args"]["location"] == "worker.tape:23:5"]
assert len(timeouts) == int(sys.argv[2]), len(timeouts)
assert all(e["ph"] == "X" and e["dur"] >= 100000 for e in timeouts), timeouts  # µs
EOF
for cmd in 'tape run examples/scripts/worker.tape --out worker.bin' \
           'tape inspect worker.bin --from +3s --to +3.5s --filter io.write' \
           'tape inspect worker.bin --grep "timed out" --filter io.write' \
           'tape inspect worker.bin --around 2741 --context 3' \
           'tape export worker.bin --format chrome --from +2.8s --to +4.2s --out window.json'; do
  grep -qF -- "    \$ $cmd" "$SRC/README.md" || fail "README no longer shows: $cmd"
done
[ -s "$SRC/docs/export-speedscope.png" ] || fail "the README's screenshot is missing"

finish
