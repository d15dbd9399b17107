# The full-size hostile corpus through every tool that reads a trace
# (inspect, stats, verify, diff, replay, recover, redact, export), under
# `ulimit -v 2000000` (about 1.9 GiB of address space): each run must end by
# itself with a documented exit code and, when it fails, a message; never a
# signal, an abort, a timeout or an allocation failure. Prints each run's
# time and peak memory. The corpus: the blob, chain and site bombs, the
# damaged and hostile goldens, a recording made with stdout closed, a trace
# read while it is being recorded and while a second recorder is refused,
# and a trace truncated while each verb reads it. Also: a legitimately
# recorded 270 MB fs.read that must still replay.
# (Label `long`: make long-test. Needs a few GB of disk and about 5 minutes.)
. "$(dirname "$0")/lib.sh"
G="$SRC/tests/golden"
HOSTILE=${TAPE_MAKE_HOSTILE:?set TAPE_MAKE_HOSTILE to the make_hostile binary}
LIMIT_KB=2000000
TIMEOUT=${HOSTILE_TIMEOUT:-600}

if (ulimit -v $LIMIT_KB && "$TAPE" --version) > /dev/null 2>&1; then
  ULIMIT="ulimit -v $LIMIT_KB"
else
  echo "note: this build cannot run under ulimit -v (sanitizers); running without the limit"
  ULIMIT=":"
fi

# check ALLOWED_CODES TAPE_ARGS...: one run under the limit, with a report line.
# ALLOWED_CODES "program" allows any code a program may exit with (below 128).
check() {
  local allowed=$1
  shift
  local start end
  start=$(date +%s%N)
  LAST="tape $*"
  (eval "$ULIMIT" && exec timeout "$TIMEOUT" /usr/bin/time -f %M -o "$WORK/.rss" "$TAPE" "$@") \
    > "$WORK/.out" 2> "$WORK/.err"
  CODE=$?
  end=$(date +%s%N)
  OUT=$(head -c 4000 "$WORK/.out")
  ERR=$(grep -v "^Command exited with non-zero status" "$WORK/.err" | head -c 4000)
  local label="$*"
  printf '%-60s exit %3s %8.2f s %7s MB\n' "${label//$WORK\//}" "$CODE" \
    "$(awk "BEGIN{print ($end - $start) / 1e9}")" \
    "$(tail -n 1 "$WORK/.rss" 2> /dev/null | awk '{printf "%.0f", $1 / 1024}')"
  [ "$CODE" != 124 ] || fail "timed out after $TIMEOUT s"
  if [ "$allowed" = program ]; then
    [ "$CODE" -lt 128 ] || fail "killed by signal $((CODE - 128))"
  else
    [[ " $allowed " == *" $CODE "* ]] || fail "exit code $CODE not in {$allowed}"
  fi
  [[ "$ERR" != *"terminate called"* && "$ERR" != *"bad_alloc"* && "$ERR" != *"Sanitizer"* &&
     "$ERR" != *"Killed"* ]] || fail "crashed"
  if [ "$CODE" != 0 ] && [ -z "$ERR$OUT" ]; then fail "failed without a message"; fi
}

# Every reading verb on FILE; GOOD is a sound trace to diff against.
every_tool() {
  local file=$1 good=$2
  check "0 81" inspect "$file"
  check "0 81" inspect "$file" --json --limit 100
  check "0 81" stats "$file"
  check "0 1 81" verify "$file"
  check "0 1 81" diff "$file" "$file"
  check "0 1 81" diff "$file" "$good"
  check "0 81" recover "$file" --out "$WORK/recovered.bin" --force
  if [ "$CODE" = 0 ]; then check "0" verify "$WORK/recovered.bin"; fi
  # Replay exits with the program's code, or 2 (a program tape cannot run),
  # 80 (drift) or 81 (the trace); a stdin that is empty, a stdout it keeps.
  check program replay --trace "$file" < /dev/null
  check "0 81" redact "$file" --out "$WORK/redacted.bin" --force --kind fs.read --match 'hel+o'
  if [ "$CODE" = 0 ]; then check "0" verify "$WORK/redacted.bin"; fi
  for format in chrome perfetto csv jsonl; do
    # A timeline (chrome, perfetto) of a trace without event times is a
    # usage error that says so.
    check "0 2 81" export "$file" --format "$format" --out "$WORK/exported" --force
    if [ "$CODE" = 2 ]; then expect_err "has no event times"; fi
  done
}

echo "hello world" > small.txt
TAPE_INPUT=small.txt tape record wordcount --out wc.bin > /dev/null

echo "## a 32 GiB fs.read result in 2,048 zstd pieces of 16 MiB"
"$HOSTILE" blob-bomb wc.bin blob32.bin 32
ls -l blob32.bin | awk '{print "file: " $5 " bytes"}'
every_tool blob32.bin wc.bin
(eval "$ULIMIT" && TAPE_INPUT=small.txt exec timeout "$TIMEOUT" "$TAPE" replay blob32.bin) \
  > "$WORK/.out" 2> "$WORK/.err"
CODE=$?
ERR=$(cat "$WORK/.err")
LAST="tape replay blob32.bin"
expect_code 81
expect_err "is larger than the memory budget"

