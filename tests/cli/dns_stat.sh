# dns.resolve and fs.stat from a script: recorded, replayed with the file
# gone (and without the resolver), shown by inspect and export, rerun by
# key, perturbed by chaos mode. Only "localhost" is resolved: no network.
. "$(dirname "$0")/lib.sh"

mkdir data
printf 'twelve bytes' > data/f.txt
chmod 640 data/f.txt
cat > look.tape <<'T'
let a = dns.resolve("localhost");
if a == nil {
  print(false);
  print(false);
} else {
  print(len(a) > 0);
  print(contains(a, "127.0.0.1") or contains(a, "::1"));
}
print(dns.last_error() == "");
let s = fs.stat("data/f.txt");
print(join([str(s["exists"]), s["kind"], str(s["size"]), str(s["mode"] == 416), str(s["mtime"] > 0)], " "));
let d = fs.stat("data");
print(d["kind"]);
let m = fs.stat("data/missing");
print(join([str(m["exists"]), m["kind"], str(fs.last_error())], " "));
T
run tape run look.tape --out look.bin
expect_code 0
expect_out "true
true
true
true file 12 true true
dir
false  2"
printf '%s\n' "$OUT" > recorded.out

# Replay: the file is gone, the answers are the recorded ones.
rm -r data
run tape replay look.tape --trace look.bin
expect_code 0
printf '%s\n' "$OUT" > replayed.out
expect_same recorded.out replayed.out

run tape inspect look.bin --filter dns.resolve
expect_out 'dns.resolve("localhost") -> error=0, message="", addresses=['
run tape inspect look.bin --filter fs.stat
expect_out 'fs.stat("data/f.txt") -> errno=ok, kind="file", size=12, mode=416, mtime='
expect_out 'fs.stat("data/missing") -> errno=errno 2 (No such file or directory), kind="", size=0'
run tape export look.bin --format jsonl --out look.jsonl
expect_code 0
run grep -c '"kind":"dns.resolve".*"args":"localhost","result":{"error":0,"message":"","addresses":\[' look.jsonl
expect_out 1
run grep -c '"kind":"fs.stat","site":"[0-9a-f]*","location":"look.tape:[0-9]*:9","args":"data/f.txt","result":{"errno":{"errno":0},"kind":"file","size":12,"mode":416' look.jsonl
expect_out 1
run tape verify look.bin
expect_code 0

# Rerun: the same questions from other places (a function: other sites)
# get their answers by key.
cat > moved.tape <<'T'
fn look() {
  let s = fs.stat("data/f.txt");
  let a = dns.resolve("localhost");
  print(str(s["size"]) + " " + str(len(a) > 0));
}
look();
T
run tape rerun moved.tape --trace look.bin
expect_code 0
expect_out "12 true"
expect_err "2 inputs served from the trace (0 by site, 2 by key, 0 by kind)"

# Chaos: the resolver fails, the path is missing; the replay agrees.
run tape run look.tape --out chaos.bin --chaos dns.resolve:noname=1,fs.stat:enoent=1 --seed 3
expect_code 0
expect_out "false
false
false
false  0 false false
"
run tape inspect chaos.bin --filter dns.resolve
expect_out 'error=-2, message="Name or service not known", addresses=[] [chaos]'
run tape replay look.tape --trace chaos.bin
expect_code 0
expect_out "false  0 false false"

finish
