# Nothing lost, nothing hijacked: closed standard streams, broken pipes, file
# size limits, two recorders of one path, a trace replaced or truncated under
# its reader, Ctrl-C during a replay, a FIFO as --out, inherited ignored
# signals, SIGHUP, a trace removed during recording or written by its own
# program, effects from a raw thread. Every process the test acts on is
# waited for (a gate, a held output: lib.sh), never slept for.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}

cat > quick.tape <<'T'
print("quick");
T

# 1. A closed stdout or stderr never lands in the trace: the program's writes
# fail with EBADF (recorded), and the trace is whole.
"$TAPE" record dice --out closed.bin >&- 2>/dev/null
CODE=$?; LAST="tape record dice --out closed.bin >&-"
expect_code 0
run tape verify closed.bin
expect_code 0
expect_out "events:    3 in 1 chunk"
run tape inspect closed.bin
expect_out "errno 9 (Bad file descriptor)"
"$TAPE" record dice --out closed2.bin 2>&- >/dev/null
CODE=$?; LAST="tape record dice --out closed2.bin 2>&-"
expect_code 0
run tape verify closed2.bin
expect_code 0
# With stderr closed, the message of a fatal signal cannot reach the trace
# either: a crash under 2>&- leaves a sound trace with that outcome.
TAPE_TEST_MODE=segv "$CRASH" record --out closed3.bin > /dev/null 2>&-
CODE=$?; LAST="a crash recorded with stderr closed"
expect_code 139
run tape verify closed3.bin
expect_code 0
expect_out "events:    2 in 1 chunk"
expect_out "killed by signal 11 (SIGSEGV)"

# 2. A closed pipe (| head): the recording ends by SIGPIPE and keeps every
# event; replay ends the same way at the same write.
cat > many.tape <<'T'
for i in 0..100000 { print("line " + str(i)); }
T
"$TAPE" run many.tape --out pipe.bin 2> pipe.err | head -1 > head.out
CODE=${PIPESTATUS[0]}; LAST="tape run many.tape --out pipe.bin | head -1"; ERR=$(cat pipe.err)
expect_code 141
expect_err "tape run: the program was killed by SIGPIPE"
expect_same head.out <(echo "line 0")
run tape verify pipe.bin
expect_code 0
expect_out "finalized: yes"
expect_out "killed by signal 13 (SIGPIPE)"
run tape replay --trace pipe.bin
expect_code 141
expect_err "wrote to a closed pipe and was killed by SIGPIPE"

# 3. A file-size limit is a write error (exit 81), not a kill; the trace keeps
# every chunk written before it.
cat > fill.tape <<'T'
for i in 0..1000 { random.bits(100000); }
T
(ulimit -f 500 && exec "$TAPE" run fill.tape --out fill.bin) > fill.out 2> fill.err
CODE=$?; LAST="tape run fill.tape under ulimit -f 500"; ERR=$(cat fill.err)
expect_code 81
expect_err "File too large"
run tape verify fill.bin
expect_code 1
expect_out "finalized: no"
expect_no_out "checksum mismatch"

# 4. Two recorders of one path: the second is refused while the first runs;
# the old trace stays whole until the new one has its first chunk (the
# first recorder waits at a gate, with no timed flush, until the checks are
# done).
run tape run quick.tape --out same.bin
expect_code 0
close_gate
# (--force: same.bin is a trace of another program, quick.tape.)
"$TAPE" run "$GATED" --out same.bin --flush-ms 3600000 --force -- gate > slow.out 2>&1 7>&- &
slow=$!
wait_for "the first recorder to wait at the gate" at_gate $slow
run tape verify same.bin
expect_code 0
expect_out "exited with code 0"
run tape inspect same.bin
expect_out "script program 'quick.tape'"
run tape run quick.tape --out same.bin --force
expect_code 81
expect_err "another tape process is recording that file right now"
open_gate
wait $slow
CODE=$?; LAST="the first recorder"
expect_code 0
run tape inspect same.bin
expect_out "script program 'gated.tape'"
ls -a | grep -q "tape-partial" && fail "a temporary file was left behind"

# A replay that is held in the middle of its output (a 1 MiB write to a
# pipe nobody reads yet, tests/cli/lib.sh), with 2M events still to read:
# what happens to its trace meanwhile is seen by the rest of the replay.
long_script > long.tape
run tape run long.tape --out long.bin
expect_code 0

# 5. A trace re-recorded while it is replayed: the replay keeps the trace it
# opened (no SIGBUS, no mix).
hold_output held "$TAPE" replay --trace long.bin
wait_held held
run tape run quick.tape --out long.bin --force
expect_code 0
release_output held
LAST="replay of long.bin while it was re-recorded"
expect_code 0
[ "$(tail -n 1 held.rest)" = "long done" ] || fail "the replay did not finish the old trace"

