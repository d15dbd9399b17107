# kill -9 at random moments while recording: every remaining trace opens in
# every tool as a clean interrupted prefix, and replays up to its end.
# KILLS (default 6) sets how many; the long mode runs 200.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}
KILLS=${KILLS:-6}
RANDOM=${KILL_SEED:-20261125}

for k in $(seq 1 "$KILLS"); do
  mode=$([ $((k % 2)) = 0 ] && echo fast || echo slow)
  delay_ms=$((20 + RANDOM % 400))
  rm -f k.bin  # each kill must leave its own trace, not the previous one
  TAPE_TEST_MODE=$mode "$CRASH" record --out k.bin --flush-ms 50 > recorded.out 2>/dev/null &
  pid=$!
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
