# Damaged, hostile and shrinking traces through the reading tools. Each must
# end with a clear message and a documented exit code: never a crash, a hang,
# an unbounded allocation, a false "identical", a lost outcome or raw
# terminal escapes. (The full-size bombs are in hostile_long.sh.)
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden"
HOSTILE=${TAPE_MAKE_HOSTILE:?set TAPE_MAKE_HOSTILE to the make_hostile binary}
SHRINK=${TAPE_SHRINK:?set TAPE_SHRINK to the shrink_while_reading binary}

no_crash() {
  [ "$CODE" -lt 128 ] || fail "killed by signal $((CODE - 128))"
  [[ "$ERR" != *"terminate called"* && "$ERR" != *"Sanitizer"* && "$ERR" != *"bad_alloc"* ]] ||
    fail "crashed instead of reporting"
}

# Tools run under the address-space limit the bombs are meant for, when the
# build allows it (a sanitizer build reserves terabytes of shadow memory).
if (ulimit -v 2000000 && "$TAPE" --version) > /dev/null 2>&1; then
  limited() { (ulimit -v 2000000 && "$@"); }
  LIMITED=1
else
  limited() { "$@"; }
  LIMITED=0
fi

# --- diff checks what it compares by hash --------------------------------------

run tape diff "$G/bad-chunk-0.trace" "$G/small-chunks.trace"
expect_code 81
expect_err "bad-chunk-0.trace: chunk 0: record at byte"
expect_err "checksum mismatch"
expect_no_out "identical"
run tape diff "$G/small-chunks.trace" "$G/bad-chunk.trace"
expect_code 81
expect_err "chunk 2: record at byte 617"
# The divergence (a missing event) lies in a damaged chunk: damage, not "(end of trace)".
run tape diff "$G/bad-chunk.trace" "$G/two-chunks.trace"
expect_code 81
expect_err "chunk 2: record at byte 617"
expect_no_out "(end of trace)"
run tape diff "$G/gaps.trace" "$G/small-chunks.trace"
expect_code 81
expect_err "the traces cannot be compared: "
expect_err "holds no events 0..4"
run tape diff "$G/gaps.trace" "$G/gaps.trace"
expect_code 0
expect_out "note: both traces lack events 0..4"
expect_out "identical: 41 events; the program exited with code 3"

# --- recover keeps every readable chunk, marks the gap, keeps the outcome -------

run tape recover "$G/bad-chunk-0.trace" --out rec0.trace
expect_code 0
expect_out "recovered 36 of 41 events into rec0.trace; the program exited with code 3"
expect_out "missing: events 0..4: "
expect_out "replay of it stops at seq 0"
expect_no_out "interrupted"
run tape verify rec0.trace
expect_code 0
expect_out "rec0.trace: ok"
expect_out "missing:   events 0..4 (5 events, recorded as a gap by tape recover)"
run tape inspect rec0.trace --limit 2
expect_code 0
expect_out "36 of 41 events (5 missing) in 1 chunk; the program exited with code 3"
expect_out "      -  events 0..4 are missing"
expect_out "      5  io.write(\"line 5\\n\")"
run tape stats rec0.trace
expect_out "events:    36 of 41 (5 missing) in 1 chunk"

# A real recording damaged in its second chunk: the chunks after it are kept,
# and replay runs up to the gap, then stops there with the missing seqs.
tape record heartbeat --out hb.bin --flush-ms 10 > /dev/null
chunks=$(tape stats hb.bin --json | grep -o '"chunks":[0-9]*' | cut -d: -f2)
[ "${chunks:-0}" -ge 3 ] || fail "heartbeat was recorded in ${chunks:-0} chunks; the test needs 3"
"$HOSTILE" damage hb.bin hb-bad.bin 1
run tape recover hb-bad.bin --out hb-rec.bin
expect_code 0
expect_out "the program exited with code 0"
gap=$(printf '%s\n' "$OUT" | sed -n 's/^  missing: events \([0-9]*\)\.\..*/\1/p; s/^  missing: event \([0-9]*\): .*/\1/p' | head -1)
[ -n "$gap" ] || fail "recover named no missing events"
run tape replay heartbeat --trace hb-rec.bin
expect_code 81
expect_err "replay stops at seq $gap: hb-rec.bin holds no events $gap.."
expect_err "they were lost to damage before the trace was recovered"
# Without the footer too: recover looks past the damaged chunk for the rest,
# and finds the outcome in the footer record.
head -c -16 hb-bad.bin > hb-no-trailer.bin
run tape recover hb-no-trailer.bin --out hb-rec2.bin
expect_code 0
expect_out "the program exited with code 0"
expect_out "source:  no footer"
run tape verify hb-rec2.bin
expect_code 0
run tape diff hb-rec.bin hb-rec2.bin
expect_code 0

