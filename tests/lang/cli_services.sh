# Scripts that talk to services, through the real `tape` command: recorded
# against a real HTTP server on 127.0.0.1 (http_server.cc) and real
# commands, then replayed byte for byte after the server is stopped and the
# command is gone from PATH. Also the README's service example (script and
# C++), with the output the README shows. No request leaves the loopback
# interface.
. "$TAPE_SOURCE_DIR/tests/cli/lib.sh"
SERVER=${TAPE_HTTP_SERVER:?set TAPE_HTTP_SERVER to the test HTTP server}
EXAMPLE=${TAPE_SERVICES_EXAMPLE:?set TAPE_SERVICES_EXAMPLE to the README C++ example}
SERVER_PID=""
DEAD_PID=""
trap 'for p in $SERVER_PID $DEAD_PID; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT

# Starts the server (on port $1, or a free one); sets PORT.
start_server() {
  rm -f port.txt
  "$SERVER" ${1:+--port "$1"} > port.txt &
  SERVER_PID=$!
  wait_for "the test HTTP server to start" test -s port.txt
  PORT=$(head -1 port.txt)
  [ -n "$PORT" ] || { fail "the test HTTP server did not start"; finish; }
}
stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
# A loopback URL that refuses connections for as long as the test runs: its
# port is held bound, never listening (http_server --dead-port), so no other
# test's server can take it. (A port found free and closed, or the port of a
# server just stopped, could be bound by another server meanwhile.)
"$SERVER" --dead-port > dead.txt &
DEAD_PID=$!
wait_for "the dead port" test -s dead.txt
DEAD=http://127.0.0.1:$(head -1 dead.txt)

# --- HTTP: statuses, headers, failures, a large body -------------------------
cat > http.tape <<'TAPE'
let base = args.get()[0];
let dead = args.get()[1];
fn show(name, r) {
  print(format("{}: status {} error={} type={} bytes={}", name, r["status"], r["error"] != "",
               get(r["headers"], "content-type", "-"), len(r["body"])));
  return r;
}
let ok = show("status", http.get(base + "/status"));
print("  x-service: " + ok["headers"]["x-service"] + ", body " + trim(ok["body"]));
show("missing", http.get(base + "/missing"));
show("broken", http.get(base + "/broken"));
let moved = show("moved", http.get(base + "/moved"));
print("  " + replace(trim(moved["body"]), "\n", ", "));
let post = http.request("POST", base + "/echo", {"X-Who": "ada"}, "three apples");
print("echo: " + trim(post["body"]));
let cookies = http.get(base + "/cookies");
print("joined: " + cookies["headers"]["set-cookie"]);
for line in cookies["header_list"] {
  if lower(line[0]) == "set-cookie" { print("line: " + line[1]); }
}
let large = show("large", http.get(base + "/large"));
print("  starts " + slice(large["body"], 0, 70));
let refused = show("refused", http.get(dead + "/"));
eprint("refused: " + refused["error"]);
let slow = show("slow", http.get(base + "/slow", {"timeout_ms": 300}));
eprint("slow: " + slow["error"]);
exit(3);
TAPE
start_server
run tape run http.tape --out http.bin -- "http://127.0.0.1:$PORT" "$DEAD"
expect_code 3
rec_out=$OUT rec_err=$ERR
expect_out "status: status 200 error=false type=text/plain bytes=3"
expect_out "  x-service: inventory, body ok"
expect_out "missing: status 404 error=false type=text/plain bytes=13"
expect_out "broken: status 500 error=false type=text/plain bytes=14"
expect_out "moved: status 200 error=false type=text/plain bytes=22"
expect_out "  pear 3, apple 12, fig 0"
expect_out "echo: got three apples from ada"
expect_out "joined: a=1; Path=/, b=2, with a comma"
expect_out "line: a=1; Path=/"
expect_out "line: b=2, with a comma"
expect_out "large: status 200 error=false type=application/octet-stream bytes=3145728"
expect_out "  starts a...............................................................b....."
expect_out "refused: status 0 error=true type=- bytes=0"
expect_out "slow: status 0 error=true type=- bytes=0"
expect_err "refused: Failed to connect to 127.0.0.1 port"
# The server answers /slow after 2 s: the request fails only if its 300 ms
# timeout was applied. curl's message says how long it waited, but counts
# from when it began to connect, not from when the timeout started (a loaded
# machine can put time between the two), and under load the connection
# itself may be what timed out: the number is not checked.
printf '%s\n' "$ERR" | grep -Eq '^slow: (Operation|Connection) timed out after [0-9]+ milliseconds' ||
  fail "slow: expected curl's timeout message"
stop_server

# The server is gone: the replay answers from the trace, byte for byte.
run tape replay http.tape --trace http.bin
expect_code 3
[ "$OUT" = "$rec_out" ] || fail "http: the replay printed another stdout"
[ "$ERR" = "$rec_err" ] || fail "http: the replay printed another stderr"
run tape inspect http.bin --filter http.request
expect_code 0
[ "$(printf '%s\n' "$OUT" | grep -c 'http.request(')" = 9 ] || fail "inspect: 9 http.request events"
expect_out "status=404"
expect_out "timed out"

# libcurl is loaded when a script first calls http.*, never before: tape
# does not link it, and a run without HTTP does not load it.
run ldd "$TAPE"
expect_code 0
expect_no_out "libcurl"
cat > nohttp.tape <<'TAPE'
print(clock.now() > 0);
TAPE
LD_DEBUG=libs run tape run nohttp.tape --out nohttp.bin
expect_code 0
[[ "$ERR" != *"libcurl"* ]] || fail "a run without http.* loaded libcurl"
LD_DEBUG=libs run tape replay http.tape --trace http.bin
expect_code 3
expect_err "libcurl"

