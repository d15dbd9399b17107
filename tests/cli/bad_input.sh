# Bad flags, values and files: a clear one-line error and the documented exit
# code; never a crash, never a silent default, never a destroyed file.
. "$(dirname "$0")/lib.sh"

run tape
expect_code 2
# What was given is named: an unknown command, a misspelt one, an option.
run tape frobnicate
expect_code 2
expect_err "unknown command 'frobnicate'; the commands are: list, record, run"
run tape Record dice
expect_code 2
expect_err "unknown command 'Record' (did you mean 'record'?)"
run tape --bogus
expect_code 2
expect_err "unknown option '--bogus'"
run tape replay --help
expect_out "Trace file to replay (default: trace.bin"

# The README's command summary names every verb and every flag --help lists.
summary=$(awk '/^## The `tape` command/ { p = 1 } /^Results go to stdout/ { p = 0 } p' "$SRC/README.md")
verbs=$(tape --help | awk '/^Subcommands:/ { p = 1; next } p && !NF { exit } p { print $1 }')
[ -n "$summary" ] && [ -n "$verbs" ] || fail "no command summary or no verbs found"
for verb in $verbs; do
  [[ "$summary" == *"tape $verb "* ]] || fail "the README's command summary lacks tape $verb"
  for flag in $(tape "$verb" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    [ "$flag" = --help ] || [[ "$summary" == *"$flag"* ]] ||
      fail "the README's command summary lacks tape $verb $flag"
  done
done
run tape --version
expect_code 0
expect_out "tape 0."
run tape inspect --help
expect_code 0
expect_out "--since"

run tape record nosuch
expect_code 2
expect_err "unknown program 'nosuch'"
expect_err "dice"
run tape record hello.tape
expect_code 2
expect_err "tape run hello.tape"

run tape bench --events abc
expect_code 2
expect_err "--events: 'abc' is not a whole number (expected 1 to 10000000000)"
run tape bench --events 0
expect_code 2
run tape bench --events -5
expect_code 2
run tape bench --effect teleport
expect_code 2
expect_err "teleport"
run tape record dice --flush-ms 0
expect_code 2
run tape inspect
expect_code 2

# --out refuses to overwrite a file that is not a trace.
echo "precious notes" > notes.txt
run tape record dice --out notes.txt
expect_code 2
expect_err "refusing to overwrite notes.txt"
[ "$(cat notes.txt)" = "precious notes" ] || fail "notes.txt was modified"
run tape bench --events 10 --out notes.txt
expect_code 2
expect_err "refusing to overwrite notes.txt"
run tape recover missing.bin --out notes.txt
expect_code 2
expect_err "refusing to overwrite notes.txt"
[ "$(cat notes.txt)" = "precious notes" ] || fail "notes.txt was modified"
run tape record dice --out notes.txt --force
expect_code 0
run tape inspect notes.txt
expect_code 0
mkdir adir
run tape record dice --out adir
expect_code 2
expect_err "is a directory"
run tape record dice --out /nonexistent-dir/x.bin
expect_code 81
expect_err "/nonexistent-dir/x.bin"

# Reading tools on things that are not traces.
: > empty.bin
printf 'print("hi");\n' > script.tape
head -c 4096 /dev/urandom > random.bin
for verb in inspect stats verify; do
  run tape "$verb" missing.bin
  expect_code 81
  expect_err "missing.bin"
  run tape "$verb" adir
  expect_code 81
  expect_err "is a directory"
done
for f in empty.bin script.tape random.bin; do
  for verb in inspect stats; do
    run tape "$verb" "$f"
    expect_code 81
    expect_one_line_err
    expect_err "$f"
  done
  run tape replay dice --trace "$f"
  expect_code 81
  expect_err "not a tape trace"
  run tape diff "$f" "$f"
  expect_code 81
done
run tape replay --trace empty.bin
expect_err "empty"
run tape replay dice
expect_code 2
expect_err "--trace"

# Values that make no sense for the trace at hand.
tape record dice --out dice.bin > /dev/null
run tape inspect dice.bin --filter teleport
expect_code 2
expect_err "not an effect"
run tape inspect dice.bin --site xyz
expect_code 2
expect_err "hex"
run tape inspect dice.bin --since 99
expect_code 2
expect_err "the trace has 3 events"
run tape inspect dice.bin --limit 0
expect_code 2
expect_err "--limit: 0 is out of range (expected 1 to 18446744073709551615)"
[ "${#ERR}" -lt 200 ] || fail "the range is not stated in a few digits"

run tape recover dice.bin --out dice.bin
expect_code 2
expect_err "not the damaged trace itself"
run tape recover missing.bin --out fixed.bin
expect_code 81
expect_err "missing.bin"

# A future format version is UnsupportedSchema.
cp dice.bin future.bin
printf '\x09' | dd of=future.bin bs=1 seek=8 conv=notrunc 2>/dev/null
run tape replay dice --trace future.bin
expect_code 80
expect_err "UnsupportedSchema"
expect_err "version 9."
run tape inspect future.bin
expect_code 81
expect_err "version 9."

finish
