# The golden traces through every reading tool, then every Nth truncation and
# byte flip of a small trace through inspect, stats, verify, diff, recover and
# replay: each either works or fails with a message and a documented exit
# code. STRIDE=1 (the long mode) tries every byte; START moves the sample.
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden"
STRIDE=${STRIDE:-19}
START=${START:-0}  # the first byte tried (a sample of other bytes than the default)

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
# Whether the last command reported damage: it failed, or it said so.
reported() {
  [ "$CODE" != 0 ] || [[ "$OUT$ERR" == *"damaged"* || "$OUT$ERR" == *"checksum"* ]]
}

# What byte AT of a trace is (specs/trace-format.md §3-§5, §10), from the
# record table RECORDS ("TAG START END" lines): format_minor (any value is
# accepted, §4); BLOB (a spilled payload's records, which tools that show
# payloads read only as far as they show, §11); checked (a HEAD, CHNK or
# FOOT record, whose checksum binds its tag, length and body: every tool
# reads them); or structure (the rest of the prelude, the trailer: verify
# checks them).
region() {
  if [ "$1" = 10 ] || [ "$1" = 11 ]; then echo format_minor; return; fi
  local tag start end
  while read -r tag start end; do
    if [ "$1" -ge "$start" ] && [ "$1" -lt "$end" ]; then
      [ "$tag" = BLOB ] && echo BLOB || echo checked
      return
    fi
  done <<< "$RECORDS"
  echo structure
}
records() {
  python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off = 16
while off + 16 <= len(d) and d[off:off + 4].isalpha():
    end = off + 16 + struct.unpack('<I', d[off + 4:off + 8])[0]
    print(d[off:off + 4].decode(), off, end)
    off = end
PY
}

# Every STRIDE-th truncation and byte flip. Every tool either works or fails
# with a message, and the damage is counted: verify must report every flip
# (but of format_minor) and every truncation; inspect, stats and diff every
# flip of a checksummed record they read (diff never calls it "identical").
tape record counter --out counter.bin > /dev/null
for source in "$G/small-chunks.trace" counter.bin; do
  size=$(stat -c %s "$source")
  RECORDS=$(records "$source")
  [ "$(printf '%s\n' "$RECORDS" | head -1 | cut -d' ' -f1)" = HEAD ] || fail "no record table for $source"
  flips=0 checked_flips=0 minor=0 cuts=0
  declare -A found=([verify]=0 [inspect]=0 [stats]=0 [diff]=0)
  cut_found=0
  for ((at = START; at < size; at += STRIDE)); do
    head -c "$at" "$source" > cut.bin
    cp "$source" flip.bin
    byte=$(od -An -tu1 -j "$at" -N1 "$source" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (byte ^ 0x5a) & 255 )))" | dd of=flip.bin bs=1 seek="$at" conv=notrunc 2>/dev/null
    where=$(region "$at")
    flips=$((flips + 1))
    [ "$where" = checked ] && checked_flips=$((checked_flips + 1))
    [ "$where" = format_minor ] && minor=$((minor + 1))
    for f in cut.bin flip.bin; do
      check_tool "0 81" tape inspect "$f"
      if [ $f = flip.bin ] && [ "$where" = checked ] && reported; then found[inspect]=$((found[inspect] + 1)); fi
      check_tool "0 81" tape stats "$f"
      if [ $f = flip.bin ] && [ "$where" = checked ] && reported; then found[stats]=$((found[stats] + 1)); fi
      check_tool "0 1 81" tape verify "$f"
      if [ $f = cut.bin ]; then
        [ "$CODE" != 0 ] && cut_found=$((cut_found + 1))
      elif [ "$where" != format_minor ] && [ "$CODE" != 0 ]; then
        found[verify]=$((found[verify] + 1))
      fi
      check_tool "0 1 81" tape diff "$f" "$source"
      if [ $f = flip.bin ] && [ "$where" = checked ] && reported; then found[diff]=$((found[diff] + 1)); fi
      check_tool "0 81" tape recover "$f" --out rec.bin --force
      if [ "$CODE" = 0 ]; then check_tool "0" tape verify rec.bin; fi
      if [ "$source" = counter.bin ]; then
        check_tool "0 2 80 81" tape replay counter --trace "$f"
      fi
    done
    cuts=$((cuts + 1))
  done
  LAST="the damage sweep of $source (every ${STRIDE}th byte from $START)"
  echo "$source: verify reported $((found[verify])) of $((flips - minor)) flips and $cut_found of $cuts truncations;" \
    "inspect, stats, diff reported ${found[inspect]}, ${found[stats]}, ${found[diff]} of $checked_flips flips in HEAD, CHNK and FOOT records"
  [ "${found[verify]}" = $((flips - minor)) ] || fail "verify missed $((flips - minor - found[verify])) flips"
  [ "$cut_found" = "$cuts" ] || fail "verify called $((cuts - cut_found)) truncated traces whole"
  for tool in inspect stats diff; do
    [ "${found[$tool]}" = "$checked_flips" ] || fail "$tool missed $((checked_flips - found[$tool])) flips"
  done
  unset found
done

finish
