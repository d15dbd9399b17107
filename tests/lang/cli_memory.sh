# The memory budget holds against the real allocator: under a 2 GB address
# space limit, a script that fills memory with empty maps (which once were
# charged nothing) stops with the budget's "out of memory" at 1 GiB, not with
# the C++ runtime's bad_alloc; fs.read of /dev/zero ends at its bound. (Not
# under a sanitizer: it needs far more address space than the limit.)
. "$TAPE_SOURCE_DIR/tests/cli/lib.sh"

cat > fill.tape <<'TAPE'
let all = [];
while true {
  let l = [];
  for i in 0..100000 { push(l, {}); }
  push(all, l);
}
TAPE
run bash -c "ulimit -v 2000000 && exec \"$TAPE\" run fill.tape --out fill.bin"
expect_code 1
expect_err "runtime error: out of memory: the script's strings, lists and maps would take more than 1024 MiB"
[[ "$ERR" != *"bad_alloc"* ]] || fail "the allocator ran out before the budget"

# fs.read of an endless device stops at the 1 GiB bound (EFBIG, which the
# script sees), far from the address space limit: never a bad_alloc.
printf 'let d = fs.read("/dev/zero");\nprint(d == nil);\nprint(fs.last_error());\n' > zero.tape
run bash -c "ulimit -v 2000000 && exec \"$TAPE\" run zero.tape --out zero.bin"
expect_code 0
expect_out $'true\n27'
[[ "$ERR" != *"bad_alloc"* ]] || fail "fs.read of /dev/zero ran out of memory"

finish
