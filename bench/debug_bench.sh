#!/usr/bin/env bash
# The script debugger's targets (README, Performance; specs/debugger.md §5):
#   - replay under `tape debug` with breakpoints set but not hit vs plain
#     `tape replay` of the same trace (target: at most 1.5x);
#   - `goto seq N` and `reverse-step` anywhere in a 10M-event and a
#     100M-event script trace, once the replay has been through it (targets:
#     1 s and 2 s), with the snapshots' memory (default budget 64 MiB), for
#     a loop with almost no values and for one that holds about 12 MB.
# Usage: bench/debug_bench.sh [EVENTS...]   (default: 10000000 100000000)
#   WORK=DIR keeps the traces there (recording 100M events takes a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
TAPE=$PWD/build/release/tools/tape
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000000 100000000)

cat > "$WORK/loop.tape" <<'EOF'
# One clock.now per iteration, and a little arithmetic on it.
fn never(x) {
  return x * 2;
}

let n = int(args.get()[0]);
let total = 0;
for i in 0..n {
  let t = clock.now();
  total += t % 7;
}
print(total);
EOF
# The same loop holding about 12 MB of values: each snapshot copies them, so
# the budget holds a few and thinning spreads them out.
cat > "$WORK/heap.tape" <<'EOF'
let n = int(args.get()[0]);
let keep = [];
for i in 0..100000 {
  push(keep, "item number " + str(i));
}
let total = 0;
for i in 0..n {
  let t = clock.now();
  total += t % 7 + len(keep[i % 100000]);
}
print(total);
EOF
cd "$WORK"

# user CPU seconds and wall seconds of a command (its output discarded)
cpu() { /usr/bin/time -f "%U %e" -o time.txt "$@" > /dev/null 2>&1 || true; tail -n 1 time.txt; }

# Moves after one pass to the end; each JSON reply carries elapsed_ms.
moves() {
  local script=$1 trace=$2 n=$3
  {
    echo continue
    for pct in 10 50 90 99; do
      echo "goto seq $(( (n + 2) * pct / 100 ))"
      echo "reverse-step"
      echo "reverse-next"
      echo "step"
    done
    echo "goto seq 1"
    echo "goto seq $n"
    echo "reverse-continue"
    echo "info snapshots"
  } > moves.cmds
  "$TAPE" debug "$script" --trace "$trace" --json -x moves.cmds > moves.json
  python3 - moves.json <<'EOF'
import json, sys
print("| command | wall ms | CPU ms | stopped at |")
print("|---|---|---|---|")
for line in open(sys.argv[1]):
    j = json.loads(line)
    if "command" not in j or not j["command"]:
        continue
    if "snapshots" in j:
        s = j["snapshots"]
        print("snapshots: %d, %.1f MB of %.0f MB" % (s["count"], s["bytes"] / 1e6, s["budget"] / 1e6))
        continue
    stop = j.get("stop", {})
    print("| %s | %.1f | %.1f | seq %s, line %s (%s) |" % (j["command"], j["elapsed_ms"],
          j["cpu_ms"], stop.get("seq"), stop.get("line"), stop.get("reason")))
EOF
}

echo "## machine"
echo "$(nproc) cores, $(awk '/model name/{$1=$2=$3="";print;exit}' /proc/cpuinfo | sed 's/^ *//'),"\
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${SIZES[@]}"; do
  trace=loop$n.bin
  [ -f "$trace" ] || "$TAPE" run loop.tape --out "$trace" -- "$n" > /dev/null
  echo
  echo "## $n iterations ($((n + 2)) events, $(stat -c %s "$trace") bytes)"
  # A line that never runs; a seq breakpoint at the last event, which
  # makes every effect call compare its seq; a condition on the hot line.
  printf 'break 3\ncontinue\n' > not_hit.cmds
  printf 'break seq %d\ncontinue\n' $((n + 1)) > seq.cmds
  printf 'break 10 if t < 0\ncontinue\n' > cond.cmds
  echo "| run | user s | wall s |"
  echo "|---|---|---|"
  for run in 1 2 3; do
    read -r u w < <(cpu "$TAPE" replay loop.tape --trace "$trace")
    echo "| tape replay | $u | $w |"
    read -r u w < <(cpu "$TAPE" debug loop.tape --trace "$trace" -x not_hit.cmds)
    echo "| tape debug, breakpoints set, not hit | $u | $w |"
  done
  read -r u w < <(cpu "$TAPE" debug loop.tape --trace "$trace" -x seq.cmds)
  echo "| tape debug, break seq at the last event | $u | $w |"
  read -r u w < <(cpu "$TAPE" debug loop.tape --trace "$trace" -x cond.cmds)
  echo "| tape debug, a condition evaluated every iteration (never true) | $u | $w |"
  echo
  moves loop.tape "$trace" "$n"

  htrace=heap$n.bin
  [ -f "$htrace" ] || "$TAPE" run heap.tape --out "$htrace" -- "$n" > /dev/null
  echo
  echo "### the same loop holding 12 MB of values (heap.tape)"
  moves heap.tape "$htrace" "$n"
done
