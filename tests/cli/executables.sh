# Programs that were not written for tape (tape record -- PROGRAM): Debian's
# own programs record, then replay byte for byte with the clock later, the
# environment changed and the files they read deleted; the tools read their
# traces; what the interposer cannot record is refused with a message; a
# replay of a changed program drifts at the call, named with its line.
. "$(dirname "$0")/lib.sh"
PROBE=${TAPE_PROBE:?set TAPE_PROBE to tests/preload/probe.c built}
PROBE_CHANGED=${TAPE_PROBE_CHANGED:?}
PROBE_GO=${TAPE_PROBE_GO:?}

mkdir data
printf 'apple\nbanana\ncherry\ndate\nelder\nfig\n' > data/fruit.txt
sqlite3 data/t.db 'create table t(a); insert into t values (1)'
mkdir data/dir && printf 'x' > data/dir/one && printf 'yy' > data/dir/two

# name, then the command. Each reads the clock, randomness, the environment
# or files, so that a replay that did not serve them would print otherwise.
PROGRAMS=(date python shuf sort od mawk cat ls sqlite perl)
command_of() {
  case $1 in
    date) echo date ;;
    python) echo /usr/bin/python3 -c "import random, time, os; print(random.random(), time.time(), os.getpid(), os.environ.get('X'))" ;;
    shuf) echo shuf -n 3 data/fruit.txt ;;
    sort) echo sort -R data/fruit.txt ;;
    od) echo od -An -N8 -tx1 /dev/urandom ;;
    mawk) echo mawk 'BEGIN { srand(); print rand() }' ;;
    cat) echo cat data/fruit.txt ;;
    ls) echo ls -l data/dir ;;
    sqlite) echo sqlite3 data/t.db 'select random(), datetime()' ;;
    perl) echo perl -e 'print rand(), " ", time, "\n"' ;;
  esac
}
record() {
  local name=$1
  case $name in
    date) X=recorded "$TAPE" record --out "$name.bin" -- date ;;
    python) X=recorded "$TAPE" record --out "$name.bin" -- /usr/bin/python3 -c \
      "import random, time, os; print(random.random(), time.time(), os.getpid(), os.environ.get('X'))" ;;
    shuf) "$TAPE" record --out "$name.bin" -- shuf -n 3 data/fruit.txt ;;
    sort) "$TAPE" record --out "$name.bin" -- sort -R data/fruit.txt ;;
    od) "$TAPE" record --out "$name.bin" -- od -An -N8 -tx1 /dev/urandom ;;
    mawk) "$TAPE" record --out "$name.bin" -- mawk 'BEGIN { srand(); print rand() }' ;;
    cat) "$TAPE" record --out "$name.bin" -- cat data/fruit.txt ;;
    ls) "$TAPE" record --out "$name.bin" -- ls -l data/dir ;;
    sqlite) "$TAPE" record --out "$name.bin" -- sqlite3 data/t.db 'select random(), datetime()' ;;
    perl) "$TAPE" record --out "$name.bin" -- perl -e 'print rand(), " ", time, "\n"' ;;
  esac
}

for name in "${PROGRAMS[@]}"; do
  run record "$name"
  expect_code 0
  [ -n "$OUT" ] || fail "$name printed nothing when recorded"
  printf '%s\n' "$OUT" > "$name.recorded"
done
grep -q recorded python.recorded || fail "python did not print the recorded X"

# The world moves on: the clock passes the second the recordings read (a
# wait for a condition, at most a second), the environment is another, and
# the files are gone.
started=$(date +%s)
while [ "$(date +%s)" = "$started" ]; do sleep 0.05; done
[ "$(date)" != "$(cat date.recorded)" ] || fail "the clock did not move"
rm -rf data
for name in "${PROGRAMS[@]}"; do
  run env -i PATH=/usr/bin:/bin X=changed TZ=Asia/Tokyo LANG=C "$TAPE" replay "$name.bin"
  expect_code 0
  printf '%s\n' "$OUT" > "$name.replayed"
  cmp -s "$name.recorded" "$name.replayed" || fail "$name ($(command_of "$name")) replayed another output"
  [ -z "$ERR" ] || fail "$name's replay wrote to stderr"
done

