#!/usr/bin/env bash
# `make bench`: measures what the README's performance table reports, on this
# machine, with the commands that reproduce each number.
#   EVENTS=10000000   events per `tape bench` run
#   BIG=100000000     events in the traces the tools are timed on
#   HUGE=1            also record 1,000,000,000 clock events (minutes, ~GBs of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
TAPE=build/release/tools/tape
B=build/release/bench
EVENTS=${EVENTS:-10000000}
BIG=${BIG:-100000000}
WORK=${WORK:-$(mktemp -d)}
trap 'rm -rf "$WORK"' EXIT

echo "## machine"
echo "$(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'),"\
     "$(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
echo

measure() {  # measure LABEL CMD...: wall time and peak RSS of one command
  local label=$1 status=0 start end
  shift
  start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$WORK/time" "$@" > "$WORK/out" 2>&1 || status=$?
  end=$(date +%s%N)
  LAST_NS=$((end - start))  # for rates computed after a measure
  if [ "$status" -gt 1 ]; then  # diff and verify exit 1 for "different"
    echo "bench: '$*' failed:"; cat "$WORK/out"; exit 1
  fi
  kb=$(tail -n 1 "$WORK/time")
  printf '| %-60s | %9.1f ms | %7.1f MB |\n' "$label" "$(awk "BEGIN{print ($end - $start) / 1e6}")" \
    "$(awk "BEGIN{print $kb / 1024}")"
}

echo "## tape bench (record + replay from a real file, $EVENTS events, 3 runs each)"
"$TAPE" bench --events 1000 | head -1
for effect in clock random write; do
  for run in 1 2 3; do
    "$TAPE" bench --events "$EVENTS" --effect "$effect" | head -2 | tail -1
  done
done
echo

echo "## memory while recording (the trace is written, not kept in memory)"
echo "| command | wall | peak RSS |"
echo "|---|---|---|"
for n in 1000000 10000000 "$BIG"; do
  measure "tape bench --events $n --effect clock --record-only" \
    "$TAPE" bench --events "$n" --effect clock --record-only
done
measure "tape bench --events $((BIG / 10)) --effect random --record-only" \
  "$TAPE" bench --events $((BIG / 10)) --effect random --record-only
echo

echo "## tools on large traces (synthetic clock traces from bench/make_trace)"
echo "| command | wall | peak RSS |"
echo "|---|---|---|"
for n in 1000000 10000000 "$BIG"; do
  "$B/make_trace" "$WORK/t$n.bin" "$n"
  measure "tape inspect (${n} events) --since $((n - 10)) --limit 10" \
    "$TAPE" inspect "$WORK/t$n.bin" --since $((n - 10)) --limit 10
done
measure "tape stats ($BIG events)" "$TAPE" stats "$WORK/t$BIG.bin"
"$B/make_trace" "$WORK/u$BIG.bin" "$BIG" last
measure "tape diff ($BIG events, differing at the last event)" \
  "$TAPE" diff "$WORK/t$BIG.bin" "$WORK/u$BIG.bin"
"$B/make_trace" "$WORK/v$BIG.bin" "$BIG" three
measure "tape diff --all ($BIG events, differing in 3 places)" \
  "$TAPE" diff "$WORK/t$BIG.bin" "$WORK/v$BIG.bin" --all
measure "tape verify ($BIG events)" "$TAPE" verify "$WORK/t$BIG.bin"
echo "trace of $BIG events: $(stat -c %s "$WORK/t$BIG.bin") bytes"
rm -f "$WORK"/t*.bin "$WORK"/u*.bin "$WORK"/v*.bin
echo

