# Every demo: record, then replay byte-identically; the verbs' conventions.
. "$(dirname "$0")/lib.sh"

export TAPE_INPUT="$SRC/CMakeLists.txt"
for program in dice counter entropy flaky wordcount greet heartbeat; do
  run tape record "$program" --out "$program.bin"
  record_code=$CODE
  printf '%s' "$OUT" > "$program.recorded"
  [ -s "$program.recorded" ] || fail "$program printed nothing"
  run tape replay "$program" --trace "$program.bin"
  expect_code "$record_code"
  printf '%s' "$OUT" > "$program.replayed"
  expect_same "$program.recorded" "$program.replayed"
  # Without a program name, the trace says which program to run.
  run tape replay --trace "$program.bin"
  expect_code "$record_code"
  [ "$OUT" = "$(cat "$program.recorded")" ] || fail "replay --trace alone differs for $program"
done

# The default trace file is trace.bin; `tape replay FILE` takes a trace positionally.
run tape record counter
expect_code 0
[ -f trace.bin ] || fail "no trace.bin"
run tape replay trace.bin
expect_code 0
expect_out "count 5"

# A trace is recognised by its magic, not its name.
run tape record greet --out greet.tape
run tape inspect greet.tape
expect_code 0
expect_out "env.get(\"NAME\")"

# The environment at recording time is what replay sees.
NAME=ada tape record greet --out ada.bin > /dev/null
NAME=grace run tape replay greet --trace ada.bin
expect_out "hello, ada"

# The file read while recording need not exist at replay.
echo "one two three" > input.txt
TAPE_INPUT=input.txt run tape record wordcount --out wc.bin
expect_out "input.txt: 1 lines, 3 words, 14 chars"
rm input.txt
run tape replay wordcount --trace wc.bin
expect_code 0
expect_out "input.txt: 1 lines, 3 words, 14 chars"

# Replaying with another program is drift, with its own exit code.
run tape replay flaky --trace dice.bin
expect_code 80
expect_err "ProgramMismatch"
expect_err "builtin program 'dice'"

# A flaky failure replays with exit code 1, every time.
for i in $(seq 1 400); do
  tape record flaky --out flaky.bin > /dev/null 2>&1 && continue
  break
done
run tape replay flaky --trace flaky.bin
expect_code 1
expect_out "FAIL: expected the answer to be 42"

# tape bench replays with and without the read-ahead thread.
for flag in "" --no-read-ahead; do
  run tape bench --events 20000 --effect clock --json $flag
  expect_code 0
  python3 - "$OUT" "$flag" <<'PY' || fail "tape bench --json $flag"
import json, sys
j = json.loads(sys.argv[1])
assert j["events"] == 20000 and j["replay_ns_per_event"] > 0, j
assert j["read_ahead"] == (sys.argv[2] == ""), j
PY
done

finish
