# tape test: kept traces as a regression suite. Traces of a greeting script
# pass, fail after a change, are re-blessed with --update; bad files are
# errors of their own and the run goes on.
. "$(dirname "$0")/lib.sh"

cat > greet.tape <<'T'
let name = env.get("NAME", "stranger");
print("hello, " + name);
T
mkdir -p traces/sub
NAME=ann tape run greet.tape --out traces/ann.bin > /dev/null
NAME=bob tape run greet.tape --out traces/bob.bin > /dev/null
NAME=cy tape run greet.tape --out traces/sub/cy.bin > /dev/null
echo "not a trace" > traces/notes.txt
head -c 100 traces/bob.bin > traces/damaged.bin
echo "hidden" > traces/.hidden

# Unchanged: every trace passes; the bad files are errors, named, in order.
run tape test traces
expect_code 1
expect_out "ERROR  traces/damaged.bin: "
expect_out "ERROR  traces/notes.txt: "
expect_out "PASS   traces/ann.bin  (script program 'greet.tape'"
expect_out "PASS   traces/sub/cy.bin"
expect_out "3 passed, 0 failed, 2 errors"
expect_no_out ".hidden"
[ "$(printf '%s\n' "$OUT" | head -1)" = "PASS   traces/ann.bin  $(printf '%s\n' "$OUT" | head -1 | sed 's/.*  //')" ] ||
  fail "traces are not reported in name order"
rm traces/notes.txt traces/damaged.bin
run tape test traces
expect_code 0
expect_out "3 passed, 0 failed"

# The script changed: every trace fails, with the first changed output.
cat > greet.tape <<'T'
let name = env.get("NAME", "stranger");
print("hi, " + name);
T
run tape test traces --junit report.xml --jobs 2
expect_code 1
expect_out "FAIL   traces/ann.bin"
expect_out "output changed at seq 1:"
expect_out "recorded io.write(\"hello, ann\\n\") at greet.tape:2:1"
expect_out "now      io.write(\"hi, ann\\n\") at greet.tape:2:1 (call 1)"
expect_out "0 passed, 3 failed"
python3 - report.xml <<'P' || fail "the JUnit report is not as expected"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert suite.get("tests") == "3" and suite.get("failures") == "3" and suite.get("errors") == "0", suite.attrib
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["traces/ann.bin", "traces/bob.bin", "traces/sub/cy.bin"], cases
assert "seq 1" in cases[0].find("failure").get("message"), cases[0].find("failure").attrib
P
run tape test traces --json
expect_code 1
python3 - "$OUT" <<'P' || fail "tape test --json is not one object per trace and a summary"
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert [l["result"] for l in lines[:3]] == ["failed"] * 3, lines
assert lines[0]["rerun"]["first_change"]["seq"] == 1, lines[0]
assert lines[3]["summary"] == {"passed": 0, "failed": 3, "errors": 0, "updated": 0, "seconds": lines[3]["summary"]["seconds"]}, lines[3]
P

# --update re-blesses: the traces become the reruns, which then pass and
# replay the changed script; nothing is left beside them.
cp traces/bob.bin bob-before.bin
run tape test traces --update
expect_code 0
expect_out "UPDATE traces/bob.bin"
expect_out "0 passed, 0 failed, 3 updated"
[ -z "$(ls -A traces | grep -v '^ann.bin$\|^bob.bin$\|^sub$\|^.hidden$')" ] || fail "--update left files: $(ls -A traces)"
cmp -s bob-before.bin traces/bob.bin && fail "--update did not replace the trace"
run tape replay greet.tape --trace traces/bob.bin
expect_code 0
expect_out "hi, bob"
run tape test traces
expect_code 0
expect_out "3 passed, 0 failed"

# A rerun that stops early (an input the recording does not have) fails and
# is never written over the trace.
cat > greet.tape <<'T'
let name = env.get("NAME", "stranger");
let title = env.get("TITLE", "");
print("hi, " + title + name);
T
cp traces/ann.bin ann-before.bin
run tape test traces/ann.bin --update
expect_code 1
expect_out "FAIL   traces/ann.bin"
expect_out "stopped: UnrecordedInput"
expect_out "not updated"
expect_same ann-before.bin traces/ann.bin
run tape test traces/ann.bin --live
expect_code 0

# The script is found by its name here, beside the trace, or above it; else
# --program names it.
mkdir -p elsewhere/kept
cp greet.tape elsewhere/greet.tape
cp ann-before.bin elsewhere/kept/ann.bin
(cd elsewhere/kept && "$TAPE" test ann.bin --live > ../../found.out 2>&1) ||
  fail "the script beside the trace was not found: $(cat found.out)"
