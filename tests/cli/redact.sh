# Sharing a trace: tape redact, and record/run --redact-env (spec §13.6).
. "$(dirname "$0")/lib.sh"

TOKEN=tok_live_8f2b9c71d3e4
KEYLINE=MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
printf -- '-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' "$KEYLINE" > deploy.pem
cat > deploy.tape <<'EOF'
let token = env.get("API_TOKEN");
let key = fs.read("deploy.pem");
if key == nil { print("no key"); exit(1); }
print("calling the API with " + token);
print("region " + env.get("REGION", "eu-west-1"));
EOF

API_TOKEN=$TOKEN run tape run deploy.tape --out run.bin
expect_code 0
expect_out "calling the API with $TOKEN"
run tape inspect run.bin
expect_out "$TOKEN"

# --- tape redact ------------------------------------------------------------

run tape redact run.bin --out clean.bin --name API_TOKEN --name deploy.pem
expect_code 0
expect_out "wrote clean.bin: 3 of 5 events redacted (the args of 1, the results of 2; 2 distinct markers)"
grep -qa "$TOKEN" clean.bin && fail "the token is in clean.bin"
grep -qa "$KEYLINE" clean.bin && fail "the key is in clean.bin"
run tape inspect clean.bin
expect_code 0
expect_out "redacted: redact --name API_TOKEN; redact --name deploy.pem"
expect_out 'env.get("API_TOKEN") -> "[redacted #1]" [result redacted]'
expect_out 'fs.read("deploy.pem") -> "[redacted #2]\n" [result redacted]'
expect_out 'io.write("calling the API with [redacted #1]\n") -> ok [args redacted]'
expect_out 'env.get("REGION") -> unset  at'
expect_no_out "$TOKEN"
run tape inspect clean.bin --json --limit 1
expect_out '"result":"[redacted #1]","redacted":["result"]}'
run tape verify clean.bin
expect_code 0
expect_out "clean.bin: ok"

# Replay says up front that the trace is redacted, then replays with the markers.
run tape replay clean.bin
expect_code 0
expect_err "tape replay: note: clean.bin is redacted (redact --name API_TOKEN; redact --name deploy.pem): the program gets markers"
expect_out "calling the API with [redacted #1]"

# A program that acts on a secret's value can go another way on replay.
cat > keylen.tape <<'EOF'
print(format("key of {} bytes", len(fs.read("deploy.pem"))));
EOF
run tape run keylen.tape --out keylen.bin
expect_out "key of 87 bytes"
run tape redact keylen.bin --out keylen-clean.bin --kind fs.read
expect_code 0
run tape replay keylen-clean.bin
expect_code 80
expect_err "ArgsMismatch at seq 1"
expect_err "(the trace is redacted: a program that acts on a secret's value can take another path when it gets the marker)"

# The same rules, the same file.
run tape redact run.bin --out clean2.bin --name API_TOKEN --name deploy.pem
expect_same clean.bin clean2.bin

# Rules that select nothing are named; the copy is still written.
run tape redact run.bin --out none.bin --kind fs.write --match 'nothing-like-this'
expect_code 0
expect_out "wrote none.bin: 0 of 5 events redacted"
expect_out "note:    --kind fs.write selected no event"
expect_out "note:    --match pattern 1 matched nothing"

# --match with a group replaces what the group matched, and every other copy
# of it, where the token came in too; --site takes a location.
run tape redact run.bin --out match.bin --match 'with (tok_[a-z0-9_]+)' --site deploy.tape:2:11
expect_code 0
expect_out "wrote match.bin: 3 of 5 events redacted (the args of 1, the results of 2; 2 distinct markers)"
run tape inspect match.bin
expect_out 'env.get("API_TOKEN") -> "[redacted #1]" [result redacted]'
expect_out 'io.write("calling the API with [redacted #1]\n")'
expect_out 'fs.read("deploy.pem") -> "[redacted #2]\n" [result redacted]'
expect_out "redacted: redact --site "
expect_out "redact --match: 1 pattern, not recorded"
expect_no_out "tok_[a-z0-9_]+"

