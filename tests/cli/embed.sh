# A user's own C++ program built against the installed tape package
# (examples/embed), recorded and replayed through the library.
. "$(dirname "$0")/lib.sh"
BUILD=${TAPE_BUILD_DIR:?set TAPE_BUILD_DIR to the build directory}

run cmake --install "$BUILD" --prefix "$WORK/prefix"
expect_code 0
[ -f "$WORK/prefix/include/tape/runtime.h" ] || fail "public headers not installed"
[ -f "$WORK/prefix/lib/cmake/tape/tapeConfig.cmake" ] || fail "CMake package not installed"
run cmake -S "$SRC/examples/embed" -B "$WORK/embed" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release
expect_code 0
run cmake --build "$WORK/embed"
expect_code 0
fortune="$WORK/embed/fortune"

USER=ada run "$fortune" record --out f.bin -- saved.txt
expect_code 0
expect_out "ada, your fortune at "
recorded=$OUT
[ "$(cat saved.txt)" = "$recorded" ] || fail "fs.write did not write the file while recording"
rm saved.txt
USER=grace run "$fortune" replay --trace f.bin
expect_code 0
[ "$OUT" = "$recorded" ] || fail "replay output differs"
[ ! -e saved.txt ] || fail "replay wrote to the disk"

# The tape CLI reads the embedded program's trace, but cannot replay it itself.
run tape inspect f.bin
expect_out "embedded program 'fortune'"
expect_out "main.cc:"
run tape replay --trace f.bin
expect_code 2
expect_err "embedded program 'fortune'"

# Usage errors and a trace of another program.
run "$fortune" replay --trace
expect_code 2
run "$fortune" bogus
expect_code 2
tape record dice --out dice.bin > /dev/null
run "$fortune" replay --trace dice.bin
expect_code 80
expect_err "ProgramMismatch"

finish
