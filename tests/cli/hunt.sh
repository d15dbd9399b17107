# tape hunt and chaos mode, end to end: a rare failure found and kept, a
# failure provoked by perturbed inputs, both replayed; stopping a hunt;
# usage errors.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?set TAPE_CRASH_PROGRAM to the tape::Main test program}

only_file() {  # only_file DIR: the one file in DIR (hidden ones included), or fail
  local files
  files=$(ls -A "$1" 2>/dev/null)
  [ "$(printf '%s\n' "$files" | grep -c .)" = 1 ] || fail "expected one file in $1, found: $files"
  printf '%s/%s' "$1" "$files"
}

# --- flaky fails one run in 32: found in 2 jobs, one trace kept, replayed -----
run tape hunt flaky --jobs 2 --keep found
expect_code 0
expect_out "failed: the program exited with code 1"
expect_out "    FAIL: expected the answer to be 42, got "
expect_out "): 1 failed, "
expect_out "(95% interval "
kept=$(only_file found)
[[ "$kept" == found/flaky-run*.bin ]] || fail "kept trace named $kept"
expect_out "kept $kept; replay it: tape replay $kept"
run tape replay "$kept"
expect_code 1
expect_out "FAIL: expected the answer to be 42, got "

# --- --until output~REGEX: the run whose output matches ---------------------
run tape hunt flaky --jobs 2 --keep big --until 'output~roll was 2[0-9]{2},'
expect_code 0
kept=$(only_file big)
run tape replay "$kept"
expect_code 0
[[ "$OUT" =~ ^ok:\ roll\ was\ 2[0-9][0-9], ]] || fail "the kept run does not match: $OUT"

# --- no failure in N runs: exit 1, no files ----------------------------------
run tape hunt dice --runs 12 --jobs 2 --keep none
expect_code 1
expect_out "12 runs in "
expect_out ": 0 failed, 0.0% (95% interval 0.0% to 24.2%)"
expect_out "no run met --until exit!=0; no trace kept"
[ ! -e none ] || fail "a hunt that kept nothing left $(ls -A none)"
mkdir mine
run tape hunt dice --runs 3 --keep mine
expect_code 1
[ -d mine ] && [ -z "$(ls -A mine)" ] || fail "the hunt removed or filled a directory it did not make"

# --- a progress line on a terminal only, cleared before the summary -----------
[[ "$ERR" != *"runs/s"* ]] || fail "a progress line on a stderr that is not a terminal"
if command -v script > /dev/null; then
  script -qec "'$TAPE' hunt dice --runs 8 --jobs 2 --keep tty" /dev/null > tty.out 2>&1
  grep -qa $'\rtape hunt: [0-9]* runs, 0 failed, [0-9]* runs/s\e\[K' tty.out ||
    fail "no progress line on a terminal: $(od -c tty.out | head -5)"
  grep -qa $'\r\e\[K8 runs in ' tty.out || fail "the progress line is not cleared before the summary"
fi

# --- a script and an embedded program -----------------------------------------
run tape hunt "$SRC/examples/scripts/flaky.tape" --jobs 2 --keep script
expect_code 0
kept=$(only_file script)
[[ "$kept" == script/flaky-run*.bin ]] || fail "kept script trace named $kept"
run tape replay "$kept"
expect_code 1
expect_out "FAIL: expected the answer to be 42"
# The README's quick start: the fixed copy, on the very byte that failed.
run tape rerun "$SRC/examples/scripts/flaky_fixed.tape" --trace "$kept"
expect_code 0
expect_out "(small), handled"
expect_err "recorded: the program exited with code 1; now: the program exited with code 0"
expect_err "1 input served from the trace (1 by site"
TAPE_TEST_MODE=flaky run "$CRASH" hunt --jobs 2 --keep embedded
expect_code 0
expect_out "    flaked"
kept=$(only_file embedded)
expect_out "replay it: $CRASH replay --trace $kept"
TAPE_TEST_MODE=flaky run "$CRASH" replay --trace "$kept"
expect_code 3
expect_out "flaked"
run "$CRASH" hunt --until 'exit=3'
expect_code 2
expect_err "--until 'exit=3': expected exit!=K, exit==K"
run "$CRASH" record --chaos bogus=1
expect_code 2
expect_err "--chaos 'bogus=1': unknown effect 'bogus'"
[ ! -e trace.bin ] || fail "a refused recording wrote a trace"
# All-zero random bytes make the embedded flaky program fail every time.
TAPE_TEST_MODE=flaky run "$CRASH" record --chaos random.bits:zeros=1 --seed 5 --out zeros.bin
expect_code 3
expect_out "flaked"
run tape inspect zeros.bin
expect_out "chaos: random.bits:zeros=1, seed 5"
expect_out "random.bits(1) -> 1 bytes 00 [chaos]"
TAPE_TEST_MODE=flaky run "$CRASH" replay --trace zeros.bin
expect_code 3

