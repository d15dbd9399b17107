# Code hashes are computed from sources at build time: editing a program's
# source changes its hash (so old traces fail with CodeHashMismatch); a
# rebuild without edits keeps it.
. "$(dirname "$0")/lib.sh"
script="$SRC/cmake/tape_hash_sources.cmake"

printf 'int Main() { return 1; }\n' > prog.cc
cmake -DOUT=h1.cc -DMODE=builtins "-DENTRIES=prog=$WORK/prog.cc" -P "$script"
cmake -DOUT=h2.cc -DMODE=builtins "-DENTRIES=prog=$WORK/prog.cc" -P "$script"
expect_same h1.cc h2.cc
grep -q 'if (program == "prog") return std::string("' h1.cc || fail "no hash for prog in h1.cc"
printf 'int Main() { return 2; }\n' > prog.cc
cmake -DOUT=h3.cc -DMODE=builtins "-DENTRIES=prog=$WORK/prog.cc" -P "$script"
cmp -s h1.cc h3.cc && fail "editing the source did not change the hash"

# Several files (embedded programs): every file counts.
printf 'a\n' > a.cc
printf 'b\n' > b.cc
cmake -DOUT=e1.h -DMODE=header "-DFILES=$WORK/a.cc|$WORK/b.cc" -P "$script"
printf 'b2\n' > b.cc
cmake -DOUT=e2.h -DMODE=header "-DFILES=$WORK/a.cc|$WORK/b.cc" -P "$script"
grep -q '#define TAPE_CODE_HASH std::string("' e1.h || fail "no TAPE_CODE_HASH"
cmp -s e1.h e2.h && fail "editing the second file did not change the hash"

finish
