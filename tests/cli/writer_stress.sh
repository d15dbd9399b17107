# `make long-test`: many recordings at --flush-ms 1 (a flush tick every
# millisecond) while busy loops take every core, each checked with verify and
# replayed. Under this load the recorder is often descheduled inside a
# builder rotation, which once made a tick seal a chunk twice and drop the
# next one while the recording exited 0 (tests/format/writer_race_test.cc).
# RUNS (default 40) recordings of a script, and as many of a program whose
# threads record through lanes.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-40}

HOGS=()
stop_hogs() {
  for pid in "${HOGS[@]}"; do kill "$pid" 2> /dev/null; done
  for pid in "${HOGS[@]}"; do wait "$pid" 2> /dev/null; done
  HOGS=()
}
trap 'stop_hogs; rm -rf "$WORK"' EXIT
trap 'exit 143' TERM INT HUP  # (ctest's timeout): the EXIT trap stops the hogs
# Each busy loop also ends by itself after an hour, should this script be
# killed with SIGKILL.
for i in $(seq $((2 * $(nproc)))); do
  ( end=$((SECONDS + 3600)); while [ $SECONDS -lt $end ]; do :; done ) &
  HOGS+=($!)
done

echo 'for i in 0..2000000 { clock.now(); }' > clock.tape
for i in $(seq "$RUNS"); do
  run tape run clock.tape --out clock.bin --force --flush-ms 1
  LAST="run $i: $LAST"
  expect_code 0
  run tape verify clock.bin
  LAST="run $i: $LAST"
  expect_code 0
  expect_out "events:    2000000 in"
  run tape replay clock.tape --trace clock.bin
  LAST="run $i: $LAST"
  expect_code 0

  run tape record workers --out workers.bin --force --flush-ms 1 -- 4 20000
  LAST="run $i: $LAST"
  expect_code 0
  run tape verify workers.bin
  LAST="run $i: $LAST"
  expect_code 0
  run tape replay workers --trace workers.bin
  LAST="run $i: $LAST"
  expect_code 0
  [ "$FAILURES" = 0 ] || break  # the first damaged recording says enough
done

stop_hogs
finish