# --- a hang: stopped after --timeout, kept as an interrupted trace ------------
cat > hang.tape <<'T'
print("waiting");
time.sleep(60000);
T
run tape hunt hang.tape --runs 1 --timeout 1 --keep hang
expect_code 0
expect_out "failed: the program was interrupted"
expect_out "(it ran past --timeout 1 s)"
expect_out "1 run was stopped after --timeout 1 s"
kept=$(only_file hang)
run tape replay "$kept"
expect_out "waiting"

# --- Ctrl-C and SIGTERM: finished traces kept, runs in progress stopped and
# deleted, and what they started (in process groups of their own) stopped
# with them. The first run to find no marker file fails at once; every later
# run waits in a command that reads the gate.
cat > stall.tape <<T
if fs.read("marker") == nil {
  fs.write("marker", "x");
  return 1;
}
proc.run(["cat", "$WORK/gate"]);
T
two_sleeping() {  # two runs in progress (in the hunt's own directory) beside the kept failure
  [ "$(ls -A "$1"/.tape-hunt-*/ 2> /dev/null | grep -c .)" = 2 ] && [ -n "$(ls "$1")" ] &&
    [ "$(pids_with_arg "$WORK/gate" | grep -c .)" = 2 ]
}
close_gate
for sig in INT TERM; do
  rm -f marker
  set -m  # the hunt in its own process group, with SIGINT not ignored
  "$TAPE" hunt stall.tape --jobs 2 --keep-failures 5 --keep "stall$sig" > stall.out 2> stall.err 7>&- &
  hunt_pid=$!
  set +m
  wait_for "two runs sleeping beside the kept failure" two_sleeping "stall$sig"
  cats=$(pids_with_arg "$WORK/gate")
  kill -$sig "$hunt_pid"
  wait "$hunt_pid"
  CODE=$?
  OUT=$(cat stall.out)
  ERR=$(cat stall.err)
  LAST="tape hunt stall.tape (SIG$sig)"
  [ $sig = INT ] && expect_code 130 || expect_code 143
  expect_out "stopped by SIG$sig: the runs in progress were stopped and their traces deleted"
  kept=$(only_file "stall$sig")
  [[ "$kept" == stall$sig/stall-run*.bin ]] || fail "kept: $kept"
  pgrep -f "stall$sig/.tape-hunt-" > /dev/null && fail "runs of the stopped hunt are still running"
  for cat in $cats; do wait_for "the command run $cat started to end" group_gone $cat; done
done
open_gate
rm -f marker

# --- runs killed by a signal: failures like any other, trace kept ------------
# Each run of the embedded program dies by SIGSEGV; its trace is finished
# with that outcome, and replays to the same death.
TAPE_TEST_MODE=segv run "$CRASH" hunt --runs 3 --jobs 1 --keep segv
expect_code 0
expect_out "run 1 failed: the program was killed by signal 11 (SIGSEGV)"
kept=$(only_file segv)
TAPE_TEST_MODE=segv run "$CRASH" replay --trace "$kept"
expect_code 139
expect_err "killed by SIGSEGV at seq 2"

# --- a hunt killed with SIGKILL: the next hunt in its directory cleans up ------
cat > sleepy.tape <<'T'
time.sleep(60000);
T
set -m
"$TAPE" hunt sleepy.tape --jobs 1 --keep killed > /dev/null 2>&1 &
hunt_pid=$!
set +m
run_recording() { [ -n "$(ls -A killed/.tape-hunt-*/ 2> /dev/null)" ]; }
wait_for "the hunt's run to record" run_recording
kill -KILL "$hunt_pid"
wait "$hunt_pid" 2> /dev/null
ls -A killed | grep -q '^\.tape-hunt-' || fail "the killed hunt left nothing to clean up"
run tape hunt dice --runs 2 --keep killed
expect_code 1
[ -z "$(ls -A killed)" ] || fail "the killed hunt's directory was left: $(ls -A killed)"

