#!/usr/bin/env bash
# make stress-test: the default suite (ctest --preset release) ROUNDS times
# (default 3), with 2 x nproc busy loops competing for the CPUs. It must pass
# as it does on an idle machine: a test that waits for a sleep instead of
# for readiness, or bounds a duration from above, fails here. Tests take
# several times longer, so the per-test timeout is raised (STRESS_TIMEOUT,
# default 3000 s); a test that hangs still ends.
set -u
cd "$(dirname "$0")/.."
rounds=${1:-3}
loops=$((2 * $(nproc)))
timeout=${STRESS_TIMEOUT:-3000}

pids=()
stop_loops() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2> /dev/null; }
trap stop_loops EXIT
for _ in $(seq "$loops"); do
  (while :; do :; done) &
  pids+=($!)
done

echo "stress: $loops busy loops beside the default suite, $rounds rounds"
failed=0
for round in $(seq "$rounds"); do
  echo "stress: round $round of $rounds"
  start=$SECONDS
  if ctest --preset release --timeout "$timeout"; then
    echo "stress: round $round passed in $((SECONDS - start)) s"
  else
    echo "stress: round $round FAILED after $((SECONDS - start)) s"
    failed=$((failed + 1))
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "stress: $failed of $rounds rounds failed"
  exit 1
fi
echo "stress: all $rounds rounds passed"
