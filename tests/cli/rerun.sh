# tape rerun: a changed program on the recorded inputs. The fix of a flaky
# script is checked on the very input that made it fail.
. "$(dirname "$0")/lib.sh"

cat > flaky.tape <<'T'
let roll = byte_at(random.bits(1), 0);
let home = env.get("HOME");
if (roll < 128) {
  print("FAIL: roll " + str(roll));
  return 1;
}
print("ok: roll " + str(roll));
T
# Record until it fails (half the runs do).
for i in $(seq 1 64); do
  "$TAPE" run flaky.tape --out fail.bin > /dev/null 2>&1 || break
done
run tape inspect fail.bin
expect_out "the program exited with code 1"
roll=$(printf '%s\n' "$OUT" | sed -n 's/.*io.write("FAIL: roll \([0-9]*\).*/\1/p')
[ -n "$roll" ] || fail "no failing recording"

# The fix: a debug print added at the top, the bug fixed, the message changed.
cat > fixed.tape <<'T'
print("debug: checking the roll");
let roll = byte_at(random.bits(1), 0);
let home = env.get("HOME");
if (roll > 255) {
  print("FAIL: roll " + str(roll));
  return 1;
}
print("fine: roll " + str(roll));
T
HOME=/somewhere/else run tape rerun fixed.tape --trace fail.bin
expect_code 0
expect_out "debug: checking the roll"
expect_out "fine: roll $roll"
expect_err "2 inputs served from the trace (2 by site, 0 by key, 0 by kind)"
expect_err "outputs: 0 same, 1 changed, 1 added, 0 removed"
expect_err "first: changed: recorded io.write(\"FAIL: roll $roll\\n\")"
expect_err "recorded: the program exited with code 1; now: the program exited with code 0"
expect_err "the code changed since the recording"
# --json: the report alone on stdout, the program's output on stderr.
run tape rerun fixed.tape --trace fail.bin --json
expect_code 0
expect_err "fine: roll $roll"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["inputs"]["by_site"]==2, d; assert d["outputs"]["changed"]==1, d; assert d["now"]["exit_code"]==0, d; assert d["code_changed"], d; assert d["changed"] and not d["outcome_same"], d; c=d["first_change"]; assert c["what"]=="changed" and c["recorded_at"]=="flaky.tape:4:3" and c["now_at"]=="fixed.tape:1:1", c' "$OUT" ||
  fail "rerun --json is not the expected JSON on stdout"
run tape rerun fixed.tape --trace fail.bin --json --quiet
[ -z "$ERR" ] || fail "--quiet showed the program's output"
python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" || fail "--quiet --json: not JSON"
run tape rerun fixed.tape --trace no-such.bin --json
expect_code 81
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert "no such file" in d["error"], d' "$OUT" ||
  fail "rerun --json of a missing trace is not a JSON error"
# --exit-code: 1 when outputs or the ending changed, 0 when they did not.
run tape rerun fixed.tape --trace fail.bin --exit-code
expect_code 1
run tape rerun flaky.tape --trace fail.bin --exit-code
expect_code 0
# A renamed copy of the recorded script is the same program.
cp flaky.tape renamed.tape
run tape rerun renamed.tape --trace fail.bin --exit-code
expect_code 0
expect_err "outputs: 1 same, 0 changed, 0 added, 0 removed"
# --out: what the rerun saw, as a trace the fixed script replays.
run tape rerun fixed.tape --trace fail.bin --out fixed.bin
expect_code 0
expect_err "wrote fixed.bin"
HOME=/elsewhere run tape replay fixed.tape --trace fixed.bin
expect_code 0
expect_out "fine: roll $roll"
run tape replay flaky.tape --trace fixed.bin
expect_code 80
expect_err "CodeHashMismatch"
echo "not a trace" > notes.txt
run tape rerun fixed.tape --trace fail.bin --out notes.txt
expect_code 2
[ "$(cat notes.txt)" = "not a trace" ] || fail "--out overwrote a file that is not a trace"
# In CI: the fix passes on the failing input.
run sh -c "\"$TAPE\" rerun fixed.tape --trace fail.bin >/dev/null 2>&1 && echo fixed"
expect_out "fixed"
# The unchanged program fails the same way, with every output the same.
run tape rerun flaky.tape --trace fail.bin
expect_code 1
expect_err "outputs: 1 same, 0 changed, 0 added, 0 removed"

