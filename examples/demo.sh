#!/usr/bin/env bash
# The rationale demo (what `make demo` runs): record the flaky program until a
# run fails (one run in 32 does), then replay that failure, byte for byte.
set -u
TAPE=${1:-tape}
out=build/demo
mkdir -p "$out"
trace=$out/flaky.bin

echo "\$ tape record flaky --out $trace      # again and again, until a run fails"
code=0
for run in $(seq 1 400); do
  line=$("$TAPE" record flaky --out "$trace" 2>/dev/null)
  code=$?
  if [ $code -ne 0 ] || [ "$run" -le 3 ]; then echo "$line"; fi
  [ "$run" -eq 4 ] && [ $code -eq 0 ] && echo "... (recording again until a run fails)"
  [ $code -ne 0 ] && break
done
if [ $code -ne 1 ]; then
  echo "demo: flaky did not fail in 400 runs (exit $code); that is very unlikely, try again" >&2
  exit 1
fi
echo "(run $run failed with exit code $code)"
echo
for i in 1 2; do
  echo "\$ tape replay flaky --trace $trace"
  "$TAPE" replay flaky --trace "$trace"
  echo "(exit code $?: the same failure, every time)"
done
echo
echo "\$ tape inspect $trace"
"$TAPE" inspect "$trace"
echo
echo "The trace stays in $trace: attach it to a bug report; anyone can replay it."
