# Traces of the original tape (specs/original-trace.md) through the CLI:
# inspect matches the golden expectations, stats and diff read them, import
# writes a trace that verifies and inspects the same, replay refuses with
# CodeHashMismatch, and every Nth truncation and byte flip of each of the
# original's example traces fails with a clear error (exit 81), never a
# crash. STRIDE=1 (the long mode) tries every byte; START moves the sample.
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden/original"
STRIDE=${STRIDE:-19}
START=${START:-0}  # the first byte tried (a sample of other bytes than the default)
EXAMPLES="dice.tape flaky.tape flaky-failed.tape greet.tape heartbeat.tape"
cp "$G"/*.tape .

# inspect: the golden expectations (run here, so paths print as bare names).
for f in *.tape; do
  run tape inspect "$f"
  expect_code 0
  [ "$OUT" = "$(cat "$G/$f.inspect")" ] || fail "inspect $f differs from $f.inspect"
done
run tape inspect heartbeat.tape --filter clock.now --json
expect_code 0
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] || fail "three clock readings expected"
expect_out '"result":1778053540000000000'
expect_out '"location":"src/programs.rs:133:24"'

# stats
run tape stats heartbeat.tape
expect_code 0
expect_out "heartbeat.tape: builtin program 'heartbeat', recorded 2026-05-06 07:45:40 UTC by the original tape"
expect_out "origin:    imported from the original tape (schema 2)"
expect_out "events:    9 in 1 chunk"
expect_out "src/programs.rs:132:23 [site 000000001d13ddc5]"
expect_no_out "duration:"
run tape stats script-effects.tape --json
expect_code 0
expect_out '"origin":"imported from the original tape (schema 2)"'
expect_out '"name":""'
expect_out '"events":10'

# diff: the passing and the failing run part at the random byte.
run tape diff flaky.tape flaky-failed.tape
expect_code 1
expect_out "first divergence at seq 0:"
expect_out "random.bits(1) -> 1 bytes 89  at src/programs.rs:84:28"
expect_out "random.bits(1) -> 1 bytes 01  at src/programs.rs:84:28"
expect_out "the outside world answered differently"
run tape diff flaky.tape flaky-failed.tape --json
expect_code 1
expect_out '"class":"result"'
run tape diff greet.tape greet.tape
expect_code 0
expect_out "identical: 2 events"

# import: each trace becomes a finalized tape trace that reads the same.
for f in *.tape; do
  run tape import "$f" --out "$f.bin"
  expect_code 0
  expect_out "into $f.bin"
  run tape verify "$f.bin"
  expect_code 0
  expect_out "$f.bin: ok"
  run tape inspect "$f.bin"
  expect_code 0
  [ "$OUT" = "$(sed "1s|^$f:|$f.bin:|" "$G/$f.inspect")" ] || fail "inspect of imported $f differs"
  run tape diff "$f" "$f.bin"
  expect_code 0
done
run tape import flaky-failed.tape --out ff.bin
expect_out "imported 2 events of builtin program 'flaky' (inferred from its sites) into ff.bin; the program exited with code 1"
run tape import script-effects.tape --out s.bin
expect_out "imported 10 events of an unknown program (name it with --program)"
run tape import script-effects.tape --out s.bin --program scripts/effects.tape
expect_code 0
expect_out "script program 'effects.tape' (given)"
run tape inspect s.bin
expect_out "s.bin: script program 'effects.tape', recorded"
run tape import flaky.tape --out wrong.bin --program dice
expect_code 0
expect_out "note: the trace's sites are those of the original's built-in program 'flaky', not 'dice'"

# import refuses what it should.
echo "notes" > notes.txt
run tape import dice.tape --out notes.txt
expect_code 2
expect_err "refusing to overwrite notes.txt"
[ "$(cat notes.txt)" = notes ] || fail "notes.txt was overwritten"
run tape import dice.tape --out notes.txt --force
expect_code 0
run tape import dice.tape --out dice.tape
expect_code 2
expect_err "not the trace being imported"
run tape import ff.bin --out again.bin
expect_code 2
expect_err "ff.bin is already a tape trace"
run tape import "$SRC/tests/golden/not-a-trace.txt" --out x.bin
expect_code 81
expect_err "not a tape trace"
expect_err "nor a trace of the original tape"
run tape import missing.tape --out x.bin
expect_code 81
expect_err "missing.tape: no such file"
[ ! -e x.bin ] || fail "a failed import left x.bin"
mkfifo fifo
run timeout 10 "$TAPE" import fifo --out x.bin
expect_code 81
expect_err "fifo is not a regular file"
run tape import dice.tape --out no-such-dir/x.bin
expect_code 81
expect_err "no-such-dir/x.bin"

# replay: an imported trace stops with CodeHashMismatch, saying why.
run tape replay flaky --trace ff.bin
expect_code 80
expect_err "CodeHashMismatch: the trace was imported from the original tape (schema 2)"
expect_err "recorded: code hash b1abeab8884b5d6a4d38ee98cd8297f9bb665579218dafd47546603771a5da88 (the original tape's 'flaky')"
run tape replay --trace ff.bin
expect_code 80
expect_err "CodeHashMismatch"
run tape replay --trace script-effects.tape.bin
expect_code 80
expect_err "replay:   no program: the trace does not name one"
run tape replay --trace s.bin
expect_code 80
expect_err "replay:   no program: the trace does not hold the script's source"
run tape replay flaky --trace ff.bin --ignore-code-hash
expect_code 80
expect_err "SiteMismatch at seq 0"
run tape replay flaky --trace flaky-failed.tape
expect_code 81
expect_err "it is a trace of the original tape"
expect_err "tape import converts it"

# Damage: every STRIDE-th truncation is refused (the original writes its file
# whole, so a short one is a damaged copy), and recoverable with --recover;
# every STRIDE-th byte flip reads or is refused, never a crash. The original
# has no checksums, so a flip is caught by what it changes, and counted:
# diff against the unflipped file reports every flip (differ or refused)
# but those in the header fields it does not compare, started_at and
# code_hash (bytes 4-43, specs/original-trace.md §3.1), which
# `stats --json` shows changed instead.
no_crash() {
  [[ "$ERR" != *"Sanitizer"* && "$ERR" != *"terminate called"* && "$ERR" != *"Segmentation"* ]] ||
    fail "crashed"
  if [ "$CODE" != 0 ] && [ "$CODE" != 1 ] && [ -z "$ERR" ]; then fail "failed without a message"; fi
}
for f in $EXAMPLES; do
  size=$(stat -c %s "$f")
  cp "$f" same.tape
  stats_before=$(tape stats same.tape --json 2>&1)
  flips=0 by_diff=0 by_stats=0 header_flips=0
  for ((at = START; at < size; at += STRIDE)); do
    head -c "$at" "$f" > cut.tape
    for verb in inspect stats; do
      run tape $verb cut.tape
      expect_code 81
      expect_err "cut.tape"
      no_crash
    done
    run tape diff cut.tape "$f"
    expect_code 81
    no_crash
    run tape import cut.tape --out cut.bin --force
    expect_code 81
    no_crash
    if [ "$at" -ge 4 ]; then expect_err "byte "; fi
    if [ "$at" -ge 44 ]; then
      run tape import cut.tape --out cut.bin --force --recover
      expect_code 0
      expect_out "recovered"
      run tape verify cut.bin
      expect_code 0
    fi

    cp "$f" flip.tape
    byte=$(od -An -tu1 -j "$at" -N1 "$f" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (byte ^ 0x5a) & 255 )))" | dd of=flip.tape bs=1 seek="$at" conv=notrunc 2>/dev/null
    for verb in inspect stats; do
      run tape $verb flip.tape
      [ "$CODE" = 0 ] || [ "$CODE" = 81 ] || fail "$verb: exit $CODE"
      no_crash
    done
    run tape diff flip.tape "$f"
    [ "$CODE" = 0 ] || [ "$CODE" = 1 ] || [ "$CODE" = 81 ] || fail "diff: exit $CODE"
    no_crash
    flips=$((flips + 1))
    if [ "$at" -ge 4 ] && [ "$at" -lt 44 ]; then
      header_flips=$((header_flips + 1))
      cp flip.tape same.tape
      [ "$(tape stats same.tape --json 2>&1)" != "$stats_before" ] && by_stats=$((by_stats + 1))
    elif [ "$CODE" != 0 ]; then
      by_diff=$((by_diff + 1))
    fi
    run tape import flip.tape --out flip.bin --force
    [ "$CODE" = 0 ] || [ "$CODE" = 81 ] || fail "import: exit $CODE"
    no_crash
    if [ "$CODE" = 0 ]; then
      run tape verify flip.bin
      expect_code 0
    fi
  done
  LAST="the damage sweep of $f (every ${STRIDE}th byte from $START)"
  echo "$f: diff reported $by_diff of $((flips - header_flips)) flips; stats showed $by_stats of $header_flips in started_at and code_hash"
  [ "$by_diff" = $((flips - header_flips)) ] || fail "diff missed $((flips - header_flips - by_diff)) flips of $f"
  [ "$by_stats" = "$header_flips" ] || fail "stats did not show $((header_flips - by_stats)) header flips of $f"
done

finish
