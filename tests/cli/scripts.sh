# .tape scripts under `tape run` and `tape replay`: every example replays
# byte-identically; traces do not depend on the path spelling or working
# directory; edits are fenced by the code hash; drift in an edited script is
# found at the exact call.
. "$(dirname "$0")/lib.sh"
EX="$SRC/examples/scripts"

printf 'one fish two fish\nred fish blue fish\n' > fish.txt
cp "$EX"/*.tape .
for script in hello coinflip flaky wordfreq retry; do
  NAME=ada run tape run "$script.tape" --out "$script.bin" -- fish.txt
  record_code=$CODE
  recorded=$OUT
  [ -n "$recorded" ] || fail "$script printed nothing"
  run tape replay "$script.tape" --trace "$script.bin"
  expect_code "$record_code"
  [ "$OUT" = "$recorded" ] || fail "$script: replay output differs"
done
NAME=ada run tape replay hello.tape --trace hello.bin
expect_out "hello, ada"
run tape replay wordfreq.tape --trace wordfreq.bin
expect_out "fish"

# Recorded as ./hello.tape here, replayed as hello.tape from elsewhere, and
# from the trace alone in a directory without the script.
NAME=bob tape run ./hello.tape --out spelled.bin > /dev/null
mkdir -p elsewhere/deeper
(cd elsewhere/deeper && run tape replay ../../hello.tape --trace ../../spelled.bin
 expect_code 0
 expect_out "hello, bob"
 cp ../../spelled.bin alone.bin
 run tape replay --trace alone.bin
 expect_code 0
 expect_out "hello, bob"
 finish) || FAILURES=$((FAILURES + 1))

# Whitespace and comments do not change the code hash.
mkdir -p reformatted
{ echo "# a new comment"; sed 's/^/  /' hello.tape; echo; } > reformatted/hello.tape
run tape replay reformatted/hello.tape --trace spelled.bin
expect_code 0
expect_out "hello, bob"

# A real edit is CodeHashMismatch, naming the line that changed.
mkdir -p edited
sed 's/hello, /howdy, /' hello.tape > edited/hello.tape
run tape replay edited/hello.tape --trace spelled.bin
expect_code 80
expect_err "CodeHashMismatch"
expect_err "changed"
expect_err "howdy"

# A script renamed or moved is the same program: its code is its identity.
mkdir -p moved
cp hello.tape moved/greeting.tape
NAME=zed run tape replay moved/greeting.tape --trace spelled.bin
expect_code 0
expect_out "hello, bob"
sed 's/hello, /howdy, /' hello.tape > moved/greeting-edited.tape
run tape replay moved/greeting-edited.tape --trace spelled.bin --ignore-code-hash
expect_code 80
expect_err "ArgsMismatch"
# Another script with another name is CodeHashMismatch, naming both.
run tape replay flaky.tape --trace spelled.bin
expect_code 80
expect_err "CodeHashMismatch"
expect_err "script program 'hello.tape'"
expect_err "script program 'flaky.tape'"
# A built-in is not a script, whatever the code.
run tape replay dice --trace spelled.bin
expect_code 80
expect_err "ProgramMismatch"

# Drift in edited scripts, replayed with --ignore-code-hash.
mkdir -p drift
cat > drift/calls.tape <<'TAPE'
let t = clock.now();
let r = random.bits(4);
print("first");
print("second");
TAPE
tape run drift/calls.tape --out calls.bin > /dev/null
drift_case() {  # drift_case NAME KIND SEQ: replays drift/NAME/calls.tape
  run tape replay "drift/$1/calls.tape" --trace calls.bin --ignore-code-hash
  expect_code 80
  expect_err "$2 at seq $3"
}
mkdir -p drift/swap drift/arg drift/add drift/delete
sed -e '1{h;d}' -e '2{p;x}' drift/calls.tape > drift/swap/calls.tape  # random.bits before clock.now
sed 's/random.bits(4)/random.bits(8)/' drift/calls.tape > drift/arg/calls.tape
{ cat drift/calls.tape; echo 'print("third");'; } > drift/add/calls.tape
sed '$d' drift/calls.tape > drift/delete/calls.tape
drift_case swap SiteMismatch 0
drift_case arg ArgsMismatch 1
expect_err "random.bits(8)"
expect_err "random.bits(4)"
drift_case add EndOfTrace 4
drift_case delete TraceNotExhausted 3
run tape replay drift/calls.tape --trace calls.bin
expect_code 0

# Every script the README's examples run is in examples/scripts/ (those it
# shows in full with `$ cat`, the README's own test makes from its text),
# and the README's error and drift examples say what it shows.
readme_scripts=$(grep -oE '^\s+\$ .*' "$SRC/README.md" |
  grep -oE '\btape (run|replay|rerun|hunt) [^ ]*\.tape' | awk '{print $NF}' | sed 's|.*/||' |
  sort -u)
