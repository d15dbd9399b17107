# inspect, stats and diff on real recordings.
. "$(dirname "$0")/lib.sh"

tape record dice --out dice.bin > /dev/null
run tape inspect dice.bin
expect_code 0
expect_out "builtin program 'dice'"
expect_out "3 events in 1 chunk; the program exited with code 0"
expect_out "clock.now() -> "
expect_out "random.bits(1) -> 1 bytes "
expect_out "engine/programs/dice.cc:"
expect_out "io.write(\"at "

run tape inspect dice.bin --filter random.bits
expect_out "random.bits(1)"
expect_no_out "clock.now() ->"
site=$(tape inspect dice.bin --filter io.write | grep -o 'site [0-9a-f]*' | head -1 | cut -d' ' -f2)
run tape inspect dice.bin --site "$site"
expect_out "io.write("
expect_no_out "random.bits(1) ->"
# --site also takes a prefix of an id, if it names one site of the trace; an
# ambiguous or unknown prefix is an error, never an empty listing.
for i in $(seq 12); do echo "clock.now(); env.get(\"V$i\");"; done > sites.tape
tape run sites.tape --out sites.bin > /dev/null
ids=$(tape inspect sites.bin | grep -o 'site [0-9a-f]*' | cut -d' ' -f2 | sort -u)
[ "$(printf '%s\n' "$ids" | wc -l)" = 24 ] || fail "sites.tape should have 24 sites"
unused="" shared=""
for digit in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
  n=$(printf '%s\n' "$ids" | grep -c "^$digit")
  [ "$n" = 0 ] && unused=$digit
  [ "$n" -ge 2 ] && shared=$digit
done
[ -n "$unused" ] && [ -n "$shared" ] || fail "the site ids leave no digit unused or none shared"
one=$(printf '%s\n' "$ids" | head -1)
for len in $(seq 1 16); do  # the shortest prefix that names `one` alone
  [ "$(printf '%s\n' "$ids" | grep -c "^${one:0:$len}")" = 1 ] && break
done
run tape inspect sites.bin --site "${one:0:$len}"
expect_code 0
[ "$(printf '%s\n' "$OUT" | grep -c "\[site ")" = 1 ] || fail "a unique prefix shows its one event"
expect_out "[site $one]"
run tape inspect sites.bin --site "${unused}123"
expect_code 2
expect_err "--site ${unused}123: no site of this trace has an id starting with ${unused}123"
run tape inspect sites.bin --site "$shared"
expect_code 2
expect_err "sites of this trace have ids starting with $shared ("
expect_err " at sites.tape:"
expect_err "give more digits"

# Payloads are shortened: text after 64 characters, bytes after 32 (as hex).
printf 'random.bits(100);\nio.write("%s");\n' "$(printf 'x%.0s' $(seq 100))" > long.tape
tape run long.tape --out long.bin > /dev/null
run tape inspect long.bin
expect_out "random.bits(100) -> 100 bytes "
hex=$(printf '%s\n' "$OUT" | sed -n 's/.*-> 100 bytes \([0-9a-f]*\)….*/\1/p')
[ "${#hex}" = 64 ] || fail "expected the first 32 bytes (64 hex digits), got ${#hex} digits"
expect_out "io.write(\"$(printf 'x%.0s' $(seq 64))\"… (100 bytes))"

run tape inspect dice.bin --since 1 --limit 1
expect_out "      1  random.bits"
expect_no_out "      2  io.write"
run tape inspect dice.bin --json
expect_code 0
[ "$(printf '%s\n' "$OUT" | wc -l)" = 3 ] || fail "--json should print one line per event"
expect_out '"kind":"clock.now"'
expect_out '"seq":2'
expect_out '"location":"engine/programs/dice.cc:'

run tape stats dice.bin
expect_code 0
expect_out "events:    3 in 1 chunk"
expect_out "clock.now"
expect_out "hot sites:"
run tape stats dice.bin --json
expect_out '"events":3'
expect_out '"hot_sites":'

# diff: identical, a different result, a prefix.
run tape diff dice.bin dice.bin
expect_code 0
expect_out "identical: 3 events"
tape record dice --out dice2.bin > /dev/null
run tape diff dice.bin dice2.bin
expect_code 1
expect_out "first divergence at seq 0:"
expect_out "the outside world answered differently"
run tape diff dice.bin dice2.bin --json
expect_code 1
expect_out '"class":"result"'
expect_out '"seq":0'
tape record counter --out counter.bin > /dev/null
run tape diff dice.bin counter.bin
expect_code 1
expect_out "first divergence at seq 0:"
expect_out "the program took a different path"
NAME=x tape record greet --out g1.bin > /dev/null
NAME=y tape record greet --out g2.bin > /dev/null
run tape diff g1.bin g2.bin
expect_out "first divergence at seq 0"
expect_out "answered differently"

# --ignore KIND leaves that effect's results out; --path-only all payloads.
run tape diff g1.bin g2.bin --ignore env.get
expect_out "note: results of env.get are not compared (--ignore)"
expect_out "first divergence at seq 1"
expect_out "io.write(\"hello, x\\n\")"
run tape diff g1.bin g2.bin --ignore env.get --ignore io.write --json
expect_code 1
expect_out '"ignored_results":["env.get","io.write"]'
expect_out '"class":"args"'
run tape diff g1.bin g2.bin --path-only
expect_code 0
expect_out "the same path: 2 events"
run tape diff dice.bin counter.bin --path-only
expect_code 1
expect_out "the program took a different path"
run tape diff g1.bin g2.bin --ignore teleport
expect_code 2
expect_err "--ignore teleport: not an effect"

# Progress lines go to stderr on a terminal only (script(1) provides one).
if command -v script > /dev/null; then
  script -qec "$TAPE verify dice.bin" /dev/null > tty.out 2>&1
  grep -q "verify: 3 / 3 (100%)" tty.out || fail "no progress line on a terminal: $(cat tty.out)"
  run tape verify dice.bin
  expect_code 0
  [[ "$ERR" != *"verify:"* ]] || fail "a progress line went to a pipe"
fi

finish