echo "## finding and exporting in a long recording (make_trace text: an hour of a service's log, $BIG events)"
echo "| command | wall | peak RSS |"
echo "|---|---|---|"
S="$WORK/s$BIG.bin"
"$B/make_trace" "$S" "$BIG" text
# The payload bytes --grep reads: every args and result heap (clock readings
# are int-coded, not text, and not searched).
payload=$("$TAPE" stats "$S" --json | python3 -c 'import json,sys
k = json.load(sys.stdin)["kinds"]
print(sum(v["args_bytes"] + (0 if n == "clock.now" else v["result_bytes"]) for n, v in k.items()))')
throughput() {  # the last measure's payload rate
  awk "BEGIN{printf \"   (%.0f MB of payload searched: %.0f MB/s)\\n\", $payload / 1e6, $payload / 1e6 / ($LAST_NS / 1e9)}"
}
measure "tape inspect --from -1s --limit 10 (near the end)" "$TAPE" inspect "$S" --from -1s --limit 10
measure "tape inspect --from 16:59:59 --to 17:00 --filter io.write --limit 10" \
  "$TAPE" inspect "$S" --from 16:59:59 --to 17:00 --filter io.write --limit 10
measure "tape inspect --grep 'upstream timed out' (whole trace)" "$TAPE" inspect "$S" --grep "upstream timed out"
throughput
measure "tape inspect --grep-re 'ERROR: .* timed out' (whole trace)" \
  "$TAPE" inspect "$S" --grep-re "ERROR: .* timed out"
throughput
measure "tape inspect --filter io.write --last 10" "$TAPE" inspect "$S" --filter io.write --last 10
for format in chrome perfetto csv jsonl; do
  measure "tape export --format $format --from +30m --to +31m" \
    "$TAPE" export "$S" --format "$format" --from +30m --to +31m --out "$WORK/x.$format"
  echo "   ($(stat -c %s "$WORK/x.$format") bytes)"
  rm -f "$WORK/x.$format"
done
measure "tape export --format perfetto --from +30m --to +40m (10x the range: same RSS)" \
  "$TAPE" export "$S" --format perfetto --from +30m --to +40m --out "$WORK/x.pftrace"
echo "   ($(stat -c %s "$WORK/x.pftrace") bytes)"
rm -f "$S" "$WORK/x.pftrace"
echo

if [ "${HUGE:-0}" = 1 ]; then
  echo "## one billion events"
  measure "tape bench --events 1000000000 --effect clock --out FILE" \
    "$TAPE" bench --events 1000000000 --effect clock --out "$WORK/huge.bin"
  cat "$WORK/out"
  echo "trace: $(stat -c %s "$WORK/huge.bin") bytes"
  rm -f "$WORK/huge.bin"
  echo
fi

echo "## a program not written for tape: clock_gettime bare and through the interposer (5 runs each)"
# tests/preload/probe.c reads CLOCK_MONOTONIC N times and prints its own
# thread's CPU time per read: the overhead the program sees (the trace
# writer's compression runs on a thread of its own).
PROBE=build/release/tests/interposer_probe
N=${PROBE_CALLS:-20000000}
if [ -x "$PROBE" ]; then
  for run in 1 2 3 4 5; do
    bare=$("$PROBE" loop "$N" 2>&1 >/dev/null)
    recorded=$("$TAPE" record --out "$WORK/probe.bin" -- "$PROBE" loop "$N" 2>&1 >/dev/null)
    size=$(stat -c %s "$WORK/probe.bin")
    echo "bare $bare, recorded $recorded, trace $(awk "BEGIN{printf \"%.2f\", $size / $N}") B/event"
  done
  rm -f "$WORK/probe.bin"
else
  echo "(no $PROBE: this build has no interposer)"
fi
echo

echo "## tape hunt throughput (flaky, 300 runs, none of which counts as a failure; 3 hunts each)"
for jobs in 1 2; do
  for run in 1 2 3; do
    "$TAPE" hunt flaky --runs 300 --jobs "$jobs" --until exit==255 --keep "$WORK/hunt" | head -n 1
  done
done
echo

echo "## the script debugger (bench/debug_bench.sh)"
WORK="$WORK/debug" bash bench/debug_bench.sh "$EVENTS" "$BIG"
echo

echo "## Google Benchmark suites (Debian's libbenchmark is a DEBUG build; numbers are still usable)"
for suite in format_bench engine_bench effects_bench; do
  "$B/$suite" --benchmark_min_time=0.2 2>&1 | grep -E "^BM_|^-|^Benchmark"
done
for suite in "$B"/lang/*_bench; do
  [ -x "$suite" ] && "$suite" --benchmark_min_time=0.2 2>&1 | grep -E "^BM_|^-|^Benchmark"
done