# A malformed URL is the script's error, on record and on replay, and is
# not recorded.
cat > badurl.tape <<'TAPE'
print("before");
http.get("http://[bad");
TAPE
run tape run badurl.tape --out badurl.bin
expect_code 1
expect_err "badurl.tape:2:1: runtime error: http.get(): malformed URL 'http://[bad'"
run tape inspect badurl.bin
expect_no_out "http.request"
run tape replay badurl.tape --trace badurl.bin
expect_code 1
expect_err "http.get(): malformed URL"

# --- Commands: output, exit codes, a missing command, a timeout -------------
mkdir -p bin
cat > bin/count-lines <<'SH'
#!/bin/sh
# counts the lines of its standard input, and says so on stderr
n=$(wc -l)
echo "$n lines"
echo "counted $n" >&2
SH
chmod +x bin/count-lines
cat > proc.tape <<'TAPE'
fn show(r) {
  print(format("status={} signal={} timed_out={} error={} stdout={} stderr={}", r["status"],
               r["signal"], r["timed_out"], r["error"], str([r["stdout"]]), str([r["stderr"]])));
}
show(proc.run(["count-lines"], {"stdin": "a\nb\nc\n"}));
show(proc.run(["sh", "-c", "echo out; echo err >&2; exit 7"]));
show(proc.run(["no-such-command-for-tape"]));
show(proc.run(["sleep", "5"], {"timeout_ms": 200}));
show(proc.run(["sh", "-c", "kill -TERM $$"]));
show(proc.run(["printf", "a\\000b"]));
TAPE
PATH="$WORK/bin:$PATH" run tape run proc.tape --out proc.bin
expect_code 0
rec_out=$OUT
expect_out 'status=0 signal=0 timed_out=false error=0 stdout=["3 lines\n"] stderr=["counted 3\n"]'
expect_out 'status=7 signal=0 timed_out=false error=0 stdout=["out\n"] stderr=["err\n"]'
expect_out 'status=-1 signal=0 timed_out=false error=2 stdout=[""] stderr=[""]'
expect_out 'status=-1 signal=9 timed_out=true error=0 stdout=[""] stderr=[""]'
expect_out 'status=-1 signal=15 timed_out=false error=0 stdout=[""] stderr=[""]'
expect_out 'stdout=["a\x00b"]'
rm -r bin
command -v count-lines > /dev/null && fail "count-lines is still in PATH"
run tape replay proc.tape --trace proc.bin
expect_code 0
[ "$OUT" = "$rec_out" ] || fail "proc: the replay printed something else"

# --- The README's example script and C++ program ----------------------------
# Recorded against the server on a free port, replayed after it is gone;
# their outputs, and the events inspect shows, are the README's (which used
# port 8080).
readme_shows() {  # each line of $2 (with the port as 8080) is in the README
  local line
  while IFS= read -r line; do
    line=${line//127.0.0.1:$PORT/127.0.0.1:8080}
    grep -qF -- "$line" "$SRC/README.md" || fail "README does not show $1's line: $line"
  done <<< "$2"
}
start_server
run tape run "$SRC/examples/scripts/inventory.tape" --out inventory.bin -- "http://127.0.0.1:$PORT"
expect_code 0
script_out=$OUT
stop_server
run tape replay "$SRC/examples/scripts/inventory.tape" --trace inventory.bin
expect_code 0
[ "$OUT" = "$script_out" ] || fail "inventory.tape: the replay differs"
readme_shows inventory.tape "$script_out"
run tape run "$SRC/examples/scripts/inventory.tape" --out down.bin -- "$DEAD"
expect_code 2
expect_err "cannot reach the inventory at $DEAD: Failed to connect"
down_err=$ERR
start_server  # up again: the replay still reports the recorded failure
run tape replay --trace down.bin
expect_code 2
[ "$ERR" = "$down_err" ] || fail "inventory.tape: the replay of the failure differs"
stop_server

printf 'pear,5\napple,10\nfig,4\n' > minimums.csv
start_server
run "$EXAMPLE" record --out restock.bin -- "http://127.0.0.1:$PORT" minimums.csv
expect_code 0
example_out=$OUT
stop_server
rm minimums.csv
run "$EXAMPLE" replay --trace restock.bin
expect_code 0
[ "$OUT" = "$example_out" ] || fail "restock: the replay differs"
readme_shows restock "$example_out"
run tape inspect restock.bin
expect_code 0
# Event lines, without what differs from run to run: the time that starts
# each line and the measured durations ("-> ... in 14.71 ms  at").
untimed() {
  sed -nE 's/^ *[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ( +[0-9]+  )/\1/p' |
    sed -E 's/ in [0-9.]+ (ns|us|ms|s)  at /  at /'
}
events=$(printf '%s\n' "$OUT" | untimed)
[ "$(printf '%s\n' "$events" | wc -l)" = 5 ] || fail "restock's inspect should show 5 timed events: $OUT"
untimed < "$SRC/README.md" > readme_events.txt
while IFS= read -r line; do
  line=${line//127.0.0.1:$PORT/127.0.0.1:8080}
  grep -qF -- "$line" readme_events.txt || fail "README does not show restock's inspect line: $line"
done <<< "$events"
expect_out "db.query("
# The README's C++ block is the example's source, verbatim.
awk '$0 == "```cpp" { inside = 1; block = ""; next }
     $0 == "```" && inside { inside = 0; if (index(block, "db.query")) { printf "%s", block; exit } }
     inside { block = block $0 "\n" }' "$SRC/README.md" > readme_restock.cc
cmp -s readme_restock.cc "$SRC/tests/lang/restock/main.cc" ||
  fail "README's C++ service example differs from tests/lang/restock/main.cc"

finish
