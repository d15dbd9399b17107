#!/usr/bin/env bash
# Runs the fuzz targets: first every input under regressions/ (each once),
# then each target for SECONDS from its seed corpus. Exits non-zero on the
# first crash, leak or timeout; the failing input is kept in build/fuzz/findings/.
# FUZZ_NAMES lists the targets (without _fuzz); the Makefile passes its FUZZ_TARGETS.
set -euo pipefail
bin=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
findings=$(pwd)/build/fuzz/findings
mkdir -p "$findings"
for target in ${FUZZ_NAMES:-trace_reader script original_trace}; do
  exe="$bin/${target}_fuzz"
  corpus="$here/corpus/$target"
  regressions="$here/regressions/$target"
  opts=(-rss_limit_mb=2048 -timeout=10 "-artifact_prefix=$findings/$target-")
  if compgen -G "$regressions/*" > /dev/null; then
    "$exe" "${opts[@]}" "$regressions"/* > "$findings/$target-regressions.log" 2>&1 || {
      echo "fuzz: $target regressions failed; see $findings/$target-regressions.log"
      tail -20 "$findings/$target-regressions.log"
      exit 1
    }
  fi
  scratch=$(mktemp -d)
  echo "fuzz: $target for ${seconds}s"
  "$exe" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 "$scratch" "$corpus" \
    > "$findings/$target.log" 2>&1 || {
    echo "fuzz: $target found a problem; see $findings/$target.log"
    tail -30 "$findings/$target.log"
    rm -rf "$scratch"
    exit 1
  }
  grep -E "stat::number_of_executed_units" "$findings/$target.log" | sed "s/^/fuzz: $target /"
  rm -rf "$scratch"
done