# --- a run tape cannot record (a full disk; here a file size limit) -----------
# An error of the hunt, shown with what tape said, not a failure of the program.
cat > big.tape <<'T'
for i in 0..64 { random.bits(65536); }
T
run bash -c 'ulimit -f 512; exec "$0" hunt big.tape --runs 3 --jobs 1 --keep full' "$TAPE"
expect_code 81
expect_err "tape hunt: tape could not record run 1 (it exited with code 81, tape's code for a trace it cannot write); its output:"
expect_err "File too large"
expect_no_out "failed"
[ ! -e full ] || fail "the hunt left $(ls -A full)"

# --- chaos: a script that mishandles fs.read errors is found and replayed -----
printf 'port=8080\n' > config.txt
cat > config.tape <<'T'
let text = fs.read("config.txt");
let port = int(split(trim(text), "=")[1]);
print("listening on " + str(port));
T
run tape hunt config.tape --chaos fs.read=0.2 --runs 200 --jobs 2 --keep chaos
expect_code 0
expect_out "(chaos seed "
kept=$(only_file chaos)
run tape replay "$kept"
expect_code 1
expect_err "config.tape:"
run tape inspect "$kept"
expect_out "chaos: fs.read=0.2, seed "
expect_out "[chaos]"
run tape stats "$kept"
expect_out "chaos:     fs.read=0.2, seed "
expect_out "1 event perturbed"
run tape stats "$kept" --json
expect_out '"chaos":{"spec":"fs.read=0.2","seed":'
expect_out '"perturbed":1'
run tape inspect "$kept" --json
expect_out '"perturbed":true'
# The fixed script, rerun on a chaotic trace, gets the same perturbed input.
run tape run config.tape --chaos fs.read:eacces=1 --out eacces.bin
expect_code 1
cat > fixed.tape <<'T'
let text = fs.read("config.txt");
if text == nil { print("no config (errno " + str(fs.last_error()) + "): using port 80"); return 0; }
let port = int(split(trim(text), "=")[1]);
print("listening on " + str(port));
T
run tape rerun fixed.tape --trace eacces.bin
expect_code 0
expect_out "no config (errno 13): using port 80"

# The same seed perturbs the same calls the same way; another seed does not.
cat > reads.tape <<'T'
for i in 0..40 {
  let text = fs.read("config.txt");
  if text == nil { print(str(i) + " failed: " + str(fs.last_error())); } else { print(str(i) + " " + text); }
}
T
tape run reads.tape --chaos 'fs.read=0.3' --seed 7 --out s1.bin > s1.out 2>&1
tape run reads.tape --chaos 'fs.read=0.3' --seed 7 --out s2.bin > s2.out 2>&1
tape run reads.tape --chaos 'fs.read=0.3' --seed 8 --out s3.bin > s3.out 2>&1
expect_same s1.out s2.out
cmp -s s1.out s3.out && fail "seeds 7 and 8 perturbed the same way"
grep -q "failed: " s1.out || fail "fs.read=0.3 perturbed none of 40 reads"
run tape replay s1.bin
[ "$OUT" = "$(cat s1.out)" ] || fail "the chaotic trace does not replay its output"
run tape verify s1.bin
expect_code 0

# --- bad input: usage errors, exit 2 ----------------------------------------
bad() {  # bad EXPECTED-STDERR ARGS...: exit 2 with that message
  local expected=$1
  shift
  run tape "$@"
  expect_code 2
  expect_err "$expected"
  expect_one_line_err
}
bad "--chaos 'fs.read': 'fs.read' has no probability" record flaky --chaos fs.read
bad "the probability in 'fs.read=1.5' is outside 0..1" record flaky --chaos fs.read=1.5
bad "'x' in 'fs.read=x' is not a probability" run config.tape --chaos fs.read=x
bad "unknown effect 'teleport' in 'teleport=0.1'; chaos can perturb clock.now (forward, backward)" \
  hunt flaky --chaos teleport=0.1
bad "io.write cannot be perturbed" record flaky --chaos io.write=0.5
bad "fs.read has no perturbation 'enospc'" record flaky --chaos fs.read:enospc=0.5
bad "--seed seeds chaos mode; give --chaos SPEC too" record flaky --seed 3
bad "--until 'exit<3': expected exit!=K" hunt flaky --until 'exit<3'
bad "not a regular expression" hunt flaky --until 'output~a('
bad "--runs: 0 is out of range" hunt flaky --runs 0
bad "no such program or script: 'nosuch'" hunt nosuch
[ ! -e trace.bin ] || fail "a refused recording wrote a trace"
run tape hunt flaky --keep /proc/nowhere --runs 1
expect_code 81
expect_err "tape hunt: cannot create the directory /proc/nowhere"

finish
