# Threads: a recording of four threads replays byte for byte; inspect, stats
# and diff name lanes; kill -9 in the middle of a 4-lane recording leaves a
# trace that opens and replays its prefix.
. "$(dirname "$0")/lib.sh"

run tape record workers --out w.bin -- 4 300
expect_code 0
printf '%s\n' "$OUT" > recorded.out
[ "$(wc -l < recorded.out)" = 1200 ] || fail "expected 1200 log lines, got $(wc -l < recorded.out)"
run tape replay --trace w.bin
expect_code 0
printf '%s\n' "$OUT" > replayed.out
cmp -s recorded.out replayed.out || fail "the replay printed another log than the recording"
run tape verify w.bin
expect_code 0

# The tools name lanes: events of threads other than the program's own show
# "[lane N]"; JSON has a lane field; stats counts per lane; diff says when
# two recordings differ only in how their threads' calls interleaved.
run tape inspect w.bin --limit 8
expect_code 0
expect_out "thread.start() -> 1 in "  # how long starting the thread took (trace-format §7.8)
expect_out "  at engine/programs/workers.cc"
run tape inspect w.bin --filter random.bits --limit 1
expect_out "] random.bits(1) -> 1 bytes"
expect_out "  [lane "
run tape inspect w.bin --json --limit 2
expect_out '{"seq":1,"lane":0,"time":'
expect_out ',"kind":"thread.start"'
run tape inspect w.bin --lane 2 --limit 3
expect_code 0
expect_out "[lane 2] random.bits(1)"
expect_no_out "[lane 1]"
run tape inspect w.bin --lane 0 --filter thread.start --limit 1
expect_out "thread.start() -> 1"
run tape inspect w.bin --lane 70000
expect_code 2
run tape stats w.bin
expect_code 0
expect_out "lane               events   share"
expect_out "4                     601"
run tape stats w.bin --json
expect_out '{"lane":4,"events":601}'
# Recordings until two interleave differently (the scheduler decides).
for attempt in $(seq 1 20); do
  run tape record workers --out w2.bin -- 4 300
  run tape diff w.bin w2.bin
  case "$OUT" in *"interleaved differently"*) break ;; esac
done
expect_code 1
expect_out "another thread made the call here: the threads' calls interleaved differently"
expect_out "[lane "

# kill -9 while four threads record: once the trace holds a first chunk, and
# once it holds many (waited for, however slow the machine).
has_events() {
  local n
  n=$("$TAPE" verify "$1" 2> /dev/null | sed -n 's/^  events: *\([0-9]*\) in.*/\1/p')
  [ "${n:-0}" -ge "$2" ]
}
for want in 1 100000; do
  rm -f k.bin
  "$TAPE" record workers --out k.bin --flush-ms 50 -- 4 50000000 > /dev/null 2>&1 &
  pid=$!
  wait_for "$want events in k.bin" has_events k.bin "$want"
  kill -9 $pid
  wait $pid 2>/dev/null
  LAST="kill -9 of a 4-lane recording once it held $want events"
  run tape verify k.bin
  expect_code 1
  expect_out "finalized: no"
  expect_no_out "problem:   seq"
  events=$(printf '%s\n' "$OUT" | sed -n 's/^  events: *\([0-9]*\) in.*/\1/p')
  [ -n "$events" ] && [ "$events" -gt 0 ] || fail "the killed recording kept no events"
  run tape replay --trace k.bin
  expect_code 80
  expect_err "trace ends at seq $events: the recording was interrupted"
done

finish