# A trace truncated under a running replay: a trace error (exit 81) that says
# so, not a crash blamed on the program.
run tape run long.tape --out shrink.bin
expect_code 0
hold_output held "$TAPE" replay --trace shrink.bin
wait_held held
truncate -s 20000 shrink.bin
release_output held
LAST="replay of a trace truncated under it"
expect_code 81
expect_err "shrink.bin changed while it was being read: it shrank from "
[[ "$ERR" != *"killed by SIGBUS"* ]] || fail "blamed the program for SIGBUS"

# Ctrl-C during a replay interrupts the replay; it does not say the program
# was killed.
run tape run long.tape --out ctrlc.bin
expect_code 0
hold_output held env --default-signal=INT "$TAPE" replay --trace ctrlc.bin
wait_held held
kill -INT $HELD
release_output held
LAST="Ctrl-C during a replay"
expect_code 130
expect_err "tape replay: interrupted by SIGINT at seq 2 "  # in the 1 MiB write (seq 1)
expect_err "(the recorded program exited with code 0)"
[[ "$ERR" != *"the program was killed"* ]] || fail "Ctrl-C was blamed on the program"

# 6. FIFOs as --out: refused without --force, never a hang. (Every writing
# verb with devices and FIFOs: devices.sh.)
mkfifo fifo
run timeout 10 "$TAPE" record dice --out fifo
expect_code 2
expect_err "not a regular file"

# 7. Signals the process inherited as ignored stay ignored (nohup): sent once
# the program runs, so tape's handlers are in place by then.
close_gate
(trap '' HUP INT; exec "$TAPE" run "$GATED" --out nohup.bin -- gate) > nohup.out 2>&1 7>&- &
pid=$!
wait_for "the recording to wait at the gate" at_gate $pid
kill -HUP $pid
kill -INT $pid
open_gate
wait $pid
CODE=$?; LAST="tape run with HUP and INT ignored, then sent both"
expect_code 0
run tape verify nohup.bin
expect_code 0
expect_out "exited with code 0"

# SIGHUP (the terminal closed) ends a recording as interrupted, with every
# event so far, and then ends tape the way it ends any process.
close_gate
"$TAPE" run "$GATED" --out hup.bin -- gate > hup.out 2> hup.err 7>&- &
pid=$!
wait_for "the recording to wait at the gate" at_gate $pid
kill -HUP $pid
wait $pid
CODE=$?; LAST="SIGHUP during a recording"; ERR=$(cat hup.err)
open_gate
expect_code 129
expect_err "interrupted by SIGHUP"
run tape verify hup.bin
expect_code 0
expect_out "finalized: yes"
expect_out "events:    2 in 1 chunk"  # args.get and the "started" print
expect_out "interrupted (SIGHUP)"

# 8. A trace removed or replaced during the recording is reported (exit 81);
# a program cannot write its own trace.
close_gate
"$TAPE" run "$GATED" --out gone.bin -- gate > gone.out 2> gone.err 7>&- &
pid=$!
wait_for "the recording to wait at the gate" at_gate $pid
rm gone.bin
open_gate
wait $pid
CODE=$?; LAST="rm of the trace during recording"; ERR=$(cat gone.err)
expect_code 81
expect_err "was deleted while it was being recorded"
close_gate
"$TAPE" run "$GATED" --out swapped.bin -- gate > swapped.out 2> swapped.err 7>&- &
pid=$!
wait_for "the recording to wait at the gate" at_gate $pid
cp closed.bin other.bin && mv other.bin swapped.bin
open_gate
wait $pid
CODE=$?; LAST="the trace replaced during recording"; ERR=$(cat swapped.err)
expect_code 81
expect_err "was replaced by another file"
cat > self.tape <<'T'
let path = args.get()[0];
print(fs.write(path, "junk"));
print(fs.last_error());
T
run tape run self.tape --out self.bin -- self.bin
expect_code 0
expect_out "nil"   # fs.write failed
expect_out "16"    # EBUSY
run tape verify self.bin
expect_code 0

# 9. An effect from a thread tape does not know: exit 83 with a clear
# message, on record and on replay; the trace is finished, with that outcome.
TAPE_TEST_MODE=thread run "$CRASH" record --out thread.bin
expect_code 83
expect_err "from a thread tape does not know"
expect_err "crash_program.cc"
run tape verify thread.bin
expect_code 0
expect_out "an effect was called from a thread tape does not know"
TAPE_TEST_MODE=thread run "$CRASH" replay --trace thread.bin
expect_code 83
expect_err "from a thread tape does not know"

finish
