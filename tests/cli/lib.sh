# Assertions for the CLI tests. Each test script sources this, runs `tape`
# commands with `run`, and checks exit codes and output.
#   run CMD...          runs CMD; sets CODE, OUT (stdout) and ERR (stderr)
#   expect_code N       the exit code was N
#   expect_out TEXT     stdout contains TEXT      (expect_no_out: does not)
#   expect_err TEXT     stderr contains TEXT
#   expect_same A B     files A and B are byte-identical
#   finish              exits non-zero if any expectation failed
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
  echo "FAIL (line ${BASH_LINENO[1]}): $*"
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

finish() {
  if [ "$FAILURES" -ne 0 ]; then
    echo "$FAILURES expectation(s) failed"
    exit 1
  fi
  echo "all expectations met"
}