# tape test and tape rerun run them again the same way (the world changed,
# the files gone): at replay strength, the output must be the recorded one.
run env -i PATH=/usr/bin:/bin X=changed "$TAPE" test date.bin cat.bin python.bin ls.bin --jobs 2
expect_code 0
expect_out "PASS   date.bin  (executable program '"
expect_out "4 passed, 0 failed"
run tape rerun --trace cat.bin
expect_code 0
[ "$OUT" = "$(cat cat.recorded)" ] || fail "the rerun of cat printed another output"
expect_err "same, 0 changed, 0 added, 0 removed"
expect_err "note: a recording of an executable is rerun at replay strength"
run tape rerun --trace cat.bin --json --exit-code
expect_code 0
[[ "$ERR" == "$(cat cat.recorded)"$'\n'* ]] || fail "with --json, the program's output is not on stderr"
python3 - "$OUT" <<'P' || fail "the rerun's JSON report is not as expected"
import json, sys
r = json.loads(sys.argv[1])
assert r["changed"] is False and r["outcome_same"] is True, r
assert r["outputs"]["same"] >= 1 and r["outputs"]["changed"] == 0 and r["inputs"]["by_site"] >= 1, r
assert "replay strength" in r["note"], r
P
run tape rerun --trace cat.bin --out again.bin
expect_code 2
expect_err "--out does not apply to it"
[ ! -e again.bin ] || fail "a refused rerun wrote its --out"
run tape test cat.bin --update
expect_code 1
expect_out "cannot be updated (--update): record it again with tape record -- "

# The tools read these traces like any other.
run tape verify cat.bin
expect_code 0
run tape inspect cat.bin --filter libc.open --grep fruit
expect_code 0
expect_out 'libc.open(dirfd=-100, flags=0, mode=0, path="data/fruit.txt") -> errno=ok, fd='
expect_out ', served=true'
expect_out 'data="apple\nbanana\ncherry\ndate\nelder\nfig\n"'
expect_out '  at cat+0x'
run tape inspect date.bin --filter libc.clock_gettime
expect_out 'libc.clock_gettime(0) -> '
run tape inspect cat.bin --filter io.write --json
expect_out '"kind":"io.write"'
run tape stats ls.bin
expect_code 0
expect_out 'libc.getdents'
run tape export sort.bin --format csv --out sort.csv
expect_code 0
grep -q 'libc.getrandom' sort.csv || fail "export has no libc.getrandom"
X=recorded "$TAPE" record --out date2.bin -- date > /dev/null
run tape diff date.bin date2.bin
expect_code 1
expect_out 'libc.clock_gettime'
run tape replay dice --trace python.bin
expect_code 2
expect_err 'replay it without naming a program'

# Chaos mode perturbs the libc calls too, and the perturbed run replays;
# a trace is redacted by kind like any other.
printf 'a\n' > here.txt
run tape record --out chaos.bin --chaos libc.open:enoent=1 --seed 7 -- cat here.txt
expect_code 1
expect_err 'here.txt: No such file or directory'
run tape replay chaos.bin
expect_code 1
expect_err 'here.txt: No such file or directory'
run tape redact date.bin --kind libc.start --out redacted.bin
expect_code 0
run tape inspect redacted.bin --filter libc.start
expect_out '[result redacted]'
run tape inspect redacted.bin --filter libc.start --grep '[redacted #1]'
expect_out 'libc.start()'

# Record-time redaction: the values of the variables --redact-env names are
# markers in the trace, in libc.start's environment and wherever the
# program copied them (its output, a file it wrote), and their bytes are
# nowhere in it; the replay gives the program the markers. --redact-match
# reaches the arguments too.
SECRET_X=s3cr3t-value-4217 run tape record --out secret.bin --redact-env 'SECRET_*' -- \
  /bin/sh -c 'echo "token $SECRET_X"; printf "%s\n" "$SECRET_X" > copy.txt'
expect_code 0
expect_out 'token s3cr3t-value-4217'
[ "$(cat copy.txt)" = s3cr3t-value-4217 ] || fail "the program did not get the value"
run tape inspect secret.bin
expect_out 'record --redact-env SECRET_*'
expect_out 'libc.start() -> '
expect_out 'io.write("token [redacted #1]\n")'
expect_no_out 's3cr3t'
run tape export secret.bin --format jsonl --out -
expect_out '"SECRET_X=[redacted #1]"'
expect_no_out 's3cr3t'
! grep -q s3cr3t secret.bin || fail "the value's bytes are in the trace file"
run tape replay secret.bin
expect_code 0
expect_out 'token [redacted #1]'
run tape record --out m.bin --redact-match 'tok_[0-9a-f]{8,}' -- /bin/echo tok_8f2b9c71d3e4
expect_out 'tok_8f2b9c71d3e4'
run tape export m.bin --format jsonl --out -
expect_out '[redacted #1]'
expect_no_out 'tok_8f2b9c71d3e4'
run tape replay m.bin
expect_code 0
expect_out '[redacted #1]'
run tape record --out h.bin --redact-header Authorization -- /bin/true
expect_code 2
expect_err '--redact-header applies to http.request'