# A secret spelled out in the script: its source is redacted too, and replay
# then needs the script itself.
cat > hardcoded.tape <<'EOF'
let password = "hunter2-x9q";
print("logging in as admin");
print(env.get("HOME_DIR", "/home/admin"));
EOF
run tape run hardcoded.tape --out hard.bin
expect_code 0
run tape redact hard.bin --out hard-clean.bin --match 'hunter2-[a-z0-9]+'
expect_code 0
expect_out "also:    the script's source (replay it with the script: tape replay SCRIPT --trace hard-clean.bin)"
grep -qa "hunter2-x9q" hard-clean.bin && fail "the script's secret is in hard-clean.bin"
run tape replay hard-clean.bin
expect_code 2
expect_err "the trace holds a redacted copy of the script 'hardcoded.tape'"
run tape replay hardcoded.tape --trace hard-clean.bin
expect_code 0
expect_out "logging in as admin"

# --- record/run --redact-env ------------------------------------------------

API_TOKEN=$TOKEN run tape run deploy.tape --out rec.bin --redact-env 'API_*' --redact-env 'SECRET_*'
expect_code 0
expect_out "calling the API with $TOKEN"
grep -qa "$TOKEN" rec.bin && fail "the token is in rec.bin"
run tape inspect rec.bin
expect_out "redacted: record --redact-env API_*; record --redact-env SECRET_*"
expect_out 'env.get("API_TOKEN") -> "[redacted #1]" [result redacted]'
expect_out 'io.write("calling the API with [redacted #1]\n") -> ok [args redacted]'
expect_no_out "$TOKEN"
API_TOKEN=other run tape replay rec.bin
expect_code 0
expect_out "calling the API with [redacted #1]"
# A script's env.get reads a variable once and answers the later calls from
# what it read: those are redacted too.
printf 'for i in 0..3 { print(len(env.get("API_TOKEN"))); }\n' > again.tape
API_TOKEN=$TOKEN run tape run again.tape --out again.bin --redact-env 'API_*'
expect_code 0
grep -qa "$TOKEN" again.bin && fail "the token is in again.bin"
run tape inspect again.bin
[ "$(grep -c 'env.get("API_TOKEN") -> "\[redacted #1\]" \[result redacted\]' <<< "$OUT")" = 3 ] ||
  fail "not every read of API_TOKEN is redacted"
# A token passed to a command and appended to a file: the copies in proc.run's
# argv list and output and in fs.append's data are markers too, and replay
# (which does not run the command again) gives the program the markers.
cat > cmd.tape <<'EOF'
let t = env.get("API_TOKEN");
let r = proc.run(["sh", "-c", "echo got $0", t]);
print(r["stdout"]);
fs.append("log.txt", "t=" + t + "\n");
EOF
API_TOKEN=$TOKEN run tape run cmd.tape --out cmd.bin --redact-env 'API_*'
expect_code 0
expect_out "got $TOKEN"
grep -qa "$TOKEN" log.txt || fail "the program did not get the real token"
grep -qa "$TOKEN" cmd.bin && fail "the token is in cmd.bin"
run tape inspect cmd.bin
expect_out '"echo got $0", "[redacted #1]"]'
expect_out 'stdout="got [redacted #1]\n"'
expect_out 'fs.append("log.txt", "t=[redacted #1]\n") -> ok [args redacted]'
expect_no_out "$TOKEN"
run tape verify cmd.bin
expect_code 0
run tape replay cmd.bin
expect_code 0
expect_out "got [redacted #1]"
# Calls chaos mode perturbs are redacted too: the command is not run, but its
# argv and environment are the program's.
cat > env.tape <<'EOF'
let t = env.get("API_TOKEN");
let r = proc.run(["sh", "-c", "echo \"[$API_TOKEN][$HOME][$GIVEN]\""]);
print(r["stdout"]);
r = proc.run(["sh", "-c", "echo \"[$API_TOKEN][$HOME][$GIVEN]\""], {"env": {"GIVEN": t}});
print(r["stdout"]);
EOF
API_TOKEN=$TOKEN run tape run env.tape --out env.bin --redact-env 'API_*'
expect_code 0
# A command inherits the whole environment unless it is given one.
expect_out "[$TOKEN][$HOME][]"
expect_out "[][][$TOKEN]"
grep -qa "$TOKEN" env.bin && fail "the token is in env.bin"
run tape replay env.bin
expect_code 0
API_TOKEN=$TOKEN run tape run env.tape --out chaos.bin --redact-env 'API_*' --chaos proc.run:timeout=1
expect_code 0
grep -qa "$TOKEN" chaos.bin && fail "the token is in chaos.bin (a perturbed proc.run)"
run tape inspect chaos.bin
expect_out '"GIVEN=[redacted #1]"], timeout_ms=0, stdin="") -> exit=-1, signal=9, start_error=ok, timed_out=true, stdout="", stderr="" [chaos] [args redacted]'
# The footer: a script that fails with a long token in its message (a script
# error shows a long string cut short). Kept out at record time, and by
# tape redact from a plain recording.
LONG=${TOKEN}_0123456789abcdefghijklmnopqrstuvwxyz
printf 'let t = env.get("API_TOKEN");\nlet n = int(t);\n' > fails.tape
API_TOKEN=$LONG run tape run fails.tape --out fails.bin --redact-env 'API_*'
expect_code 1
expect_err "runtime error: int(): \"${LONG:0:20}"
grep -qa "${LONG:0:20}" fails.bin && fail "a part of the token is in fails.bin"
run tape inspect fails.bin
expect_out 'int(): "[redacted #1]..." is not a whole number'
API_TOKEN=$LONG run tape run fails.tape --out fails-plain.bin
run tape redact fails-plain.bin --out fails-clean.bin --name API_TOKEN
expect_code 0
grep -qa "${LONG:0:20}" fails-clean.bin && fail "a part of the token is in fails-clean.bin"
# A file secret read with its newline: trimmed copies are found, and the
# bytes around a copy stay.
printf 'key-%s\n' "$KEYLINE" > plain.key
cat > keyuse.tape <<'EOF'
let k = fs.read("plain.key");
print("raw " + k);
print("trimmed " + trim(k) + "!");
EOF
run tape run keyuse.tape --out keyuse.bin
run tape redact keyuse.bin --out keyuse-clean.bin --name plain.key
expect_code 0
grep -qa "$KEYLINE" keyuse-clean.bin && fail "a copy of the key is in keyuse-clean.bin"
run tape inspect keyuse-clean.bin
expect_out 'fs.read("plain.key") -> "[redacted #1]\n"'
expect_out 'io.write("raw [redacted #1]\n\n")'
expect_out 'io.write("trimmed [redacted #1]!\n")'
run tape record greet --out g.bin --redact-env ''
expect_code 2
expect_err "tape record: --redact-env '' is empty"

# --- record/run --redact-match and --redact-header ----------------------------
# The trace is compressed: its events are looked at decoded (export, inspect),
# and the raw file too, where the plain recording shows that the token is
# visible when it is there.
grep -qa "$TOKEN" run.bin || fail "control: the token should be visible in the raw run.bin"
API_TOKEN=$TOKEN run tape run deploy.tape --out match.bin --redact-match 'tok_live_[0-9a-f]+'
expect_code 0
expect_out "calling the API with $TOKEN"
grep -qa "$TOKEN" match.bin && fail "the token is in match.bin"
run tape export match.bin --format jsonl --out match.jsonl
expect_code 0
grep -q "$TOKEN" match.jsonl && fail "the token is in match.bin's events"
grep -q '\[redacted #1\]' match.jsonl || fail "no marker in match.bin's events"
run tape inspect match.bin
expect_out "redacted: record --redact-match: 1 pattern, not recorded"
expect_out 'env.get("API_TOKEN") -> "[redacted #1]" [result redacted]'
expect_out 'io.write("calling the API with [redacted #1]\n") -> ok [args redacted]'
expect_no_out "$TOKEN"
expect_no_out 'tok_live_[0-9a-f]+'
API_TOKEN=other run tape replay match.bin
expect_code 0
expect_out "calling the API with [redacted #1]"
# A request's Authorization header; nothing listens on the port, the request
# is recorded all the same.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > login.tape <<EOF
let r = http.request("GET", "http://127.0.0.1:$PORT/", {"authorization": "Basic c2VjcmV0OnBhc3N3b3Jk", "X-Trace": "t-1"}, nil);
print(r["status"]);
EOF
run tape run login.tape --out login.bin --redact-header Authorization
expect_code 0
expect_out "0"
run tape export login.bin --format jsonl --out login.jsonl
grep -q "c2VjcmV0OnBhc3N3b3Jk" login.jsonl && fail "the header's value is in login.bin's events"
run tape inspect login.bin
expect_out "redacted: record --redact-header Authorization"
expect_out 'headers=["authorization: [redacted #1]", "X-Trace: t-1"]'
expect_out "[args redacted]"
run tape replay login.bin
expect_code 0
run tape run login.tape --out x.bin --redact-header ''
expect_code 2
expect_err "tape run: --redact-header '' is empty"
run tape run login.tape --out x.bin --redact-match 'a*'
expect_code 2
expect_err "tape run: --redact-match 'a*': it matches the empty text"
run tape run login.tape --out x.bin --redact-match '(a'
expect_code 2
expect_err "tape run: --redact-match '(a': not a regular expression: missing )"
[ ! -e x.bin ] || fail "a refused recording wrote x.bin"

# tape redact --match catches the value where it came in too: the pattern
# needs the context of the request line, the env.get result has none.
cat > bearer.tape <<'EOF'
let token = env.get("API_TOKEN");
print("Authorization: Bearer " + token);
EOF
API_TOKEN=$TOKEN run tape run bearer.tape --out bearer.bin
run tape redact bearer.bin --out bearer-clean.bin --match 'Bearer ([a-z0-9_]+)'
expect_code 0
expect_out "wrote bearer-clean.bin: 2 of 2 events redacted"
run tape export bearer-clean.bin --format jsonl --out bearer.jsonl
grep -q "$TOKEN" bearer.jsonl && fail "the token is in bearer-clean.bin's events"
run tape inspect bearer-clean.bin
expect_out 'env.get("API_TOKEN") -> "[redacted #1]" [result redacted]'
expect_out 'io.write("Authorization: Bearer [redacted #1]\n") -> ok [args redacted]'
expect_no_out "$TOKEN"

# --- bad input ----------------------------------------------------------------

run tape redact run.bin --out x.bin
expect_code 2
expect_err "no rule given: say what to redact with --kind, --name, --site or --match"
run tape redact run.bin --out x.bin --match ''
expect_code 2
expect_err "--match '': the pattern is empty"
run tape redact run.bin --out x.bin --match '(tok'
expect_code 2
expect_err "--match '(tok': not a regular expression: missing ): (tok"
run tape redact run.bin --out x.bin --match 'a*'
expect_code 2
expect_err "it matches the empty text, so it would match everywhere"
run tape redact run.bin --out run.bin --kind env.get
expect_code 2
expect_err "--out must name a new file"
run tape redact run.bin --out ./run.bin --kind env.get
expect_code 2
expect_err "--out must name a new file"
run tape redact run.bin --out x.bin --kind teleport
expect_code 2
expect_err "--kind teleport: not an effect (clock.now, random.bits"
run tape redact run.bin --out x.bin --site nowhere.tape:1:1
expect_code 2
expect_err "--site nowhere.tape:1:1: neither a site id"
echo "my notes" > notes.txt
run tape redact run.bin --out notes.txt --kind env.get
expect_code 2
[ "$(cat notes.txt)" = "my notes" ] || fail "redact overwrote a file that is not a trace"
run tape redact missing.bin --out x.bin --kind env.get
expect_code 81
head -c $(( $(wc -c < run.bin) - 20 )) run.bin > cut.bin
run tape redact cut.bin --out x.bin --kind env.get
expect_code 81
expect_err "cut.bin is not a finished trace"
expect_err "tape recover cut.bin --out FIXED"
[ ! -e x.bin ] || fail "a refused redaction left x.bin"
ls -a | grep -q tape-new && fail "a refused redaction left a temporary file"

finish
