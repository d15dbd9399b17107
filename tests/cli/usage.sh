# What a new user meets first: a trace named where a program is expected,
# typos, a program that links tape given to the tape command, and where
# recordings go (the default file, and what may be replaced).
. "$(dirname "$0")/lib.sh"
CRASH=${TAPE_CRASH_PROGRAM:?set TAPE_CRASH_PROGRAM to tests/engine/crash_program}
ORIG="$SRC/tests/golden/original"

tape record dice --out dice.bin > /dev/null
tape record dice --out dice2.bin > /dev/null
printf 'print("hi");\n' > hi.tape

# --- A trace where a program or script is expected ---------------------------
run tape run dice.bin
expect_code 2
expect_err "dice.bin is a trace, not a program: replay it with: tape replay --trace dice.bin"
[ "$(printf '%s\n' "$ERR" | wc -l)" -le 2 ] || fail "more than a short message for a trace given to run"
run tape replay dice.bin --trace dice2.bin
expect_code 2
expect_err "dice.bin is a trace, not a program"
expect_err "tape replay --trace dice2.bin"
expect_err "tape diff dice.bin dice2.bin"
run tape rerun dice.bin --trace dice2.bin
expect_code 2
expect_err "dice.bin is a trace, not a program"
run tape hunt dice.bin --runs 1
expect_code 2
expect_err "dice.bin is a trace, not a program"
run tape record dice.bin
expect_code 2
expect_err "dice.bin is a trace, not a program"
# A trace of the original tape (its files are named .tape, like scripts).
cp "$ORIG/flaky-failed.tape" old.tape
run tape run old.tape
expect_code 2
expect_err "old.tape is a trace of the original tape, not a script: tape inspect old.tape lists its events, tape import old.tape --out NEW converts it"
# `tape replay TRACE` still names the trace itself.
run tape replay dice.bin
expect_code 0
expect_out "you rolled"

# --- Typos ---------------------------------------------------------------------
run tape replya dice.bin
expect_code 2
expect_err "unknown command 'replya' (did you mean 'replay'?)"
run tape Inspect dice.bin
expect_err "(did you mean 'inspect'?)"
run tape record dice --output x.bin
expect_code 2
expect_err "unknown option --output (did you mean --out?)"
[ ! -e x.bin ] || fail "a mistyped flag still recorded"
run tape inspect dice.bin --limt 1
expect_code 2
expect_err "unknown option --limt (did you mean --limit?)"
run tape record dicee
expect_code 2
expect_err "unknown program 'dicee' (did you mean 'dice'?)"
run tape zzzz
expect_code 2
expect_err "the commands are: list, record"
run "$CRASH" recrod
expect_code 2
expect_err "unknown command 'recrod' (did you mean 'record'?)"
run "$CRASH" record --otu c.bin
expect_code 2
expect_err "unknown option --otu for 'record' (did you mean --out?)"

# --- A program that links tape, given to the tape command ---------------------
run tape record "$CRASH" --out c.bin -- one two
expect_code 0
expect_err "links the tape library and records itself: running $CRASH record --out c.bin -- one two"
expect_out "before the crash"
run tape inspect c.bin
expect_out "embedded program 'crash'"
run tape replay "$CRASH" --trace c.bin
expect_code 0
expect_err "running $CRASH replay --trace c.bin"
expect_out "before the crash"
run tape rerun "$CRASH" --trace c.bin
expect_code 0
expect_err "crash_program rerun: outputs: 1 same"
TAPE_TEST_MODE=flaky run tape hunt "$CRASH" --runs 40 --jobs 1 --keep kept
expect_code 0
expect_err "running $CRASH hunt --runs 40"
expect_out "kept kept/crash-run"
# Any other executable is not run.
run tape record /bin/true
expect_code 2
expect_err "/bin/true is an executable that does not link the tape library"

# --- Where recordings go -------------------------------------------------------
# No --out: the default file, and the command says so.
run tape run hi.tape
expect_code 0
expect_err "recorded to trace.bin (the default; --out FILE chooses another)"
[ -s trace.bin ] || fail "no trace.bin"
# Replay and rerun read the same default, as a program that links tape does.
run tape replay
expect_code 0
expect_out "hi"
expect_err "replaying trace.bin (the default; --trace FILE chooses another)"
run tape replay hi.tape
expect_code 0
expect_out "hi"
# The same program recorded again replaces its own trace...
run tape run hi.tape --out hi.bin
run tape run hi.tape --out hi.bin
expect_code 0
# ...but a trace of another program is kept, unless --force.
cp dice.bin precious.bin
run tape run hi.tape --out precious.bin
expect_code 2
expect_err "refusing to replace precious.bin: it is a trace of builtin program 'dice', and this is a trace of script program 'hi.tape' (use --force to replace it, or choose another file)"
expect_same dice.bin precious.bin
run tape record counter --out precious.bin
expect_code 2
expect_same dice.bin precious.bin
run tape run hi.tape --out precious.bin --force
expect_code 0
run tape inspect precious.bin
expect_out "script program 'hi.tape'"
# The same rule for a program that links tape, and for the other verbs
# that write traces.
cp dice.bin precious.bin
run "$CRASH" record --out precious.bin
expect_code 2
expect_err "refusing to replace precious.bin: it is a trace of builtin program 'dice'"
expect_same dice.bin precious.bin
run tape recover c.bin --out precious.bin
expect_code 2
expect_same dice.bin precious.bin
run tape redact c.bin --out precious.bin --kind args.get
expect_code 2
expect_same dice.bin precious.bin
run tape redact dice2.bin --out precious.bin --kind random.bits
expect_code 0
run tape import old.tape --out precious.bin
expect_code 2
run tape import old.tape --out precious.bin --force
expect_code 0
# Without a trace.bin here, replay says what it needs.
mkdir empty && cd empty
run tape replay
expect_code 2
expect_err "nothing to replay: no --trace FILE given, and no trace.bin (the default) here"
run "$CRASH" replay
expect_code 2
expect_err "nothing to replay: no --trace FILE given, and no trace.bin (the default) here"
run "$CRASH" record
expect_code 0
expect_err "recorded to trace.bin (the default; --out FILE chooses another)"
run "$CRASH" replay
expect_code 0
expect_err "replaying trace.bin (the default; --trace FILE chooses another)"
cd ..
# An export replaces an earlier export, in any format, and nothing else.
for f in chrome perfetto csv jsonl; do
  run tape export dice.bin --format "$f" --out "e.$f"
  expect_code 0
  run tape export dice.bin --format "$f" --out "e.$f"
  expect_code 0