echo "## 100,000 events sharing one 1 GiB BLOB chain"
"$HOSTILE" chain-bomb chain.bin 100000 1024
ls -l chain.bin | awk '{print "file: " $5 " bytes"}'
every_tool chain.bin wc.bin

echo "## footer-less traces whose chunks define 16 MiB of sites each"
"$HOSTILE" site-bomb sites-44.bin 44
"$HOSTILE" site-bomb sites-440.bin 440
"$HOSTILE" site-bomb sites-tiny.bin 3 tiny
for f in sites-44.bin sites-440.bin sites-tiny.bin; do
  ls -l "$f" | awk '{print "file: " $9 ", " $5 " bytes"}'
  every_tool "$f" wc.bin
done

echo "## the damaged and hostile goldens"
for f in bad-chunk.trace bad-chunk-0.trace bad-footer.trace interrupted.trace torn-tail.trace \
         two-chunks.trace gaps.trace escapes.trace; do
  every_tool "$G/$f" "$G/small-chunks.trace"
done

echo "## a recording made with stdout closed"
"$TAPE" record dice --out closed.bin >&- 2> closed.err
CODE=$?; LAST="tape record dice --out closed.bin >&-"; ERR=$(cat closed.err)
expect_code 0
every_tool closed.bin wc.bin
check 0 verify closed.bin
check 0 inspect closed.bin
expect_out "errno 9 (Bad file descriptor)"

echo "## a trace read while it is recorded, and a second recorder of it"
# The recorder makes 121 events, then waits at a gate (lib.sh) until the
# tools are done with its footer-less trace.
printf 'for i in 0..60 { print(str(clock.now())); }\nfs.read(args.get()[0]);\n' > slow.tape
close_gate
"$TAPE" run slow.tape --out same.bin --flush-ms 20 -- gate > slow.out 2> slow.err 7>&- &
recorder=$!
has_all_121() { "$TAPE" verify same.bin 2> /dev/null | grep -q '^  events: *121 in'; }
wait_for "the recorder's events in same.bin" has_all_121
run tape run slow.tape --out same.bin
expect_code 81
expect_err "another tape process is recording that file right now"
every_tool same.bin wc.bin  # footer-less: the chunks sealed so far
check "1" verify same.bin
expect_out "finalized: no (still being recorded, interrupted, or damaged)"
open_gate
wait $recorder
CODE=$?; LAST="the first recorder"; ERR=$(cat slow.err)
expect_code 0
every_tool same.bin wc.bin
check 0 verify same.bin

echo "## a trace truncated while each verb reads it"
printf 'for i in 0..100000000 { clock.now(); }\n' > loop.tape
tape run loop.tape --out big.bin > /dev/null
# Without footers, diff computes every chunk's content hash: long enough to stop.
head -c -16 big.bin > big-open.bin
for verb in inspect stats verify diff recover redact replay export; do
  # Stop the verb once it has mapped the trace, cut the file, let it go on.
  for attempt in 1 2 3; do
    cp big.bin shrinking.bin
    case $verb in
      diff)
        head -c -16 big.bin > shrinking.bin
        args=(diff shrinking.bin big-open.bin)
        ;;
      recover) args=(recover shrinking.bin --out "$WORK/cut-rec.bin" --force) ;;
      redact) args=(redact shrinking.bin --out "$WORK/cut-red.bin" --force --kind clock.now) ;;
      replay) args=(replay --trace shrinking.bin) ;;
      export) args=(export shrinking.bin --format chrome --out "$WORK/cut.json" --force) ;;
      *) args=("$verb" shrinking.bin) ;;
    esac
    (eval "$ULIMIT" && exec "$TAPE" "${args[@]}") > /dev/null 2> shrink.err &
    pid=$!
    for _ in $(seq 500); do grep -q shrinking.bin "/proc/$pid/maps" 2> /dev/null && break; sleep 0.005; done
    if kill -STOP "$pid" 2> /dev/null; then
      truncate -s 100 shrinking.bin
      kill -CONT "$pid"
      wait "$pid"
      CODE=$?
      break
    fi
    wait "$pid"  # it finished before it could be stopped: try again
    CODE=done
  done
  ERR=$(cat shrink.err)
  LAST="tape ${args[*]} (truncated to 100 bytes while it ran)"
  echo "$LAST: exit $CODE"
  expect_code 81
  expect_err "shrinking.bin changed while it was being read: it shrank from"
done

echo "## a legitimately recorded 270 MB fs.read replays"
yes "the quick brown fox jumps over the lazy dog" | head -c 270000000 > big.txt
TAPE_INPUT=big.txt tape record wordcount --out read270.bin > expected.txt
run tape verify read270.bin
expect_code 0
(eval "$ULIMIT" && TAPE_INPUT=big.txt exec /usr/bin/time -f %M -o "$WORK/.rss" "$TAPE" replay \
   read270.bin) > replayed.txt 2> "$WORK/.err"
CODE=$?
ERR=$(cat "$WORK/.err")
LAST="tape replay read270.bin (under the limit)"
echo "$LAST: exit $CODE, peak $(tail -n 1 "$WORK/.rss" | awk '{printf "%.0f", $1 / 1024}') MB"
expect_code 0
expect_same expected.txt replayed.txt
rm -f big.txt

finish
