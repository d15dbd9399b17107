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

finish