shown_scripts=$(grep -oE '^\s+\$ cat [^ ]*\.tape' "$SRC/README.md" | awk '{print $NF}' | sed 's|.*/||')
[ -n "$readme_scripts" ] || fail "found no scripts in the README's examples"
for name in $readme_scripts; do
  [ -f "$EX/$name" ] || [[ " $(echo $shown_scripts) " == *" $name "* ]] ||
    fail "the README runs $name, which is neither in examples/scripts/ nor shown in full"
done
run tape run bad.tape --out bad.bin
expect_code 1
expect_err $'bad.tape:3:11: runtime error: division by zero\nlet y = x / 0;\n          ^'
tape run calls.tape --out calls-ex.bin > /dev/null
sed 's/random.bits(4)/random.bits(8)/' calls.tape > edited/calls.tape
run tape replay edited/calls.tape --trace calls-ex.bin --ignore-code-hash
expect_code 80
expect_err "tape replay: drift: ArgsMismatch at seq 1"
expect_err "recorded: random.bits(4) at calls.tape:2:9"
expect_err "replay:   random.bits(8) at calls.tape:2:9"

# A runtime error is recorded as the outcome and reproduced by replay.
printf 'print("before");\nlet x = 1 / 0;\n' > boom.tape
run tape run boom.tape --out boom.bin
expect_code 1
expect_out "before"
expect_err "boom.tape:2:11: runtime error: division by zero"
run tape replay boom.tape --trace boom.bin
expect_code 1
expect_err "boom.tape:2:11: runtime error"
run tape inspect boom.bin
expect_out "stopped by an error"

# Standard input: lines and the rest are recorded, and the replay serves
# them with standard input closed; inspect and export show them.
cat > lines.tape <<'EOF'
let line = io.read_line();
while line != nil {
  print("line: " + line);
  line = io.read_line();
}
print("end " + str(io.last_error()));
print("rest [" + io.read_all() + "]");
EOF
printf 'a\nb\n' > ab.txt
run tape run lines.tape --out lines.bin < ab.txt
expect_code 0
recorded=$OUT
[ "$recorded" = $'line: a\nline: b\nend 0\nrest []' ] || fail "read_line output: $recorded"
run tape replay lines.tape --trace lines.bin <&-
expect_code 0
[ "$OUT" = "$recorded" ] || fail "replay with stdin closed differs: $OUT"
run tape replay lines.tape --trace lines.bin < /dev/zero
[ "$OUT" = "$recorded" ] || fail "replay read standard input"
run tape inspect lines.bin
expect_out 'io.read_line()'
expect_out '"b"'
expect_out 'io.read_all()'
run tape export lines.bin --format jsonl --out -
expect_out '"line":"a"'
printf 'print(io.read_line()); print(io.read_all());\n' > rest.tape
run tape run rest.tape --out rest.bin <<< $'first\nsecond\nthird'
[ "$OUT" = $'first\nsecond\nthird' ] || fail "read_line, then read_all: $OUT"
run tape run lines.tape --out closed.bin <&-
expect_code 0
expect_out "end 9"  # EBADF: standard input is closed
# A line over the limit (64 MiB) faults rather than reading as the end.
run tape run rest.tape --out big.bin < <(head -c 67108865 /dev/zero)
expect_code 1
expect_err "io.read_line(): a line of standard input is longer than 67108864 bytes"

# Script arguments reach args.get(); a script that does not compile is exit 82.
printf 'print(join(args.get(), "+"));\n' > args.tape
run tape run args.tape --out args.bin -- a "b c" d
expect_out "a+b c+d"
printf 'let x = (;\n' > broken.tape
run tape run broken.tape --out broken.bin
expect_code 82
expect_err "broken.tape:1:10: error:"
[ ! -e broken.bin ] || fail "a script that does not compile left a trace"
head -c 2000 /dev/urandom > garbage.tape
run tape run garbage.tape --out g.bin
expect_code 82
run tape run nosuch.tape
expect_code 2
expect_err "nosuch.tape"

finish