# --- bombs: bounded memory and work ---------------------------------------------

echo "hello world" > small.txt
TAPE_INPUT=small.txt tape record wordcount --out wc.bin > /dev/null
"$HOSTILE" blob-bomb wc.bin bomb.bin 4           # a 4 GiB fs.read result in ~150 KB
run limited "$TAPE" verify bomb.bin                # hashed as it streams, never held
expect_code 0
expect_out "bomb.bin: ok"
no_crash
run limited "$TAPE" recover bomb.bin --out bomb-rec.bin   # copied piece by piece
expect_code 0
expect_out "recovered 3 events"
no_crash
run tape verify bomb-rec.bin
expect_code 0
for verb in inspect stats; do
  run limited "$TAPE" $verb bomb.bin
  expect_code 0
  no_crash
done
run limited "$TAPE" diff wc.bin bomb.bin
expect_code 1
expect_out "first divergence at seq 1"
no_crash
if [ "$LIMITED" = 1 ]; then
  TAPE_INPUT=small.txt run limited "$TAPE" replay bomb.bin
  expect_err "a quarter of the address-space limit, ulimit -v"
else
  TAPE_INPUT=small.txt TAPE_MAX_PAYLOAD=1G run "$TAPE" replay bomb.bin
  expect_err "(TAPE_MAX_PAYLOAD=1G)"
fi
expect_code 81
expect_err "replay stops at seq 1: bomb.bin: a spilled payload of 4294967296 bytes (4.0 GiB"
expect_err "is larger than the memory budget"
no_crash

# 100,000 events share one 1 GiB chain: one walk, not 100,000.
"$HOSTILE" chain-bomb chain.bin 100000 1024
run timeout 120 "$TAPE" verify chain.bin
expect_code 0
expect_out "events:    100000 in 3 chunks"

# Footer-less traces whose chunks define 16 MiB of new sites each.
"$HOSTILE" site-bomb sites.bin 4
run limited "$TAPE" stats sites.bin
expect_code 0
expect_out "chunk 2 at byte"
expect_out "take the site table past the limit of 262144 sites and 33554432 bytes"
no_crash
"$HOSTILE" site-bomb tiny-sites.bin 1 tiny
run limited "$TAPE" verify tiny-sites.bin
expect_code 1
expect_out "NEW_SITES holds more than 262144 entries"
no_crash

# --- text from a trace never reaches the terminal raw ----------------------------

raw_controls() {  # the bytes escapes.trace plants, found in stdout or stderr
  LC_ALL=C grep -l -e $'\x1b' -e $'\r' -e $'\x07' -e $'\x9b' -e $'\xff' -e $'\xe2\x80\xae' \
    "$WORK/.out" "$WORK/.err"
}
for cmd in "inspect $G/escapes.trace" "inspect $G/escapes.trace --json" "stats $G/escapes.trace" \
           "stats $G/escapes.trace --json" "verify $G/escapes.trace" \
           "diff $G/escapes.trace $G/small-chunks.trace" "recover $G/escapes.trace --out esc.bin" \
           "replay --trace $G/escapes.trace"; do
  run tape $cmd
  no_crash
  if raw_controls > /dev/null; then fail "raw control bytes in the output of: tape $cmd"; fi
done
run tape inspect "$G/escapes.trace"
expect_out "program 'evil\\x1b]0;pwned\\x07name', recorded"
expect_out "by tape \\x1b[31mred\\x1b[0m"
expect_out "the program threw boom\\x1b[2J\\r\\x1b[1Aall good"
expect_out "io.write(\"hi \\x9b31m \\u{009b}2J \\u{202e}txt\")"
expect_out "at src/\\r\\x1b[2Kfake.cc:1:1\\u{009b}\\xff\\u{202e} [site"
run tape replay --trace "$G/escapes.trace"
expect_code 2
expect_err "evil\\x1b]0;pwned\\x07name"

# --- wording: a trace without a footer may still be being recorded; plurals -----

