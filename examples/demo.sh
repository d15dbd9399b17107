#!/usr/bin/env bash
# The rationale demo (what `make demo` runs): hunt for a failing run of the
# flaky program (one run in 32 fails), then replay that failure, byte for byte.
set -u
TAPE=${1:-tape}
out=build/demo
mkdir -p "$out"
rm -f "$out"/flaky-run*.bin  # the traces of earlier demos

echo "\$ tape hunt flaky --keep $out      # record it again and again until a run fails"
"$TAPE" hunt flaky --keep "$out"
code=$?
if [ $code -ne 0 ]; then
  echo "demo: no run of flaky failed (tape hunt exited $code); that is very unlikely, try again" >&2
  exit 1
fi
trace=$(ls "$out"/flaky-run*.bin | head -n 1)
echo
for i in 1 2; do
  echo "\$ tape replay $trace; echo \"exit code \$?\""
  "$TAPE" replay "$trace"
  echo "exit code $?"
done
echo
echo "\$ tape inspect $trace"
"$TAPE" inspect "$trace"
echo
echo "The trace stays in $trace: attach it to a bug report; anyone can replay it."