# Standard input is recorded too; a closed stdout is the program's business.
printf 'one\ntwo\n' | "$TAPE" record --out stdin.bin -- cat > stdin.recorded
run tape replay stdin.bin < /dev/null
expect_code 0
[ "$OUT" = "$(cat stdin.recorded)" ] || fail "cat of stdin replayed another output"

# Refused up front, with what the program is and what to do.
run tape record --out x.bin -- /usr/sbin/ldconfig -p
expect_code 2
expect_err 'is statically linked'
run tape record --out x.bin -- "$PROBE_GO" clock
expect_code 2
expect_err 'is a Go program'
run tape record --out x.bin -- no-such-program-anywhere
expect_code 2
expect_err "no program 'no-such-program-anywhere' in PATH"
run tape record --out x.bin -- dice
expect_code 2
expect_err 'built-in programs are recorded without --'
run tape record --out x.bin
expect_code 2
expect_err 'or an executable after --'
[ ! -e x.bin ] || fail "a refused recording left a trace"

# Refused at the call: the program stops there, the trace says why, and
# replays to the same place.
run tape record --out thread.bin -- "$PROBE" thread
expect_code 83
expect_err 'stopped: the program starts a thread (pthread_create) at interposer_probe+0x'
expect_no_out 'thread ran'
run tape inspect thread.bin --limit 1
expect_out 'stopped by tape: the program starts a thread'
run tape replay thread.bin
expect_code 83
run tape record --out fork.bin -- "$PROBE" fork
expect_code 83
expect_err 'starts a child process (fork) at interposer_probe+0x'
run tape record --out exec.bin -- sh -c 'exec date'
expect_code 83
expect_err 'runs another program (execve /'  # sh tries each directory of PATH

# A socket that fails to connect is recorded like any answer; one that
# connects is refused (the server runs outside tape).
run tape record --out sock.bin -- /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect('$WORK/nobody-listens')
except OSError as e:
    print('refused', e.errno)"
expect_code 0
expect_out 'refused 2'
run tape replay sock.bin
expect_out 'refused 2'
/usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_UNIX); s.bind('$WORK/server'); s.listen(1); s.settimeout(60)
open('$WORK/ready', 'w').close()
try:
    s.accept()[0].close()
except OSError:
    pass" &
server=$!
for _ in $(seq 200); do [ -e ready ] && break; sleep 0.05; done
run tape record --out sock2.bin -- /usr/bin/python3 -c "
import socket
socket.socket(socket.AF_UNIX).connect('$WORK/server')
print('connected')"
expect_code 83
expect_err 'connected socket'
expect_no_out 'connected'
wait "$server"

# A replay of a changed build drifts at the first call that differs, named
# with its arguments, its seq and the program's line (debug information).
cp "$PROBE" probe
run tape record --out probe.bin -- ./probe clock
expect_code 0
cp "$PROBE_CHANGED" probe
run tape replay probe.bin
expect_code 80
expect_err 'the executable'
expect_err 'changed since the recording'
run tape replay probe.bin --ignore-code-hash
expect_code 80
expect_err 'drift: SiteMismatch at seq 1'
expect_err 'recorded: libc.clock_gettime(0) at probe+0x'
expect_err 'replay:   libc.clock_gettime(0) at probe+0x'
expect_err "the program's call that drifted: main at "
expect_err 'probe.c:'
# tape test of the changed build fails where it drifts; --program runs
# another build on the trace (here the recorded one, which passes).
run tape test probe.bin
expect_code 1
expect_out "FAIL   probe.bin"
expect_out "stopped: SiteMismatch at seq 1"
run tape rerun --trace probe.bin --exit-code
expect_code 80
expect_err 'drift: SiteMismatch at seq 1'
run tape test probe.bin --program "$PROBE"
expect_code 0
expect_out "1 passed, 0 failed"

# hunt -- PROGRAM: record until a run fails, keep its trace, which replays.
run tape hunt --runs 50 --jobs 2 --keep hunted --until 'output~^1$' -- shuf -n 1 -e 0 1
expect_code 0
expect_out 'tape replay hunted/shuf-run'
kept=$(ls hunted/shuf-run*.bin | head -1)
run tape replay "$kept"
expect_code 0
[ "$OUT" = 1 ] || fail "the kept failure replayed '$OUT', not 1"

finish
