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

# rerun through tape::Main: the same program on the recorded inputs.
USER=grace run "$fortune" rerun --trace f.bin
expect_code 0
[ "$OUT" = "$recorded" ] || fail "rerun output differs"
expect_err "fortune rerun: outputs: 2 same, 0 changed, 0 added, 0 removed"
[ ! -e saved.txt ] || fail "rerun wrote to the disk"

# test through tape::Main: its own traces pass; another program's trace is
# an error of that trace, and the run goes on.
mkdir kept && cp f.bin kept/f.bin
tape record dice --out kept/dice.bin > /dev/null 2>&1
run "$fortune" test kept --junit report.xml
expect_code 1
expect_out "ERROR  kept/dice.bin: a trace of builtin program 'dice', not of fortune"
expect_out "PASS   kept/f.bin"
expect_out "1 passed, 0 failed, 1 error"
grep -q 'errors="1"' report.xml || fail "fortune test --junit: no error counted"
run "$fortune" test kept/f.bin --json
expect_code 0
expect_out '"result":"passed"'
run "$fortune" test
expect_code 2
# tape test does not run a C++ program's trace: it says which program does.
run tape test kept/f.bin
expect_code 1
expect_out "fortune test kept/f.bin"
# rerun --json through tape::Main: the report alone on stdout.
USER=grace run "$fortune" rerun --trace f.bin --json --exit-code
expect_code 0
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert not d["changed"] and d["outputs"]["same"]==2, d' "$OUT" ||
  fail "fortune rerun --json is not the report"

# The tape CLI reads the embedded program's trace, but cannot replay it itself.
run tape inspect f.bin
expect_out "embedded program 'fortune'"
expect_out "main.cc:"
run tape replay --trace f.bin
expect_code 2
expect_err "embedded program 'fortune'"

# The README's embedding example, verbatim: its C++ and CMake blocks built as
# a project that sets no C++ standard of its own (tape::tape brings C++20).
readme_block() {  # the fenced block of language $1 that contains text $2
  awk -v lang="$1" -v text="$2" '
    $0 == "```" lang { inside = 1; block = ""; next }
    $0 == "```" && inside { inside = 0; if (index(block, text)) { printf "%s", block; exit } }
    inside { block = block $0 "\n" }' "$SRC/README.md"
}
mkdir -p readme_app
readme_block cpp "tape::Main(argc, argv" > readme_app/main.cc
{ echo "cmake_minimum_required(VERSION 3.25)"; echo "project(myapp LANGUAGES CXX)"
  readme_block cmake "tape_program(myapp)"; } > readme_app/CMakeLists.txt
[ -s readme_app/main.cc ] && grep -q tape_program readme_app/CMakeLists.txt ||
  fail "README's embedding example not found"
run cmake -S readme_app -B readme_build -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release
expect_code 0
run cmake --build readme_build
expect_code 0
USER=ada run readme_build/myapp record --out readme.bin -- some args
expect_code 0
expect_out "ada at "
recorded=$OUT
USER=grace run readme_build/myapp replay --trace readme.bin
expect_code 0
[ "$OUT" = "$recorded" ] || fail "the README example's replay differs"

# Record-time redaction takes the same flags as tape record (and the
# installed package brings RE2 for them).
USER=ada_lovelace_1815 run "$fortune" record --out secret.bin --redact-match 'ada_[a-z0-9_]+' -- saved.txt
expect_code 0
expect_out "ada_lovelace_1815, your fortune at "
grep -q ada_lovelace_1815 saved.txt || fail "the program did not get the value"
run tape export secret.bin --format jsonl --out secret.jsonl
expect_code 0
grep -q ada_lovelace_1815 secret.jsonl && fail "the value is in secret.bin's events"
run tape inspect secret.bin
expect_out "redacted: record --redact-match: 1 pattern, not recorded"
expect_out '"[redacted #1]" [result redacted]'
expect_no_out "ada_lovelace_1815"
run "$fortune" record --out x.bin --redact-match 'x*'
expect_code 2
expect_err "--redact-match 'x*': it matches the empty text"
run "$fortune" record --out x.bin --redact-header ''
expect_code 2
expect_err "--redact-header: the name is empty"
[ ! -e x.bin ] || fail "a refused recording wrote x.bin"

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
