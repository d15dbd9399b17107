# The language through the real `tape` command: the original's scripts and
# the compatibility scripts run under `tape run` and `tape replay` with the
# output their `# expect:` lines state; a trace recorded by the first release
# of the language still replays; scripts that cannot be read whole are
# refused with exit 82.
. "$TAPE_SOURCE_DIR/tests/cli/lib.sh"
LANG_TESTS="$SRC/tests/lang"

# The values of one directive in a script, one per line.
directive() { sed -n "s/.*# $2: //p" "$1"; }

# Runs a script with `tape run` (its `# env:` settings in an otherwise empty
# environment, its `# arg:` values as arguments), checks stdout, the exit
# code or the error against its expectations, then replays the trace and
# checks that the replay prints and exits the same.
check_script() {
  local script=$1 base envs=() args=() line
  base=$(basename "$script")
  cp "$script" "$base"
  while IFS= read -r line; do envs+=("$line"); done < <(directive "$script" env)
  while IFS= read -r line; do args+=("$line"); done < <(directive "$script" arg)
  run env -i PATH="$PATH" "${envs[@]}" "$TAPE" run "$base" --out "$base.bin" --force -- "${args[@]}"
  local record_code=$CODE record_out=$OUT
  local errors want_exit
  errors=$(directive "$script" "expect error")
  if [ -n "$errors" ]; then
    [ "$CODE" = 82 ] || [ "$CODE" = 1 ] || fail "$base: expected a compile (82) or runtime (1) error"
    while IFS= read -r line; do
      local at=${line%%]*}; at=${at#\[line }
      local text=${line#*] }
      [[ "$ERR" == *"$base:$at:"*"$text"* ]] || fail "$base: stderr lacks [line $at] $text"
    done <<< "$errors"
  else
    want_exit=$(directive "$script" "expect exit")
    expect_code "${want_exit:-0}"
  fi
  # Output that depends on the fake runtime's random bytes or files is
  # checked by lang_scripts; here only that the replay repeats it.
  if ! grep -q -e '# random:' -e '/denied/' "$script"; then
    local want
    want=$(directive "$script" expect; directive "$script" "expect partial line")
    [ "$record_out" = "$want" ] || fail "$base: stdout is not what its # expect: lines say"
  fi
  [ -e "$base.bin" ] || return 0  # a compile error records nothing
  run env -i PATH="$PATH" "$TAPE" replay "$base" --trace "$base.bin"
  expect_code "$record_code"
  [ "$OUT" = "$record_out" ] || fail "$base: the replay printed something else"
}

for script in "$LANG_TESTS"/original/*.tape "$LANG_TESTS"/scripts/compat_*.tape; do
  check_script "$script"
done

# The original's example scripts, byte for byte (the expectations are
# comments after them), with NAME set in the environment.
cp "$LANG_TESTS/original/hello.tape" greet.tape
run env -i PATH="$PATH" NAME=ada "$TAPE" run greet.tape --out greet.bin
expect_code 0
expect_out "hello, ada"
run env -i PATH="$PATH" NAME=bob "$TAPE" replay greet.tape --trace greet.bin
expect_out "hello, ada"
run "$TAPE" run "$LANG_TESTS/original/coinflip.tape" --out coin.bin
expect_code 0
[ "$(printf '%s\n' "$OUT" | grep -c -x -e heads -e tails)" = 3 ] || fail "coinflip: three flips"
flips=$OUT
run "$TAPE" replay "$LANG_TESTS/original/coinflip.tape" --trace coin.bin
[ "$OUT" = "$flips" ] || fail "coinflip: the replay flipped differently"

# A trace recorded by the first release of the language replays: its code
# hash, site ids and output are what they were.
run "$TAPE" replay "$LANG_TESTS/golden/v1_script.tape" --trace "$LANG_TESTS/golden/v1_script.trace"
expect_code 0
expect_out "i:1, s:two, x:true, x:false, x:nil"
expect_out "block"
run "$TAPE" replay --trace "$LANG_TESTS/golden/v1_script.trace"
expect_code 0

# Script files are read to at most 16 MiB, whatever the file claims to be: a
# pipe, a device, a large file. Each is a script that cannot be compiled (82).
run "$TAPE" run /dev/zero --out zero.bin
expect_code 82
expect_err "/dev/zero: error: the script is larger than 16 MiB"
run "$TAPE" run <(yes 'print(1);') --out yes.bin
expect_code 82
expect_err "error: the script is larger than 16 MiB"
# Within that, at most 1 MiB of code: the bytes outside comments.
head -c 1048577 /dev/zero | tr '\0' ' ' > big.tape
run "$TAPE" run big.tape --out big.bin
expect_code 82
expect_err "big.tape: error: the script holds 1048577 bytes of code (outside comments); a script may hold at most 1 MiB of code"
[ ! -e big.bin ] || fail "an oversized script left a trace"
# A script of 1.06 MiB that is mostly comments runs (the original ran it).
awk 'BEGIN { for (i = 1; i <= 15000; i++) print "# line " i " of the documentation, which is longer than the code it explains" }' > documented.tape
echo 'print("documented");' >> documented.tape
[ "$(stat -c %s documented.tape)" -gt 1100000 ] || fail "documented.tape is not over 1 MiB"
run "$TAPE" run documented.tape --out documented.bin
expect_code 0
expect_out "documented"
run "$TAPE" replay --trace documented.bin
expect_code 0
expect_out "documented"
head -c 1048000 /dev/zero | tr '\0' ' ' > fits.tape
echo 'print("fits");' >> fits.tape
run "$TAPE" run fits.tape --out fits.bin
expect_code 0
expect_out "fits"
run "$TAPE" run <(echo 'print("from a pipe");') --out pipe.bin
expect_code 0
expect_out "from a pipe"

# fs.read is bounded by bytes read as well (1 GiB, kMaxFsReadBytes): a file
# that says it is larger fails at once with EFBIG, a value the script tests.
# (The endless /dev/zero is read up to the bound in cli_memory.sh.)
truncate -s 2G huge.bin
printf 'let d = fs.read("huge.bin");\nprint(d == nil);\nprint(fs.last_error());\n' > huge.tape
run "$TAPE" run huge.tape --out huge-read.bin
expect_code 0
expect_out $'true\n27'
run "$TAPE" replay huge.tape --trace huge-read.bin
expect_out $'true\n27'
rm -f huge.bin

# A built-in program's name given to `tape run` points to `tape record`.
run "$TAPE" run dice
expect_code 2
expect_err "'dice' is a built-in program, not a script; record it with: tape record dice"

finish
