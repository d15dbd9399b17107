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
run tape rerun fixed.tape --trace fail.bin --json
expect_code 0
json=$(printf '%s\n' "$ERR" | tail -1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["inputs"]["by_site"]==2, d; assert d["outputs"]["changed"]==1, d; assert d["now"]["exit_code"]==0, d; assert d["code_changed"], d' "$json" ||
  fail "rerun --json is not the expected JSON: $json"
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
expect_err "--live"
TAPE_RERUN_NEW=yes run tape rerun more.tape --trace fail.bin --live
expect_code 0
expect_out "$roll yes"
expect_err "1 performed live"

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

# Bad input.
run tape rerun fixed.tape
expect_code 2
expect_err "nothing to rerun on: no --trace FILE given, and no trace.bin (the default) here"
run tape rerun fixed.tape --trace no-such.bin
expect_code 81
expect_err "no such file"

finish