# Inputs the recording does not have: exit 80 naming the call; --live performs them.
cat > more.tape <<'T'
let roll = byte_at(random.bits(1), 0);
let user = env.get("TAPE_RERUN_NEW");
print(str(roll) + " " + user);
T
TAPE_RERUN_NEW=yes run tape rerun more.tape --trace fail.bin
expect_code 80
expect_err "UnrecordedInput"
expect_err "env.get(\"TAPE_RERUN_NEW\") at more.tape:2:12"
expect_err "the key differs: the recording has env.get(\"HOME\") at this place"
expect_err "--live"
TAPE_RERUN_NEW=yes run tape rerun more.tape --trace fail.bin --live --out more.bin
expect_code 0
expect_out "$roll yes"
expect_err "1 performed live"
run tape replay more.tape --trace more.bin
expect_code 0
expect_out "$roll yes"

# A rerun that stops early counts what it compared and what it never reached.
cat > early.tape <<'T'
let roll = byte_at(random.bits(1), 0);
print("FAIL: roll " + str(roll) + "!");
let home = env.get("TAPE_RERUN_OTHER");
T
run tape rerun early.tape --trace fail.bin --json
expect_code 80
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["outputs"]["changed"]==1 and d["outputs"]["same"]==0, d; assert d["not_reached"]==1, d; assert d["stopped"]["drift"]=="UnrecordedInput", d; assert d["changed"], d' "$OUT" ||
  fail "an early stop is not counted as expected"

# random.bits with another n gets the recorded byte, extended, and says so.
cat > wider.tape <<'T'
let r = random.bits(2);
print(str(byte_at(r, 0)) + " " + str(byte_at(r, 1)));
T
run tape rerun wider.tape --trace fail.bin
expect_code 0
expect_out "$roll 0"
expect_err "extended with zero bytes to 2 bytes"

# Removed outputs and unused inputs are counted; fs.write does not touch the disk.
cat > quiet.tape <<'T'
fs.write("should-not-exist.txt", "x");
return 3;
T
run tape rerun quiet.tape --trace fail.bin
expect_code 3
expect_err "2 recorded not asked for"
expect_err "1 added, 1 removed"
[ ! -e should-not-exist.txt ] || fail "rerun wrote a file without --live"
run tape rerun quiet.tape --trace fail.bin --live
[ -e should-not-exist.txt ] || fail "rerun --live did not write the file"

# Threads: each worker's lane is served its own draws, in the recorded order.
tape record workers --out workers.bin -- 3 50 > workers.out
run tape rerun workers --trace workers.bin --exit-code
expect_code 0
expect_err "151 inputs served from the trace (151 by site, 0 by key, 0 by kind)"
expect_err "outputs: 1 same, 0 changed, 0 added, 0 removed in 4 threads"
[ "$OUT" = "$(cat workers.out)" ] || fail "rerun of workers printed another log"

# A trace that shrinks under a running rerun: a trace error (exit 81) that
# says so. The rerun is held in its 1 MiB write (lib.sh) while the trace,
# 2M recorded clock readings still to serve, is cut.
long_script > long.tape
tape run long.tape --out shrink.bin > /dev/null
hold_output held "$TAPE" rerun long.tape --trace shrink.bin
wait_held held
truncate -s 20000 shrink.bin
release_output held
LAST="rerun of a trace truncated under it"
expect_code 81
expect_err "shrink.bin changed while it was being read: it shrank from "
[[ "$ERR" != *"SIGBUS"* ]] || fail "blamed the program for SIGBUS"

# Bad input.
run tape rerun fixed.tape
expect_code 2
expect_err "nothing to rerun on: no --trace FILE given, and no trace.bin (the default) here"
run tape rerun fixed.tape --trace no-such.bin
expect_code 81
expect_err "no such file"

finish
