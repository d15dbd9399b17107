# A write error while recording (file size limit): a clear error naming the
# file and errno; the trace stays valid up to the last good chunk; no hang.
. "$(dirname "$0")/lib.sh"


(ulimit -f 2048 && exec "$TAPE" bench --events 20000000 --effect random --out big.bin) \
  > bench.out 2> bench.err
CODE=$?
LAST="tape bench under ulimit -f 2048"
ERR=$(cat bench.err)
expect_code 81
expect_err "cannot write trace big.bin"
expect_err "File too large (errno 27)"
run tape verify big.bin
expect_code 1
expect_out "finalized: no"
expect_no_out "checksum mismatch"
run tape stats big.bin
expect_code 0
expect_out "random.bits"

# The disk fills up in the middle of a recording: a 4 MiB tmpfs of the
# test's own, in a private mount namespace (it goes away with the test).
# The recording stops with a write error (exit 81) naming ENOSPC, and the
# trace keeps every chunk written before the disk was full.
cat > fill.tape <<'T'
for i in 0..1000 { random.bits(100000); }
T
mkdir full
if unshare -m --propagation private true 2> /dev/null &&
  unshare -m --propagation private sh -c 'mount -t tmpfs -o size=4m tmpfs "$1"' sh full 2> /dev/null; then
  unshare -m --propagation private bash -c '
    mount -t tmpfs -o size=4m tmpfs full || exit 99
    cd full
    "$1" run ../fill.tape --out t.bin > ../full.out 2> ../full.err
    echo $? > ../full.code
    "$1" verify t.bin > ../full.verify 2>&1
    echo $? > ../full.verify.code
  ' bash "$TAPE"
  CODE=$(cat full.code); ERR=$(cat full.err); LAST="tape run, filling a 4 MiB file system"
  expect_code 81
  expect_err "cannot write trace t.bin"
  expect_err "No space left on device (errno 28)"
  CODE=$(cat full.verify.code); OUT=$(cat full.verify); LAST="tape verify of the trace of a full disk"
  expect_code 1
  expect_out "finalized: no"
  expect_no_out "checksum mismatch"
  events=$(printf '%s\n' "$OUT" | sed -n 's/^  events: *\([0-9]*\) in.*/\1/p')
  [ "${events:-0}" -gt 0 ] || fail "the trace of a full disk kept no events"
else
  echo "SKIP: disk full: no permission to mount a tmpfs in a mount namespace (unshare -m) here"
fi

finish
