# How a recording ends when the program does not return from main: exit,
# quick_exit and _exit (from the main thread or a tape::Thread), a trace
# truncated under the recording, threads deadlocked on tape::Mutex when the
# recording is interrupted; and signals to the tools that write a file
# under a temporary name. Every wait below is for a readiness sign (a line,
# a file), with a deadline, never a fixed sleep.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}

# wait_for CONDITION...: runs the condition until it holds, for at most 60 s.
wait_for() {
  local tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ $tries -lt 3000 ] || return 1
    sleep 0.02
  done
}

# 1. std::exit and std::quick_exit finish the trace with the code as the
# outcome, every event in it (those after the last flush too); replay ends
# the same way, and a replay that exits earlier or with another code drifts.
for mode in exit quick_exit thread_exit; do
  case $mode in exit) code=3 events=5000 ;; quick_exit) code=4 events=5000 ;; *) code=5 events=5001 ;; esac
  TAPE_TEST_MODE=$mode run "$CRASH" record --out $mode.bin
  expect_code $code
  expect_out "before"
  run tape verify $mode.bin
  expect_code 0
  expect_out "events:    $events in"
  expect_out "finalized: yes"
  expect_out "the program exited with code $code"
  TAPE_TEST_MODE=$mode run "$CRASH" replay --trace $mode.bin
  expect_code $code
  expect_out "before"
done
TAPE_TEST_MODE=exit TAPE_TEST_CALLS=100 run "$CRASH" replay --trace exit.bin
expect_code 80
expect_err "drift: TraceNotExhausted at seq 101: the program ended at seq 101 of 5000"
TAPE_TEST_MODE=exit TAPE_TEST_CODE=9 run "$CRASH" replay --trace exit.bin
expect_code 80
expect_err "drift: OutcomeMismatch"
expect_err "exited with code 9 (exit called by the program)"

# 2. _exit runs no handler: the trace keeps what was sealed before it (the
# program waits until its 100 events are in the file), reads as interrupted,
# and recover keeps all of it.
TAPE_TEST_MODE=_exit TAPE_TEST_TRACE=under.bin run "$CRASH" record --out under.bin --flush-ms 1
expect_code 6
run tape verify under.bin
expect_code 1
expect_out "events:    100 in"
expect_out "finalized: no"
run tape recover under.bin --out under_fixed.bin
expect_code 0
expect_out "recovered 100 events into under_fixed.bin"
run tape verify under_fixed.bin
expect_code 0
expect_out "events:    100 in"

# 3. A script that truncates its own trace records exit 81, not 0 with a
# damaged header.
cat > trunc.tape <<'T'
let path = args.get()[0];
for i in 0..1000 { clock.now(); }
proc.run(["truncate", "-s", "100", path]);
for i in 0..1000 { clock.now(); }
print("done");
T
run tape run trunc.tape --out trunc.bin -- trunc.bin
expect_code 81
expect_err "tape run: the trace trunc.bin was changed by another program while it was being recorded: it was truncated (it is 100 bytes long, tape wrote"

# 4. Two threads deadlocked on tape::Mutex when the recording is
# interrupted: replay stops where the recording did, it does not hang.
# Two SIGTERMs in a row print the "interrupted" line once.
for kills in 1 2; do
  # Each run has its own output files: waiting on a file the previous run
  # wrote would signal this one before its handlers are installed.
  TAPE_TEST_MODE=deadlock "$CRASH" record --out dead$kills.bin > dead$kills.out 2> dead$kills.err &
  pid=$!
  wait_for grep -q deadlocked dead$kills.out || fail "the deadlock program did not start"
  for k in $(seq $kills); do kill -TERM $pid; done
  { wait $pid; } 2> /dev/null
  CODE=$?; LAST="SIGTERM x$kills to a deadlocked recording"; ERR=$(cat dead$kills.err)
  expect_code 143
  [ "$(grep -c 'interrupted by SIGTERM' dead$kills.err)" = 1 ] || fail "expected one 'interrupted' line"
  LAST="replay of the deadlock"
  TAPE_TEST_MODE=deadlock run timeout 60 "$CRASH" replay --trace dead$kills.bin
  expect_code 80
  expect_err "EndOfTrace at seq 5"
  expect_err "the recording was interrupted, so replay stops where it stopped"
done

# 5. SIGTERM, SIGHUP or SIGINT to recover, redact or export leaves no
# partial output. The tool is frozen (SIGSTOP) once its temporary file
# exists, signalled, and let go.
run tape bench --events 3000000 --effect clock --record-only --out big.bin
expect_code 0
for verb in recover redact export; do
  for sig in TERM HUP INT; do
    case $verb in
      recover) cmd=(recover big.bin --out out.$verb) ;;
      redact) cmd=(redact big.bin --out out.$verb --match zz) ;;
      export) cmd=(export big.bin --format jsonl --out out.$verb) ;;
    esac
    pattern=".out.$verb.tape-new-*"  # format/output_file.h
    rm -f $pattern out.$verb
    # A background job of a script starts with SIGINT ignored: restore it.
    env --default-signal=INT "$TAPE" "${cmd[@]}" > /dev/null 2>&1 &
    pid=$!
    LAST="tape ${cmd[*]} stopped by SIG$sig"
    if ! wait_for compgen -G "$pattern" > /dev/null; then
      wait $pid
      fail "no temporary file appeared"
      continue
    fi
    kill -STOP $pid
    kill -$sig $pid
    kill -CONT $pid
    { wait $pid; } 2> /dev/null  # without bash's "Hangup" job report
    CODE=$?
    [ $CODE -gt 128 ] || fail "tape $verb was not ended by SIG$sig"
    if compgen -G "$pattern" > /dev/null; then fail "a partial output was left: $(echo $pattern)"; fi
    [ ! -e out.$verb ] || fail "out.$verb was written"
  done
done

# A file-size limit is a write error (exit 81), and the partial file goes.
for verb in recover export; do
  case $verb in
    recover) cmd=(recover big.bin --out lim.$verb) ;;
    export) cmd=(export big.bin --format jsonl --out lim.$verb) ;;
  esac
  pattern=".lim.$verb.tape-new-*"
  run bash -c 'ulimit -f 100; exec "$@"' limit "$TAPE" "${cmd[@]}"
  expect_code 81
  expect_err "File too large"
  if compgen -G "$pattern" > /dev/null; then fail "a partial output was left: $(echo $pattern)"; fi
  [ ! -e lim.$verb ] || fail "lim.$verb was written"
done

# The same limit reached while the trace is finished, after the program
# returned (its events still waiting for a flush), is a write error too: the
# recorder's handlers are gone by then, the limit must not kill tape.
echo 'for i in 0..20000 { clock.now(); }' > lim.tape
run bash -c 'ulimit -f 2; exec "$@"' limit "$TAPE" run lim.tape --out lim.bin --flush-ms 100000
expect_code 81
expect_err "tape run: cannot write trace lim.bin at byte"
expect_err "File too large (errno 27)"
# So is a rerun's new trace (--out), as tape test --update writes it.
run tape run lim.tape --out lim-full.bin
expect_code 0
run bash -c 'ulimit -f 2; exec "$@"' limit "$TAPE" rerun lim.tape --trace lim-full.bin --out lim-rerun.bin
expect_code 81
expect_err "tape rerun: cannot write trace lim-rerun.bin at byte"
expect_err "File too large (errno 27)"
expect_err "lim-rerun.bin keeps the events written before the error and reads as interrupted"
run tape verify lim-rerun.bin
expect_code 1
expect_out "finalized: no"
expect_no_out "checksum mismatch"

finish
