# The golden traces through every reading tool, then every Nth truncation and
# byte flip of a small trace through inspect, stats, verify, diff, recover and
# replay: each either works or fails with a message and a documented exit
# code. STRIDE=1 (the long mode) tries every byte.
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden"
STRIDE=${STRIDE:-19}

run tape verify "$G/small-chunks.trace"
expect_code 0
expect_out "41 in 9 chunks"
run tape verify "$G/bad-chunk.trace"
expect_code 1
expect_out "chunk 2: record at byte"
expect_out "checksum mismatch"
run tape recover "$G/bad-chunk.trace" --out fixed.trace
expect_code 0
expect_out "recovered 36 of 41 events"
expect_out "missing: events 10..14: "
expect_out "chunk 2: record at byte 617: CHNK checksum mismatch"
expect_out "the program exited with code 3"
run tape verify fixed.trace
expect_code 0
expect_out "missing:   events 10..14 (5 events"
run tape verify "$G/interrupted.trace"
expect_code 1
expect_out "finalized: no"
run tape stats "$G/torn-tail.trace"
expect_code 0
expect_out "events:    25 in 5 chunks"
run tape inspect "$G/bad-footer.trace" --since 40
expect_code 0
expect_out "footer is damaged"
run tape inspect "$G/future-version.trace"
expect_code 81
expect_err "version 2.0 is not supported"
run tape verify "$G/not-a-trace.txt"
expect_code 81
expect_err "not a tape trace"
run tape diff "$G/small-chunks.trace" "$G/interrupted.trace"
expect_code 1
expect_out "is a prefix of"

check_tool() {  # a tool's exit code must be one of the allowed ones, with no crash
  local allowed=$1
  shift
  run "$@"
  [[ " $allowed " == *" $CODE "* ]] || fail "exit code $CODE not in {$allowed}"
  expect_one_line_err_if_failed
}
expect_one_line_err_if_failed() {
  if [ "$CODE" -ge 2 ] && [ -z "$ERR" ]; then fail "failed without a message"; fi
  [[ "$ERR" != *"Sanitizer"* && "$ERR" != *"terminate called"* ]] || fail "crashed"
}

tape record counter --out counter.bin > /dev/null
for source in "$G/small-chunks.trace" counter.bin; do
  size=$(stat -c %s "$source")
  for ((at = 0; at < size; at += STRIDE)); do
    head -c "$at" "$source" > cut.bin
    cp "$source" flip.bin
    byte=$(od -An -tu1 -j "$at" -N1 "$source" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (byte ^ 0x5a) & 255 )))" | dd of=flip.bin bs=1 seek="$at" conv=notrunc 2>/dev/null
    for f in cut.bin flip.bin; do
      check_tool "0 81" tape inspect "$f"
      check_tool "0 81" tape stats "$f"
      check_tool "0 1 81" tape verify "$f"
      check_tool "0 1 81" tape diff "$f" "$source"
      check_tool "0 81" tape recover "$f" --out rec.bin --force
      if [ "$CODE" = 0 ]; then check_tool "0" tape verify rec.bin; fi
      if [ "$source" = counter.bin ]; then
        check_tool "0 2 80 81" tape replay counter --trace "$f"
      fi
    done
  done
done

finish
