# Assertions for the CLI tests. Each test script sources this, runs `tape`
# commands with `run`, and checks exit codes and output.
#   run CMD...          runs CMD; sets CODE, OUT (stdout) and ERR (stderr)
#   expect_code N       the exit code was N
#   expect_out TEXT     stdout contains TEXT      (expect_no_out: does not)
#   expect_err TEXT     stderr contains TEXT
#   expect_same A B     files A and B are byte-identical
#   finish              exits non-zero if any expectation failed
# Waiting, for tests of processes that run beside the test (never a sleep
# that hopes the other process got there; see "Readiness" below).
set -u
TAPE=${TAPE:?set TAPE to the tape binary}
SRC=${TAPE_SOURCE_DIR:?set TAPE_SOURCE_DIR to the source tree}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
FAILURES=0
LAST=""
CODE=0
OUT=""
ERR=""

tape() { "$TAPE" "$@"; }

run() {
  LAST="$*"
  "$@" >"$WORK/.out" 2>"$WORK/.err"
  CODE=$?
  OUT=$(cat "$WORK/.out")
  ERR=$(cat "$WORK/.err")
}

fail() {
  local line=${BASH_LINENO[1]:-0}
  [ "$line" = 0 ] && line=${BASH_LINENO[0]}  # called from the test itself, not an expect_*
  echo "FAIL (line $line): $*"
  echo "  command: $LAST"
  echo "  exit:    $CODE"
  echo "  stdout:  ${OUT:0:2000}"
  echo "  stderr:  ${ERR:0:2000}"
  FAILURES=$((FAILURES + 1))
}

expect_code() { [ "$CODE" = "$1" ] || fail "expected exit code $1"; }
expect_out() { [[ "$OUT" == *"$1"* ]] || fail "stdout does not contain: $1"; }
expect_no_out() { [[ "$OUT" != *"$1"* ]] || fail "stdout contains: $1"; }
expect_err() { [[ "$ERR" == *"$1"* ]] || fail "stderr does not contain: $1"; }
expect_same() { cmp -s "$1" "$2" || fail "files differ: $1 $2"; }
expect_one_line_err() {
  [ "$(printf '%s\n' "$ERR" | grep -c .)" -ge 1 ] || fail "expected an error message"
  [[ "$ERR" != *"terminate called"* && "$ERR" != *"Segmentation"* && "$ERR" != *"AddressSanitizer"* ]] ||
    fail "crashed instead of reporting"
}

# --- Readiness -------------------------------------------------------------
# A test that acts on a running process waits until the process is where
# the test needs it, with a deadline far beyond what a loaded machine needs
# (WAIT_SECONDS, default 120), and fails if it never gets there.
#   wait_for WHAT CMD...   polls CMD until it succeeds
wait_for() {
  local what=$1
  shift
  local deadline=$((SECONDS + ${WAIT_SECONDS:-120}))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "gave up waiting for $what"
      return 1
    fi
    sleep 0.01
  done
}
has_line() { grep -q -- "$2" "$1" 2> /dev/null; }  # has_line FILE TEXT

# A gate a script stops at: `fs.read(GATE)` blocks while the gate is closed
# (this shell holds the FIFO open for writing, on fd 7, and writes nothing)
# and returns "" once open_gate closes it. The gated command must be started
# with 7>&- so that it does not hold the FIFO open itself.
#   close_gate       makes ./gate, closed
#   open_gate        lets every reader of ./gate through
#   at_gate PID      a thread of PID (the program's) is blocked reading
#                    ./gate: every effect before the gate is recorded
close_gate() {
  rm -f gate
  mkfifo gate
  exec 7<> gate
}
open_gate() { exec 7>&-; }
# (Seeing what the script printed before the gate is not enough: a print is
# recorded after its write, and a signal in between finds it missing from
# the trace. The kernel names where a task sleeps: pipe_read, or
# anon_pipe_read, for a FIFO too.)
at_gate() {
  local t
  for t in /proc/$1/task/*; do
    [[ "$(cat "$t/wchan" 2> /dev/null)" == *pipe_read ]] && return 0
  done
  return 1
}
# The script that waits at the gate: it prints "started", waits, prints
# "released": `tape run "$GATED" -- gate` (kept out of the test's globs);
# `wait_for ... at_gate $!` until it waits.
GATED="$WORK/.gated/gated.tape"
mkdir "$WORK/.gated"
cat > "$GATED" <<'T'
print("started");
fs.read(args.get()[0]);
print("released");
T

# A command held in the middle of its output: its stdout goes to a reader
# that takes the first line (then the command is running), and nothing more
# until release_output: a command that writes more than a pipe holds (64 KiB)
# blocks in that write, for as long as the test needs.
#   hold_output NAME CMD...   starts CMD in the background (PID: HELD), its
#                             stderr in NAME.err, the first line in NAME.first
#   release_output NAME       the reader takes the rest, into NAME.rest; then
#                             waits for the command: CODE, ERR (NAME.err)
hold_output() {
  local name=$1
  shift
  rm -f "$name.pipe" "$name.first" "$name.go" "$name.rest"
  mkfifo "$name.pipe"
  (
    IFS= read -r line
    printf '%s\n' "$line" > "$name.first.tmp" && mv "$name.first.tmp" "$name.first"
    until [ -e "$name.go" ]; do sleep 0.01; done
    cat > "$name.rest"
  ) < "$name.pipe" 7>&- &
  HELD_READER=$!
  "$@" > "$name.pipe" 2> "$name.err" 7>&- &
  HELD=$!
}
#   wait_held NAME            until the first line has arrived and the
#                             command is blocked writing the rest
wait_held() {
  wait_for "the first line of $1" test -e "$1.first" &&
    wait_for "$1 to block in a write" blocked_in_write "$HELD"
}
# (The kernel names where a task sleeps: pipe_write, or anon_pipe_write.)
blocked_in_write() { [[ "$(cat "/proc/$1/wchan" 2> /dev/null)" == *pipe_write ]]; }
release_output() {
  touch "$1.go"
  wait "$HELD"
  CODE=$?
  ERR=$(cat "$1.err")
  wait "$HELD_READER"
}
# A script for hold_output: prints "started", then 1 MiB in one write (where
# it is held), then reads the clock 2M times (so its trace has some 30
# chunks still to read) and prints "long done".
long_script() {
  cat <<'T'
print("started");
let s = "x";
for i in 0..20 { s = s + s; }
print(s);
let t = 0;
for i in 0..2000000 { t = clock.now(); }
print("long done");
T
}

# Processes, found through /proc.
#   pids_with_arg ARG   the pids of the processes that have ARG among their arguments
#   stat_of PID         its state, parent pid and process group (and the rest of /proc/PID/stat)
#   group_gone ID       no live process (zombies aside) has ID as its pid or its process group
pids_with_arg() {
  local p a args
  for p in /proc/[0-9]*; do
    mapfile -d '' args 2> /dev/null < "$p/cmdline" || continue
    for a in "${args[@]}"; do
      if [ "$a" = "$1" ]; then
        echo "${p#/proc/}"
        break
      fi
    done
  done
}
stat_of() { local s; read -r s 2> /dev/null < "/proc/$1/stat" || return 1; echo "${s##*) }"; }
group_gone() {
  local p f
  for p in /proc/[0-9]*; do
    f=($(stat_of "${p#/proc/}")) || continue
    [ "${f[0]:-Z}" != Z ] || continue
    [ "${p#/proc/}" != "$1" ] && [ "${f[2]}" != "$1" ] || return 1
  done
}

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES expectation(s) failed"
    exit 1
  fi
  echo "all expectations met"
}