run tape inspect "$G/two-chunks.trace"
expect_out "10 events in 2 chunks; the program is still being recorded, or its recording was interrupted"
expect_out "note: no footer: the trace is still being recorded, or its recording was interrupted; read 10 events in 2 chunks"
run tape verify "$G/two-chunks.trace"
expect_out "finalized: no (still being recorded, interrupted, or damaged)"
run tape stats "$G/interrupted.trace"
expect_out "outcome:   the program is still being recorded, or its recording was interrupted"
run tape diff "$G/spec-example.trace" "$G/spec-example.trace"
expect_out "identical: 1 event; the program exited with code 0"
run tape recover "$G/spec-example.trace" --out one.bin
expect_out "recovered 1 event into one.bin"
head -c -16 "$G/spec-example.trace" > one-cut.bin
run tape inspect one-cut.bin
expect_out "read 1 event in 1 chunk"

# --- a trace that shrinks while it is read ---------------------------------------

# The real command: inspect blocks on a full pipe while the file is cut short.
printf 'for i in 0..300000 { clock.now(); }\n' > loop.tape
tape run loop.tape --out big.bin > /dev/null
cp big.bin shrinking.bin
mkfifo pipe
"$TAPE" inspect shrinking.bin > pipe 2> inspect.err &
pid=$!
exec 3< pipe
for _ in $(seq 200); do grep -q shrinking.bin "/proc/$pid/maps" 2> /dev/null && break; sleep 0.02; done
truncate -s 100 shrinking.bin
cat <&3 > /dev/null
wait "$pid"
CODE=$?
exec 3<&-
ERR=$(cat inspect.err)
LAST="tape inspect shrinking.bin (truncated to 100 bytes while it ran)"
expect_code 81
expect_err "tape inspect: shrinking.bin changed while it was being read: it shrank from $(stat -c %s big.bin) to 100 bytes"

# Every reading verb installs the same handler (cli::OpenTrace).
for verb in inspect stats verify diff recover; do
  cp big.bin shrinking.bin
  run "$SHRINK" "$verb" shrinking.bin
  expect_code 81
  expect_err "tape $verb: shrinking.bin changed while it was being read: it shrank from"
  expect_no_out "after the file shrank"
done

# A SIGBUS that is not a trace shrinking keeps its default action.
cp big.bin whole.bin
mkfifo pipe2
"$TAPE" inspect whole.bin > pipe2 2> kill.err &
pid=$!
exec 4< pipe2
for _ in $(seq 200); do grep -q whole.bin "/proc/$pid/maps" 2> /dev/null && break; sleep 0.02; done
kill -BUS "$pid"
cat <&4 > /dev/null
wait "$pid"
CODE=$?
exec 4<&-
LAST="kill -BUS tape inspect"
[ "$CODE" = $((128 + 7)) ] || fail "expected death by SIGBUS (exit 135), got $CODE"
grep -q "changed while" kill.err && fail "a SIGBUS from kill was reported as a shrinking trace"

# verify checks every event: reserved kinds, unnamed user kinds, and payloads
# without their kind's layout are problems, each named by seq.
"$HOSTILE" bad-kinds kinds.bin
run tape verify kinds.bin
expect_code 1
expect_out "seq 0: kind 0 is reserved"
expect_out "seq 1: kind 100 is reserved"
expect_out "seq 2: kind 127 is reserved"
expect_out "seq 3: kind 200 is a user-defined kind the trace does not name"
expect_out "seq 4: clock.now: result: a u64 is cut short"
expect_out "seq 5: random.bits: random.bits(4) returned 2 bytes"
expect_out "seq 6: env.get: result: an unset value has bytes"
expect_no_out "seq 7:"
run tape verify kinds.bin --json
expect_code 1
expect_out '"sound":false'

# verify checks the lane rules of threaded traces (trace-format §7.7).
"$HOSTILE" bad-lanes lanes.bin
run tape verify lanes.bin
expect_code 1
expect_no_out "seq 0:"
expect_out "seq 1: lane 2 has an event before its thread.start"
expect_no_out "seq 2:"
expect_out "seq 3: lane 1 has an event after its thread.end"
expect_out "seq 4: thread.start gives lane 5, expected lane 2"
expect_out "seq 5: lane 0 (the program's thread) cannot end with thread.end"
expect_no_out "seq 6:"

finish
