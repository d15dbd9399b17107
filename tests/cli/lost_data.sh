# Nothing lost, nothing hijacked: closed standard streams, broken pipes, file
# size limits, two recorders of one path, a trace replaced under its reader,
# devices and FIFOs as --out, inherited ignored signals, a trace removed
# during recording or written by its own program, effects from a raw thread.
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?}

cat > slow.tape <<'T'
for i in 0..40 { time.sleep(25); }
print("slow done");
T
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
# the old trace stays whole until the new one has its first chunk.
run tape run quick.tape --out same.bin
expect_code 0
# (--force: same.bin is a trace of another program, quick.tape.)
"$TAPE" run slow.tape --out same.bin --flush-ms 5000 --force > slow.out 2>&1 &
slow=$!
sleep 0.3
run tape verify same.bin
expect_code 0
expect_out "exited with code 0"
run tape inspect same.bin
expect_out "script program 'quick.tape'"
run tape run quick.tape --out same.bin --force
expect_code 81
expect_err "another tape process is recording that file right now"
wait $slow
CODE=$?; LAST="the first recorder"
expect_code 0
run tape inspect same.bin
expect_out "script program 'slow.tape'"
ls -a | grep -q "tape-partial" && fail "a temporary file was left behind"

# 5. A trace re-recorded while it is replayed: the replay keeps the trace it
# opened (no SIGBUS, no mix).
cat > long.tape <<'T'
let t = 0;
for i in 0..2000000 { t = clock.now(); }
print("long done");
T
run tape run long.tape --out long.bin
expect_code 0
"$TAPE" replay --trace long.bin > long.out 2> long.err &
replay=$!
sleep 0.1
run tape run quick.tape --out long.bin --force
expect_code 0
wait $replay
CODE=$?; LAST="replay of long.bin while it was re-recorded"; ERR=$(cat long.err)
expect_code 0
expect_same long.out <(echo "long done")

# A trace truncated under a running replay: a trace error (exit 81) that says
# so, not a crash blamed on the program.
run tape run long.tape --out shrink.bin
"$TAPE" replay --trace shrink.bin > shrink.out 2> shrink.err &
replay=$!
for _ in $(seq 1 200); do  # until the replay has mapped it (a slow machine takes long to start)
  grep -q "/shrink.bin\$" "/proc/$replay/maps" 2> /dev/null && break
  sleep 0.02
done
truncate -s 20000 shrink.bin
wait $replay
CODE=$?; LAST="replay of a trace truncated under it"; ERR=$(cat shrink.err)
if [ "$CODE" != 0 ]; then  # (a fast machine may finish first)
  expect_code 81
  [[ "$ERR" == *"changed while it was being read"* || "$ERR" == *"shrank"* ]] ||
    fail "the shrinking trace was not reported as such"
  [[ "$ERR" != *"killed by SIGBUS"* ]] || fail "blamed the program for SIGBUS"
fi

# Ctrl-C during a replay interrupts the replay; it does not say the program
# was killed.
run tape run long.tape --out ctrlc.bin
env --default-signal=INT "$TAPE" replay --trace ctrlc.bin > ctrlc.out 2> ctrlc.err &
replay=$!
for _ in $(seq 1 200); do  # until the replay has mapped the trace, then a little more
  grep -q "/ctrlc.bin\$" "/proc/$replay/maps" 2> /dev/null && break
  sleep 0.01
done
sleep 0.05
kill -INT $replay
wait $replay
CODE=$?; LAST="Ctrl-C during a replay"; ERR=$(cat ctrlc.err)
# (A fast machine may finish the replay first, and then the signal ends tape
# as it ends any process.)
if ! grep -q "long done" ctrlc.out; then
  expect_code 130
  expect_err "tape replay: interrupted by SIGINT at seq "
  expect_err "(the recorded program exited with code 0)"
  [[ "$ERR" != *"the program was killed"* ]] || fail "Ctrl-C was blamed on the program"
fi

# 6. Devices and FIFOs as --out: refused without --force, never a hang.
mkfifo fifo
run timeout 10 "$TAPE" record dice --out fifo
expect_code 2
expect_err "not a regular file"
run tape record dice --out /dev/null
expect_code 2
expect_err "not a regular file"
run tape record dice --out /dev/null --force
expect_code 0

# 7. Signals the process inherited as ignored stay ignored (nohup).
(trap '' HUP INT; exec "$TAPE" run slow.tape --out nohup.bin) > nohup.out 2>&1 &
pid=$!
sleep 0.3
kill -HUP $pid
kill -INT $pid
wait $pid
CODE=$?; LAST="tape run with HUP and INT ignored, then sent both"
expect_code 0
run tape verify nohup.bin
expect_code 0
expect_out "exited with code 0"

# 8. A trace removed or replaced during the recording is reported (exit 81);
# a program cannot write its own trace.
"$TAPE" run slow.tape --out gone.bin > gone.out 2> gone.err &
pid=$!
sleep 0.3
rm gone.bin
wait $pid
CODE=$?; LAST="rm of the trace during recording"; ERR=$(cat gone.err)
expect_code 81
expect_err "was deleted while it was being recorded"
"$TAPE" run slow.tape --out swapped.bin > swapped.out 2> swapped.err &
pid=$!
sleep 0.3
cp closed.bin other.bin && mv other.bin swapped.bin
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
