# A program that crashes or is interrupted: the trace is finalized with that
# outcome, verifies, and replay reproduces the run up to the crash.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}

for mode in segv abort terminate; do
  case $mode in segv) sig=11 name=SIGSEGV ;; *) sig=6 name=SIGABRT ;; esac
  TAPE_TEST_MODE=$mode run "$CRASH" record --out $mode.bin
  expect_code $((128 + sig))
  expect_out "before the crash"
  expect_err "killed by $name after 2 effect calls"
  run tape verify $mode.bin
  expect_code 0
  expect_out "finalized: yes"
  expect_out "killed by signal $sig ($name)"
  TAPE_TEST_MODE=$mode run "$CRASH" replay --trace $mode.bin
  expect_code $((128 + sig))
  expect_out "before the crash"
  expect_err "killed by $name at seq 2 (the recorded program was killed by signal $sig ($name))"
done

# tape::Main's own usage errors.
for bad in "record --flush-ms abc" "record --flush-ms 0" "record --out" "replay --trace" "bogus" ""; do
  run "$CRASH" $bad
  expect_code 2
  expect_err "usage:"
done
run "$CRASH" hunt --runs 0
expect_code 2
expect_err "--runs: 0 is out of range (expected 1 to 1000000000)"
run "$CRASH" rerun --trace x.bin -- a
expect_code 2
expect_err "program arguments are only taken by 'record' and 'hunt'"
# Help goes to stdout, exit 0: the commands, and each command's options.
run "$CRASH" --help
expect_code 0
expect_out "Rerun this program on kept traces"
run "$CRASH" hunt --help
expect_code 0
expect_out "--keep-failures"
expect_out "output~REGEX"

# An uncaught exception: exit 1, and stderr says what was thrown, on record
# and on replay (as the CLI does).
TAPE_TEST_MODE=throw run "$CRASH" record --out throw.bin
expect_code 1
expect_err "record: the program stopped: std::runtime_error: the program gave up"
run tape inspect throw.bin
expect_out "the program threw std::runtime_error: the program gave up"
TAPE_TEST_MODE=throw run "$CRASH" replay --trace throw.bin
expect_code 1
expect_err "replay: the program stopped: std::runtime_error: the program gave up"

# tape::Main's --out refuses what the CLI refuses, with its exit code (2),
# and --force overrides; replay takes --ignore-code-hash.
printf 'int main() { return 0; }\n' > main.cc
cp main.cc main.cc.orig
TAPE_TEST_MODE=ok run "$CRASH" record --out main.cc
expect_code 2
expect_err "record: refusing to overwrite main.cc: it exists and is not a tape trace (use --force"
expect_same main.cc main.cc.orig
mkfifo out.fifo  # (devices.sh tests every verb with device nodes; never the system's /dev/null)
run timeout 20 "$CRASH" record --out out.fifo
expect_code 2
expect_err "not a regular file"
TAPE_TEST_MODE=ok run "$CRASH" record --out main.cc --force
expect_code 0
run tape verify main.cc
expect_code 0
TAPE_TEST_MODE=ok run "$CRASH" replay --trace main.cc --ignore-code-hash
expect_code 0

# SIGINT, SIGTERM and SIGHUP: the trace is finalized as interrupted. The
# signal is sent once the program has written its first line, not after a
# fixed delay that a loaded machine outlasts. (The recorder also holds these
# signals back from its first instruction until its handlers are in place:
# tests/engine/signals_test.cc.)
for sig in INT TERM HUP; do
  # A background job of a script starts with SIGINT ignored (and keeps it
  # ignored, as tape does for inherited ignores): restore the default first.
  TAPE_TEST_MODE=slow env --default-signal=INT "$CRASH" record --out $sig.bin > $sig.out 2> $sig.err &
  pid=$!
  for try in $(seq 3000); do grep -q "tick 0" $sig.out && break; sleep 0.02; done
  kill -$sig $pid
  { wait $pid; } 2> /dev/null
  CODE=$?
  LAST="kill -$sig"
  ERR=$(cat $sig.err)
  [ $CODE -gt 128 ] || fail "record was not ended by SIG$sig"
  expect_err "interrupted by SIG$sig"
  run tape verify $sig.bin
  expect_code 0
  expect_out "interrupted (SIG$sig)"
  TAPE_TEST_MODE=slow run "$CRASH" replay --trace $sig.bin
  expect_code 80
  expect_err "the recording was interrupted"
done

finish
