# kill -9 while recording: what is lost is the events since the last chunk
# was written (measured), and at random moments every remaining trace opens
# in every tool as a clean interrupted prefix, and replays up to its end.
# KILLS (default 6) sets how many random kills; the long mode runs 200.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}
KILLS=${KILLS:-6}
RANDOM=${KILL_SEED:-20261125}

trace_events() {  # the events `tape verify` finds in a trace (0 when it has none)
  "$TAPE" verify "$1" 2> /dev/null | sed -n 's/^  events: *\([0-9]*\) in.*/\1/p' | grep . || echo 0
}
has_events() { [ "$(trace_events "$1")" -ge "$2" ]; }
has_head() { "$TAPE" verify "$1" 2> /dev/null | grep -q '^  events: '; }  # it reads as a trace

# What kill -9 loses (specs/trace-format.md §12): the events recorded since
# the last chunk was written, and nothing before. A script makes 201 events
# (200 writes, then args.get) and waits at a gate, recording nothing more.
cat > burst.tape <<'T'
for i in 0..200 { print("event " + str(i)); }
fs.read(args.get()[0]);
T
burst_killed() {  # burst_killed NAME FLUSH_MS WHAT CHECK...: killed once CHECK holds
  local name=$1 flush=$2 what=$3
  shift 3
  close_gate
  "$TAPE" run burst.tape --out "$name.bin" --flush-ms "$flush" -- gate > "$name.out" 2>&1 7>&- &
  local pid=$!
  wait_for "$what" "$@"
  kill -9 $pid
  wait $pid 2> /dev/null
  open_gate
  LAST="kill -9 of burst.tape ($name.bin, --flush-ms $flush) once $what"
  run tape verify "$name.bin"
}
# Sealed by the flush timer, without the program's help: nothing is lost.
burst_killed burst 50 "the 201 events reached the file" has_events burst.bin 201
expect_code 1
expect_out "finalized: no"
expect_out "events:    201 in "
# Never flushed (the period is an hour, the chunk not full): exactly the
# events since the start are lost, and the trace is still a trace.
burst_killed unflushed 3600000 "the program reached the gate" has_line unflushed.out "event 199"
expect_code 1
expect_out "events:    0 in 0 chunks"
# A program recording all the time, killed once its first chunks are out:
# what it printed past the trace's last event is what was lost (reported,
# not bounded: how late the encoder thread ran is up to the scheduler).
TAPE_TEST_MODE=slow "$CRASH" record --out slow.bin --flush-ms 50 > slow.out 2> /dev/null &
pid=$!
wait_for "the first chunks of slow.bin" has_events slow.bin 30
kill -9 $pid
wait $pid 2> /dev/null
kept=$(trace_events slow.bin)
printed=$(grep -c '^tick ' slow.out)
echo "kill -9 of a program writing a line every 5 ms: the trace kept $kept events;" \
  "the program had printed $printed lines (3 events each) by then"
[ "$kept" -le $((3 * printed + 3)) ] || fail "the trace holds more events than the program made"

for k in $(seq 1 "$KILLS"); do
  mode=$([ $((k % 2)) = 0 ] && echo fast || echo slow)
  delay_ms=$((20 + RANDOM % 400))
  rm -f k.bin  # each kill must leave its own trace, not the previous one
  TAPE_TEST_MODE=$mode "$CRASH" record --out k.bin --flush-ms 50 > recorded.out 2>/dev/null &
  pid=$!
  # The random moment is counted from the start of the recording (the
  # trace's HEAD is written), however late a loaded machine starts it.
  wait_for "k.bin to be a trace" has_head k.bin
  sleep "$(printf '0.%03d' "$delay_ms")"
  kill -9 $pid
  wait $pid 2>/dev/null
  LAST="kill -9 after ${delay_ms} ms ($mode)"

  run tape verify k.bin
  expect_code 1
  expect_out "finalized: no"
  expect_no_out "checksum mismatch"
  events=$(printf '%s\n' "$OUT" | sed -n 's/^  events: *\([0-9]*\) in.*/\1/p')
  [ -n "$events" ] || fail "verify printed no event count"
  run tape inspect k.bin --limit 3
  expect_code 0
  expect_out "interrupted"
  run tape stats k.bin
  expect_code 0
  run tape recover k.bin --out fixed.bin --force
  expect_code 0
  run tape verify fixed.bin
  expect_code 0
  run tape diff k.bin fixed.bin
  expect_code 0
  TAPE_TEST_MODE=$mode run "$CRASH" replay --trace k.bin
  expect_code 80
  expect_err "trace ends at seq $events: the recording was interrupted"
  # What replay prints is a prefix of what the recording printed.
  printf '%s' "$OUT" > replayed.out
  head -c "$(wc -c < replayed.out)" recorded.out | cmp -s - replayed.out ||
    fail "replayed output is not a prefix of the recorded output"
done

finish