rm greet.tape
run tape test traces/ann.bin
expect_code 1
expect_out "its script 'greet.tape' is not in the working directory"
run tape test traces/ann.bin --program elsewhere/greet.tape --live
expect_code 0

# A program that now hangs is an error of its trace, after --timeout.
cat > greet.tape <<'T'
let name = env.get("NAME", "stranger");
while (true) { }
T
run tape test traces/ann.bin --timeout 1
expect_code 1
expect_out "did not end within 1 s"

# A version() guard keeps the traces from before a change passing, while
# new recordings take the new path and store a marker.
mkdir -p guarded/traces
cat > guarded/hello.tape <<'T'
let name = env.get("NAME", "stranger");
print("hello, " + name);
T
NAME=old tape run guarded/hello.tape --out guarded/traces/old.bin > /dev/null
cat > guarded/hello.tape <<'T'
let name = env.get("NAME", "stranger");
if (version("greeting", 1, 2) >= 2) {
  print("hi, " + name);
} else {
  print("hello, " + name);
}
T
NAME=new run tape run guarded/hello.tape --out guarded/traces/new.bin
expect_out "hi, new"
run tape inspect guarded/traces/new.bin
expect_out 'version.marker("greeting") -> 2'
run tape test guarded/traces
expect_code 0
expect_out "2 passed, 0 failed"
run tape rerun guarded/hello.tape --trace guarded/traces/old.bin
expect_code 0
expect_out "hello, old"
# A program that no longer supports the version a trace took: drift.
sed -i 's/version("greeting", 1, 2)/version("greeting", 3, 4)/' guarded/hello.tape
run tape replay guarded/hello.tape --trace guarded/traces/new.bin --ignore-code-hash
expect_code 80
expect_err "VersionUnsupported"
expect_err "the trace needs version 2 of 'greeting'; the program supports 3..4"
run tape test guarded/traces/new.bin
expect_code 1
expect_out "stopped: VersionUnsupported"
# Bad arguments are the script's runtime errors.
printf 'version("greeting", 2, 1);\n' > guarded/bad.tape
run tape run guarded/bad.tape --out guarded/bad.bin
expect_code 1
expect_err "min is above max"

# Interrupted (Ctrl-C, SIGTERM): the reruns under way run in process groups
# of their own, which the terminal's signal does not reach. The suite stops
# them and what they started, removes their new traces and says what it
# checked. Each rerun here blocks in a command that reads the gate (proc.run,
# performed live).
mkdir held
printf 'print("held");\n' > held/held.tape
tape run held/held.tape --out held/a.bin > /dev/null
tape run held/held.tape --out held/b.bin > /dev/null
cp held/a.bin held-a-before.bin
cat > held/held.tape <<T
proc.run(["cat", "$WORK/gate"]);
print("held");
T
two_blocked() { [ "$(pids_with_arg "$WORK/gate" | grep -c .)" = 2 ]; }
close_gate
for sig in INT TERM; do
  env --default-signal=INT "$TAPE" test held/a.bin held/b.bin --jobs 2 --update --live \
    > held.out 2> held.err 7>&- &
  suite=$!
  LAST="tape test held (SIG$sig)"
  if ! wait_for "both reruns to block at the gate" two_blocked; then
    kill -KILL $suite
    break
  fi
  groups=""
  for cat in $(pids_with_arg "$WORK/gate"); do
    f=($(stat_of $cat))
    groups+=" ${f[2]} $(stat_of ${f[1]} | cut -d' ' -f3)"  # the command's group, its rerun's
  done
  kill -$sig $suite
  wait $suite
  CODE=$?
  OUT=$(cat held.out)
  ERR=$(cat held.err)
  [ $sig = INT ] && expect_code 130 || expect_code 143
  expect_err "tape test: interrupted by SIG$sig after checking 0 of 2 traces; the reruns under way were stopped and their new traces removed"
  expect_out "STOP   held/a.bin: not checked: the rerun was stopped"
  expect_out "0 passed, 0 failed, 0 updated, 2 not checked"
  for g in $groups; do
    wait_for "the processes of group $g to end" group_gone $g
  done
  [ "$(ls -A held | tr '\n' ' ')" = "a.bin b.bin held.tape " ] || fail "left in held/: $(ls -A held)"
  expect_same held-a-before.bin held/a.bin
done
open_gate

# Bad usage.
run tape test
expect_code 2
mkdir empty
run tape test empty
expect_code 2
expect_err "no traces"
run tape test traces --program no-such.tape
expect_code 2
run tape test traces --jobs 0
expect_code 2
finish
