# diff --all: every divergent region of two recordings, with exact seq
# ranges; --limit, --json, --path-only and --ignore with --all.
. "$(dirname "$0")/lib.sh"

# Two versions of one script (same name, so no program note) that differ in
# three places: b makes an extra env.get in intro, prints another argument
# in middle, and no longer makes ending's env.get. Sites are numbered per
# effect and function (specs/language.md §11.2), so each change moves no
# other call's site.
mkdir -p a b
write_script() {  # write_script DIR EXTRA_CALL MIDDLE_ARG ENDING_CALL
  cat > "$1/s.tape" <<SCRIPT
fn intro() {
  print("start");
  $2
  print("loading");
  print("ready");
  print("go");
}
fn middle(n) {
  print("middle " + n);
  print("m2");
  print("m3");
  print("m4");
}
fn ending() {
  print("bye1");
  $4
  print("bye2");
  print("bye3");
  print("bye4");
}
intro();
middle("$3");
ending();
SCRIPT
}
write_script a "" 1 'let home = env.get("HOME", "");'
write_script b 'let user = env.get("USER", "");' 2 ""
tape run a/s.tape --out a.bin > /dev/null || fail "recording a"
tape run b/s.tape --out b.bin > /dev/null || fail "recording b"

run tape diff a.bin a.bin --all
expect_code 0
expect_out "identical: 13 events"

run tape diff a.bin b.bin --all
expect_code 1
expect_out "nothing in a.bin (at seq 1), seq 1 in b.bin: added: calls only b.bin made"
expect_out "seq 4 in a.bin, seq 5 in b.bin: args: same site and effect, different args"
expect_out "seq 9 in a.bin, nothing in b.bin (at seq 10): removed: calls only a.bin made"
expect_out 'b.bin       1  env.get("USER"'
expect_out 'a.bin       4  io.write("middle 1\n")'
expect_out 'b.bin       5  io.write("middle 2\n")'
expect_out 'a.bin       9  env.get("HOME"'
expect_out "3 divergent regions (2 events differ in a.bin, 2 in b.bin); the rest is the same"
# The same program at two versions: the header says the code changed.
expect_out "note: the program's code differs: a.bin has code hash "
[ "$(printf '%s\n' "$OUT" | grep -c ': added: \|: args: \|: removed: ')" = 3 ] ||
  fail "expected exactly three regions"

# Without --all, the first of them only.
run tape diff a.bin b.bin
expect_code 1
expect_out "first divergence at seq 1:"

run tape diff a.bin b.bin --all --limit 1
expect_code 1
expect_out "seq 1 in b.bin: added"
expect_no_out ": args: "
expect_out "1 divergent region shown (0 events differ in a.bin, 1 in b.bin); more were left out (--limit 1): the next begins at seq 4 in a.bin, seq 5 in b.bin"

run tape diff a.bin b.bin --all --json
expect_code 1
printf '%s\n' "$OUT" > all.json
python3 - all.json <<'PY' || fail "--all --json: wrong regions"
import json, sys
j = json.load(open(sys.argv[1]))
got = [(r["class"], r["a"]["first"], r["a"]["count"], r["b"]["first"], r["b"]["count"])
       for r in j["regions"]]
assert got == [("added", 1, 0, 1, 1), ("args", 4, 1, 5, 1), ("removed", 9, 1, 10, 0)], got
assert j["divergent_regions"] == 3 and j["complete"] is True and j["identical"] is False
assert (j["events_differ_a"], j["events_differ_b"]) == (2, 2)
assert j["regions"][0]["events_a"] == [] and j["regions"][0]["events_b"][0]["kind"] == "env.get"
assert j["regions"][1]["events_b"][0]["seq"] == 5
assert j["program_a"] == j["program_b"] and j["code_hash_a"] != j["code_hash_b"]
PY
run tape diff a.bin b.bin --all --limit 2 --json
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert (len(j["regions"]), j["complete"], j["next_a"], j["next_b"]) == (2, False, 9, 10), j' "$OUT" ||
  fail "--limit 2 --json"

# --path-only leaves the changed argument out; the moved path stays.
run tape diff a.bin b.bin --all --path-only
expect_code 1
expect_out "note: payloads are not compared (--path-only)"
expect_out ": added: "
expect_out ": removed: "
expect_no_out ": args: "
expect_out "2 divergent regions (1 event differs in a.bin, 1 in b.bin); the rest is the same"

# Two real recordings of one program differ at every clock reading; with
# --ignore clock.now they are the same.
cat > clock.tape <<'SCRIPT'
let t0 = clock.now();
print("a");
let t1 = clock.now();
print("b");
SCRIPT
tape run clock.tape --out c1.bin > /dev/null
tape run clock.tape --out c2.bin > /dev/null
run tape diff c1.bin c2.bin --all
expect_code 1
expect_out "seq 0 in c1.bin, seq 0 in c2.bin: result: "
expect_out "seq 2 in c1.bin, seq 2 in c2.bin: result: "
expect_out "2 divergent regions (2 events differ in c1.bin, 2 in c2.bin)"
run tape diff c1.bin c2.bin --all --ignore clock.now
expect_code 0
expect_out "identical: 4 events"

# Usage errors.
run tape diff a.bin b.bin --limit 3
expect_code 2
expect_err "--limit requires --all"
for bad in 0 -1 abc 1.5; do
  run tape diff a.bin b.bin --all --limit "$bad"
  expect_code 2
  expect_err "--limit"
  expect_one_line_err
done

finish