done
run tape export dice.bin --format csv --out e.chrome
expect_code 0
run tape export dice.bin --format csv --out hi.tape
expect_code 2
expect_err "refusing to replace hi.tape: it exists and is not an earlier export"
run tape export dice.bin --format csv --out dice2.bin
expect_code 2
expect_err "(it is a tape trace)"

# --- Reading what is not a (whole) trace ---------------------------------------
# Not a trace at all: exit 81 from verify as from inspect (not "NOT SOUND").
run tape verify hi.tape
expect_code 81
expect_err "hi.tape: not a tape trace"
run tape inspect hi.tape
expect_code 81
run tape verify old.tape
expect_code 81
expect_err "it is a trace of the original tape"
# A script's trace cut inside its header (the header holds the script).
printf '%s\n' "let s = \"$(head -c 1500 /dev/zero | tr '\0' x)\";" 'print(len(s));' > long.tape
tape run long.tape --out long.bin > /dev/null
head -c 1000 long.bin > cut.bin
for verb in inspect stats recover; do
  run tape $verb cut.bin --out fixed.bin
  [ $verb = recover ] || run tape $verb cut.bin
  expect_code 81
  expect_err "cut.bin: the file ends at byte 1000, inside its header"
  expect_err "it holds no events, and tape recover has none to keep"
done
run tape verify cut.bin
expect_code 1
expect_out "the file ends at byte 1000, inside its header"
# A trace cut after its first chunk: inspect says how to keep what it holds.
size=$(stat -c %s dice.bin)
head -c $((size - 200)) dice.bin > torn.bin
run tape inspect torn.bin
expect_code 0
expect_out "note: if its recording was interrupted, tape recover torn.bin --out FIXED writes a finished trace of every readable event"
# An outcome of several lines (a script's runtime error) reads as lines, not
# as \n escapes.
printf 'let x = 1;\nlet y = x / 0;\n' > bad.tape
tape run bad.tape --out bad.bin 2> /dev/null
run tape inspect bad.bin
expect_out "the program was stopped by an error: bad.tape:2:11: runtime error: division by zero
    let y = x / 0;
              ^"
expect_no_out '\n'
run tape stats bad.bin
expect_out "outcome:   the program was stopped by an error: bad.tape:2:11: runtime error: division by zero
           let y = x / 0;"
run tape verify bad.bin
expect_out "  outcome:   the program was stopped by an error: bad.tape:2:11: runtime error: division by zero
             let y = x / 0;"
printf 'let x = 1;\nlet y = x / 1;\n' > bad.tape
tape run bad.tape --out good.bin
run tape diff bad.bin good.bin
expect_out "bad.bin   was stopped by an error: bad.tape:2:11: runtime error: division by zero
            let y = x / 0;"

# --- The original tape's site notations; cut payloads; sizes -------------------
cp "$ORIG/flaky-failed.tape" ff.tape
for site in 0x628b0bb4 0X628B0BB4 1653279668 628b0bb4 00000000628b0bb4 0000000062; do
  run tape inspect ff.tape --site "$site"
  expect_code 0
  expect_out "random.bits(1) -> 1 bytes 01"
  expect_no_out "io.write"
done
run tape inspect ff.tape --site 0x99
expect_code 2
expect_err "--site 0x99: no site of this trace has an id starting with 99, nor that id as a number"
run tape export ff.tape --format jsonl --out - --site 1653279668
expect_code 0
expect_out '"kind":"random.bits"'
run tape redact ff.tape --out ffr.bin --site 1653279668
expect_code 0
expect_out "1 of 2 events redacted"
run tape redact ff.tape --out ffr.bin --site 1234 --force
expect_code 2
expect_err "--site 1234: neither a site id of this trace nor the location of one"
# stats gives the size of the file, not of its conversion.
run tape stats ff.tape
expect_out "size:      $(stat -c %s ff.tape) B"
run tape stats ff.tape --json
expect_out "\"file_bytes\":$(stat -c %s ff.tape),"
# random.bits results are cut and marked like every other payload.
printf 'let r = random.bits(5000);\n' > bits.tape
tape run bits.tape --out bits.bin
run tape export bits.bin --format jsonl --out -
expect_out '"result":{"truncated":true,"prefix":{"hex":"'
run tape export bits.bin --format jsonl --out - --max-payload 8000
expect_out '"result":{"hex":"'
expect_no_out 'truncated'
run tape inspect bits.bin --json
expect_no_out 'truncated'

finish
