#!/usr/bin/env python3
"""The script debugger end to end: `tape debug --batch` (JSON and text),
`tape replay --debug`, `--stop-at`, and `tape dap` driven by a scripted
Debug Adapter Protocol client over pipes (specs/debugger.md).

Every command is exercised forwards and backwards on scripts with functions
(recursion included), loops, maps and lists; a hidden bug is found the way a
user would; bad input gets a message and the session goes on.
Environment: TAPE (the binary)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

TAPE = os.environ["TAPE"]
FAILURES = []


def check(cond, what, context=""):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, ("\n  " + str(context)[:3000]) if context else "")


def run(args, stdin=None, env=None, timeout=60):
    p = subprocess.run([TAPE] + args, input=stdin, capture_output=True, text=True,
                       env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


WALK = """\
# Inventory walk: functions (one recursive), loops, maps and lists.
fn fact(n) {
  if n <= 1 {
    return 1;
  }
  return n * fact(n - 1);
}

fn restock(stock, name, amount) {
  let now = stock[name] + amount;
  stock[name] = now;
  return stock;
}

let stock = {"apples": 3, "pears": 0};
let names = keys(stock);
let log = [];
for name in names {
  stock = restock(stock, name, 2);
  push(log, name + "=" + str(stock[name]));
}
let i = 0;
while i < 3 {
  i += 1;
}
let f = fact(4);
let r = random.bits(2);
print(join(log, ",") + " f=" + str(f) + " r=" + str(len(r)));
let t = clock.now();
print("done");
"""

# The hidden bug (examples/scripts/order.tape, the README's example): the
# loop overwrites the total instead of adding to it.
ORDER = os.path.join(os.environ["TAPE_SOURCE_DIR"], "examples", "scripts", "order.tape")


def line_of(source, text, nth=0):
    found = [i + 1 for i, l in enumerate(source.splitlines()) if text in l]
    return found[nth]


class Session:
    """A `tape debug --batch --json` run: one JSON reply per command."""

    def __init__(self, script, trace, commands, extra=()):
        with open("cmds", "w") as f:
            f.write("\n".join(commands) + "\n")
        self.code, out, self.err = run(["debug", script, "--trace", trace, "-x", "cmds",
                                        "--json"] + list(extra))
        self.lines = [json.loads(l) for l in out.splitlines() if l.strip()]
        self.output = [l for l in self.lines if "output" in l]
        self.replies = [l for l in self.lines if "command" in l]
        self.entry = self.replies[0]
        self.by = self.replies[1:]
        check(len(self.by) == len([c for c in commands if c.strip() and not c.startswith("#")]),
              "one reply per command", out)

    def __getitem__(self, i):
        return self.by[i]


def stop(reply):
    return reply.get("stop", {})


def test_batch_walk():
    src = WALK
    with open("walk.tape", "w") as f:
        f.write(src)
    code, _, err = run(["run", "walk.tape", "--out", "walk.bin"])
    check(code == 0, "record walk.tape", err)
    L = lambda text: line_of(src, text)
    at = lambda r, line, fn=None: stop(r).get("line") == line and (
        fn is None or stop(r).get("function") == fn)
    val = lambda r, v: r.get("value") == v
    # Effects in walk.tape: seq 0 random.bits, 1 io.write, 2 clock.now, 3 io.write.
    steps = [
        ("break %d" % L("let now = stock"), lambda r: r["breakpoint"]["line"] == L("let now")),
        ("break walk.tape:%d if n == 2" % L("return n * fact"),
         lambda r: r["breakpoint"]["condition"] == "n == 2"),
        ("info breakpoints", lambda r: [b["id"] for b in r["breakpoints"]] == [1, 2]),
        ("run", lambda r: stop(r)["reason"] == "breakpoint" and stop(r)["breakpoints"] == [1]
         and at(r, L("let now"), "restock")),
        ("print name", lambda r: val(r, '"apples"')),
        ("print stock[name] + amount", lambda r: val(r, "5") and r["type"] == "int"),
        ("locals", lambda r: [v["name"] for v in r["locals"]] == ["stock", "name", "amount"]),
        ("globals", lambda r: {v["name"]: v["value"] for v in r["globals"]}["f"] is None and
         {v["name"]: v["value"] for v in r["globals"]}["stock"] == '{"apples": 3, "pears": 0}'),
        ("backtrace", lambda r: [f["function"] for f in r["frames"]] == ["restock", "top level"]
         and r["frames"][0]["args"][1]["value"] == '"apples"'),
        ("up", lambda r: r["frame"]["index"] == 1),
        ("print names", lambda r: val(r, '["apples", "pears"]')),
        ("down", lambda r: r["frame"]["index"] == 0),
        ("next", lambda r: at(r, L("stock[name] = now"), "restock")),
        ("print now", lambda r: val(r, "5")),
        ("reverse-finish", lambda r: at(r, L("stock = restock"), "top level")),
        ("step", lambda r: at(r, L("let now"), "restock")),
        ("finish", lambda r: stop(r)["finished"] == "restock" and
         stop(r)["returned"] == '{"apples": 5, "pears": 0}' and stop(r)["function"] == "top level"),
        ("reverse-step", lambda r: at(r, L("return stock"), "restock")),
        ("continue", lambda r: stop(r)["breakpoints"] == [1]),
        ("print name", lambda r: val(r, '"pears"')),
        ("reverse-continue", lambda r: stop(r)["breakpoints"] == [1]),
        ("print name", lambda r: val(r, '"apples"')),
        ("delete 1", lambda r: r["deleted"] == [1]),
        ("continue", lambda r: stop(r)["breakpoints"] == [2]),
        ("print n", lambda r: val(r, "2")),
        ("backtrace", lambda r: [f["function"] for f in r["frames"]] ==
         ["fact", "fact", "fact", "top level"]),
        ("finish", lambda r: stop(r)["returned"] == "2" and stop(r)["function"] == "fact"),
        ("reverse-next", lambda r: at(r, L("if n <= 1"), "fact")),
        ("until", lambda r: at(r, L("return n * fact"), "fact")),
        ("goto seq 1", lambda r: stop(r)["reason"] == "goto" and stop(r)["seq"] == 1 and
         at(r, L("print(join"))),
        ("where", lambda r: r["where"]["seq"] == 1 and r["where"]["next"]["kind"] == "io.write"),
        ("event", lambda r: r["event"]["seq"] == 1 and r["event"]["kind"] == "io.write"),
        ("events", lambda r: [e["seq"] for e in r["events"]] == [1, 2, 3]),
        ("events around 1", lambda r: [e["seq"] for e in r["events"]] == [0, 1, 2]),
        ("reverse-step", lambda r: at(r, L("let r = random.bits"))),
        ("print f", lambda r: val(r, "24")),
        ("goto seq 0", lambda r: stop(r)["seq"] == 0 and at(r, L("let r = random.bits"))),
        ("print t", lambda r: not r["ok"] and "no value yet" in r["error"]),
        ("continue", lambda r: stop(r)["reason"] == "exited" and stop(r)["ended"]),
        ("print t > 0", lambda r: val(r, "true")),
        ("reverse-next", lambda r: at(r, L('print("done")')) and not stop(r)["ended"]),
        ("list", lambda r: [x["line"] for x in r["lines"] if x["current"]] == [L('print("done")')]),
        ("delete", lambda r: r["deleted"] == [2]),
        ("break effect clock.now", lambda r: r["breakpoint"]["kind"] == "effect"),
        ("break site walk.tape:%d" % L("print(join"), lambda r: r["breakpoint"]["kind"] == "site"),
        ("break seq 2", lambda r: r["breakpoint"]["seq"] == 2),
        ("run", lambda r: stop(r)["breakpoints"] == [4] and stop(r)["seq"] == 1),
        ("continue", lambda r: sorted(stop(r)["breakpoints"]) == [3, 5] and stop(r)["seq"] == 2),
        ("reverse-continue", lambda r: stop(r)["breakpoints"] == [4] and stop(r)["seq"] == 1),
        ("info snapshots", lambda r: r["snapshots"]["count"] >= 1 and
         r["snapshots"]["budget"] == 64 << 20),
        ("delete 3 5", lambda r: r["deleted"] == [3, 5]),
        ("until %d" % L('print("done")'), lambda r: at(r, L('print("done")'))),
        ("help", lambda r: len(r["help"]) > 20),
    ]
    s = Session("walk.tape", "walk.bin", [c for c, _ in steps])
    check(s.code == 1, "a batch in which a command failed (print t) exits 1", s.err)
    check(s.entry["stop"]["reason"] == "entry", "starts at entry", s.entry)
    for i, (command, ok) in enumerate(steps):
        reply = s[i]
        good = False
        try:
            good = reply["ok"] or "print t" == command
            good = good and ok(reply)
        except (KeyError, TypeError, IndexError):
            good = False
        check(good, "%d: %s" % (i, command), reply)
    # Output: each event's output once, however often the run went over it.
    texts = [o["output"] for o in s.output]
    check(texts == ["apples=5,pears=2 f=24 r=2\n", "done\n"], "output once each", texts)


def test_hidden_bug():
    """The user's way to a wrong total, from the trace alone (the order file
    is gone): break where it is printed, see the wrong value, step back into
    the loop and watch it go wrong."""
    with open(ORDER) as f:
        src = f.read()
    with open("order.txt", "w") as f:
        f.write("tea 12 5\ncups 8 6\n")
    code, out, _ = run(["run", ORDER, "--out", "order.bin", "--", "order.txt"])
    check(out == "total: 48\n", "the recorded bug", out)
    os.remove("order.txt")
    loop = line_of(src, "total = line_total(item)")
    cmds = ["break %d" % line_of(src, 'print("total'),
            "continue",
            "print total",                # 48: wrong, 12*5 + 8*6 = 108 less 10% is expected
            "reverse-next",               # total = apply_discount(total)
            "print total",                # 48 before the discount too
            "reverse-next",               # the loop's test ran last
            "print total",
            "print item",
            "print line_total(item)",     # refused: a script function
            "break %d" % loop,
            "reverse-continue",           # the second iteration, before its assignment
            "print total",                # 60: the first line was counted
            "next",
            "print total",                # 48: it was overwritten, not added to
            ]
    with open("cmds", "w") as f:
        f.write("\n".join(cmds) + "\n")
    code, out, err = run(["debug", "--trace", "order.bin", "-x", "cmds", "--json"])
    s = [json.loads(l) for l in out.splitlines()][1:]
    check(len(s) == len(cmds), "one reply per command", out)
    check(s[2]["value"] == "48", "the wrong total", s[2])
    check(stop(s[3])["line"] == line_of(src, "total = apply_discount"), "back one line", s[3])
    check(s[4]["value"] == "48", "before the discount", s[4])
    check(stop(s[5])["line"] == loop - 1, "back to the loop", s[5])
    check(s[7]["value"] == '{"name": "cups", "price": 8, "qty": 6}', "the last item", s[7])
    check(not s[8]["ok"] and "not a builtin" in s[8]["error"], "script functions refused", s[8])
    check(stop(s[10])["line"] == loop and s[11]["value"] == "60", "the first line counted", s[11])
    check(s[13]["value"] == "48", "overwritten: the bug", s[13])


def test_snapshots():
    """Going back through thinned snapshots gives what going forward gave:
    the same values at the same seqs, within the snapshots' budget."""
    src = """\
let n = int(args.get()[0]);
let keep = [];
for i in 0..2000 {
  push(keep, "item number " + str(i) + " of the list the loop reads");
}
let total = 0;
for i in 0..n {
  let t = clock.now();
  total += t % 7 + len(keep[i % 2000]);
}
print(total);
"""
    with open("kept.tape", "w") as f:
        f.write(src)
    code, _, err = run(["run", "kept.tape", "--out", "kept.bin", "--", "400000"])
    check(code == 0, "record kept.tape", err)
    seqs = [5, 100000, 300000, 399990]
    ahead = []
    for q in seqs:
        ahead += ["goto seq %d" % q, "print total", "print i"]
    back = ["continue"]
    for q in reversed(seqs):
        back += ["goto seq %d" % q, "print total", "print i", "reverse-step", "print i"]
    back += ["info snapshots"]
    small = ["--snapshot-interval", "1", "--snapshot-memory", "1"]
    f = Session("kept.tape", "kept.bin", ahead, small)
    b = Session("kept.tape", "kept.bin", back, small)
    for k, q in enumerate(seqs):
        fw = (f[3 * k + 1]["value"], f[3 * k + 2]["value"])
        j = 1 + 5 * (len(seqs) - 1 - k)
        bw = (b[j + 1]["value"], b[j + 2]["value"])
        check(fw == bw and fw[1] == str(q - 1), "seq %d: the same values going back" % q,
              (fw, bw))
        check(b[j + 3]["ok"] and b[j + 4]["value"] == str(q - 2), "reverse-step at seq %d" % q,
              b[j + 3:j + 5])
    snaps = b[len(back) - 1]["snapshots"]
    check(snaps["budget"] == 1 << 20 and snaps["bytes"] <= snaps["budget"] and
          snaps["count"] >= 2, "snapshots thinned to their budget", snaps)


def test_bad_input():
    cmds = ["frobnicate",                    # unknown
            "break 1",                       # a comment line: no code
            "break 8",                       # a blank line
            "break other.tape:3",
            "break 9999",
            "print 1 +",                     # syntax error
            "print clock.now()",             # an effect
            "print print(1)",
            "print push(log, 1)",            # changes a variable
            "print x = 1",
            "goto seq 99",                   # past the end
            "break seq 99",
            "goto seq banana",
            "finish",                        # at the top level
            "reverse-finish",
            "events 0",
            "frame 7",
            "list 9999",
            "delete 42",
            "break effect http.request",     # never called
            "break time +1h",
            "info nonsense",
            "print nosuch",
            "break 7 if",                    # a condition left out
            "until 0",                       # lines count from 1
            "list 0",
            "goto",
            "info",
            "break /elsewhere/other.tape:3",
            "step",                          # and the session goes on
            ]
    s = Session("walk.tape", "walk.bin", cmds)
    for i, reply in enumerate(s.by[:-1]):
        check(not reply["ok"] and reply["error"], "bad input %r is an error" % cmds[i], reply)
    check("unknown command" in s[0]["error"], "unknown command message", s[0])
    check("no code" in s[1]["error"] and "nearby" in s[1]["error"], "no code message", s[1])
    check("syntax error at column" in s[5]["error"], "syntax error message", s[5])
    check("calls an effect (clock.now)" in s[6]["error"], "effect message", s[6])
    check("changes a variable" in s[8]["error"], "place builtins refused", s[8])
    check("past the end" in s[10]["error"] and "seq 0..3" in s[10]["error"], "seq past the end",
          s[10])
    check("needs a condition" in s[23]["error"], "break ... if without a condition", s[23])
    check("lines count from 1" in s[24]["error"] and "lines count from 1" in s[25]["error"],
          "line 0 is not a line", s[24:26])
    check("goto seq N or goto time T" in s[26]["error"], "goto without a place", s[26])
    check(s[27]["error"].startswith("info: say info breakpoints"), "info alone", s[27])
    check("is not the script" in s[28]["error"], "a path to another file", s[28])
    check(s[-1]["ok"] and stop(s[-1])["reason"] == "step", "the session goes on", s[-1])
    check(s.code == 1, "a batch with failed commands exits 1", s.code)
    check("never calls the effect http.request" in s[19]["error"] and
          "it calls clock.now, io.write, random.bits" in s[19]["error"],
          "an effect the script never calls", s[19])
    # Effect names come from the effects' registry.
    e = Session("walk.tape", "walk.bin", ["break effect nosuch.kind", "break effect clock",
                                          "continue"])
    check(not e[0]["ok"] and "'nosuch.kind' is not an effect (tape's effects: " in
          e[0]["error"] and "clock.now" in e[0]["error"] and "http.request" in e[0]["error"], "an unknown effect", e[0])
    check(e[1]["ok"] and e[1]["breakpoint"]["where"] == "effect clock.now", "a module's one effect",
          e[1])
    check(stop(e[2]).get("seq") == 2 and stop(e[2]).get("breakpoints") == [1],
          "break effect stops at the call", e[2])


REVERSE = """\
fn sq(x) {
  return x * x;
}
fn tri(n) {
  let s = 0; let k = 0; while k < n { k += 1; s += sq(k); }
  return s;
}
fn fib(n) {
  if n < 2 {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}
let i = 0; while i < 3000 { i += 1; }
let seen = {};
for j in 0..4 {
  let u = clock.now();
  seen[str(j)] = [tri(j), fib(j + 2), u % 2];
}
print(str(len(seen)) + " " + str(i));
"""


def test_reverse_retraces_forward():
    """Every move back lands where the matching move forward stopped, in the
    opposite order: step / reverse-step (into calls and recursion, across a
    one-line loop of 3000 iterations, longer than a line search's first
    window), next / reverse-next, and continue / reverse-continue over line,
    conditional, effect and seq breakpoints."""
    with open("rev.tape", "w") as f:
        f.write(REVERSE)
    code, _, err = run(["run", "rev.tape", "--out", "rev.bin"])
    check(code == 0, "record rev.tape", err)

    def place(r):
        s = stop(r)
        return (s.get("line"), s.get("function"), s.get("position"), s.get("seq"))

    def retrace(forward, backward, setup=(), limit=2000):
        first = Session("rev.tape", "rev.bin", list(setup) + [forward] * limit)
        moves = [r for r in first.by[len(setup):]]
        ended = [k for k, r in enumerate(moves) if stop(r).get("ended")]
        check(ended, "%s reaches the end within %d moves" % (forward, limit))
        if not ended:
            return
        n = ended[0]  # moves[n] is the end (exit)
        there = [place(first.entry)] + [place(r) for r in moves[:n]]
        # The stop before the exit on its line (the end of the file) is the
        # exit's line: a move back from the exit goes to the line before.
        if there[-1][:2] == place(moves[n])[:2]:
            there.pop()
        both = Session("rev.tape", "rev.bin",
                       list(setup) + [forward] * (n + 1) + [backward] * len(there))
        back = [place(r) for r in both.by[len(setup) + n + 1:]]
        check(all(r["ok"] for r in both.by), "%s and %s all succeed" % (forward, backward))
        got_reasons = [stop(r)["reason"] for r in both.by[len(setup) + n + 1:]]
        want = list(reversed(there))
        bad = [(k, w, g) for k, (w, g) in enumerate(zip(want, back)) if w != g]
        check(len(back) == len(want) and not bad,
              "%s retraces %s (%d moves)" % (backward, forward, n), bad[:3])
        check(got_reasons[-1] in ("start", "step") and back[-1][2] == 0,
              "%s ends at the start" % backward, got_reasons[-3:])
        return n

    steps = retrace("step", "reverse-step")
    check(steps is not None and steps > 50, "the step walk goes into calls", steps)
    retrace("next", "reverse-next")
    bps = ["break %d if x %% 2 == 1" % line_of(REVERSE, "return x * x"),
           "break effect clock.now", "break seq 3",
           "break %d if n == 2" % line_of(REVERSE, "return fib(n - 1)")]
    hits = retrace("continue", "reverse-continue", bps)
    check(hits is not None and hits > 8, "the breakpoints were hit", hits)


def test_times():
    """goto time and break time: the first event recorded at or after a time."""
    with open("slow.tape", "w") as f:
        f.write("let a = clock.now();\ntime.sleep(200);\nlet b = clock.now();\n"
                "time.sleep(200);\nlet c = clock.now();\nprint(str(c > a));\n")
    code, _, err = run(["run", "slow.tape", "--out", "slow.bin"])
    check(code == 0, "record slow.tape", err)
    events = Session("slow.tape", "slow.bin", ["events"])[0]["events"]
    t1 = events[1]["time"] + 1  # just after the first sleep began: the next event is seq 2
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t1 // 10**9)) + ".%09dZ" % (t1 % 10**9)
    s = Session("slow.tape", "slow.bin", [
        "goto time " + iso, "print a > 0", "print b",
        "break time -100ms",   # back from the end: the last sleep began 200 ms before it
        "continue", "where",
        "reverse-continue",
        "goto time +0s",
        "goto time +1h"])
    check(stop(s[0])["reason"] == "goto" and stop(s[0])["seq"] == 2 and stop(s[0])["line"] == 3,
          "goto time: before the first event at or after it", s[0])
    check(s[1]["value"] == "true" and not s[2]["ok"], "goto time: the state there", s[1:3])
    check(s[3]["ok"] and s[3]["breakpoint"]["seq"] == 4 and s[3]["breakpoint"]["kind"] == "seq",
          "break time resolves to a seq", s[3])
    check(stop(s[4])["reason"] == "breakpoint" and stop(s[4])["seq"] == 4, "break time hit", s[4])
    check(s[5]["where"]["time"] == events[4]["time"], "where shows the recorded time", s[5])
    check(stop(s[6])["reason"] == "start", "no earlier hit of a time breakpoint", s[6])
    check(stop(s[7])["seq"] == 0, "goto time +0s: the first event", s[7])
    check(not s[8]["ok"] and "no event at or after" in s[8]["error"], "a time past the end", s[8])
    # --batch is -x's long form; the breakpoint's file may be given as a path.
    with open("cmds", "w") as f:
        f.write("break %s:3\ncontinue\nprint a > 0\n" % os.path.abspath("slow.tape"))
    code, out, err = run(["debug", "slow.tape", "--trace", "slow.bin", "--batch", "cmds"])
    check(code == 0 and "breakpoint 1, slow.tape:3" in out and out.rstrip().endswith("true"),
          "--batch FILE, break PATH:LINE", (out, err))


def test_text_mode():
    with open("cmds", "w") as f:
        f.write("break 19\nrun\nprint stock\nnext\nreverse-next\ndelete\ncontinue\n"
                "reverse-step\ncontinue\nnonsense\nwhere\nquit\n")
    code, out, err = run(["debug", "walk.tape", "--trace", "walk.bin", "-x", "cmds"])
    check(code == 1, "text batch with an error exits 1", err)
    for text in ["stopped at the start of walk.tape", "breakpoint 1 at line 19",
                 "breakpoint 1, walk.tape:19 in the top level", '{"apples": 3, "pears": 0}',
                 "error: unknown command 'nonsense'", "apples=5,pears=2 f=24 r=2",
                 "exited with code 0, as recorded", "next: "]:
        check(text in out, "text transcript shows %r" % text, out)
    check(out.count("done\n") == 1, "output shown once in text mode", out)
    # A loop writing one line replays as a run of equal events: every
    # write's output is still shown, through the debugger.
    with open("lines.tape", "w") as f:
        f.write('for i in 0..6 {\n  print("line");\n}\nprint("done");\n')
    code, _, err = run(["run", "lines.tape", "--out", "lines.bin"])
    check(code == 0, "record lines.tape", err)
    code, out, err = run(["debug", "lines.tape", "--trace", "lines.bin"], stdin="continue\n")
    check(code == 0 and out.count("line\n") == 6 and out.count("done\n") == 1,
          "a loop's output shown once per write", (out, err))
    # Commands from a pipe (not a terminal): no prompt, plain lines.
    code, out, _ = run(["debug", "--trace", "walk.bin"], stdin="break 27\ncontinue\nprint i\n")
    check(code == 0 and out.strip().endswith("3"), "stdin commands, script from the trace", out)
    # Usage errors.
    code, _, err = run(["debug", "walk.tape"])
    check(code == 2 and "--trace" in err, "debug without a trace", err)
    code, _, err = run(["debug", "walk.tape", "--trace", "nosuch.bin"])
    check(code == 81, "debug of a missing trace", err)
    with open("changed.tape", "w") as f:
        f.write(WALK.replace('print("done")', 'print("done!")'))
    os.replace("changed.tape", "walk2.tape")
    code, _, err = run(["record", "dice", "--out", "dice.bin"])
    code, _, err = run(["debug", "--trace", "dice.bin"])
    check(code == 2 and "--stop-at" in err, "a built-in's trace points to --stop-at", err)


def test_replay_debug():
    os.makedirs("edited", exist_ok=True)
    with open("edited/walk.tape", "w") as f:
        f.write(WALK.replace('print("done")', 'print("done!")'))
    code, out, err = run(["replay", "edited/walk.tape", "--trace", "walk.bin", "--debug"])
    check(code == 80 and "CodeHashMismatch" in err, "--debug keeps the code hash check", err)
    code, out, err = run(["replay", "edited/walk.tape", "--trace", "walk.bin", "--debug",
                          "--ignore-code-hash"], stdin="bt\nprint t > 0\nreverse-step\nprint i\n")
    check(code == 80, "replay --debug exits 80 after a drift", (out, err))
    check("ArgsMismatch at seq 3" in out and "walk.tape:%d" % line_of(WALK, 'print("done")') in out,
          "lands on the drift", out)
    check("#0  top level" in out and "true" in out, "looks around at the drift", out)
    check(out.rstrip().endswith("3"), "goes back from the drift", out)
    code, out, err = run(["replay", "walk.tape", "--trace", "walk.bin", "--debug"])
    check(code == 0 and out.endswith("done\n"), "replay --debug without drift is a replay", out)


def wait_stopped(pid, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[1].split()[0] == "T":
                return True
        time.sleep(0.01)
    return False


def test_stop_at():
    """Without a debugger, --stop-at stops the process just before the event,
    for one to attach; SIGCONT goes on."""
    with open("out", "w") as out:
        p = subprocess.Popen([TAPE, "replay", "walk.tape", "--trace", "walk.bin", "--stop-at",
                              "3"], stdout=out, stderr=subprocess.PIPE, text=True)
        check(wait_stopped(p.pid), "--stop-at stops the process")
        with open("out") as f:
            printed = f.read()
        check(printed == "apples=5,pears=2 f=24 r=2\n", "stopped before event 3 (after 1)",
              printed)
        os.kill(p.pid, signal.SIGCONT)
        _, err = p.communicate(timeout=30)
    check(p.returncode == 0, "goes on after SIGCONT", err)
    check("stopped just before event 3" in err and "gdb -p" in err, "says how to attach", err)
    with open("out") as f:
        check(f.read().endswith("done\n"), "the replay finished")


class Dap:
    def __init__(self):
        self.stderr = tempfile.TemporaryFile()
        self.p = subprocess.Popen([TAPE, "dap"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.stderr)
        self.seq = 0
        self.events = []
        self.outputs = []

    def send(self, command, arguments=None):
        self.seq += 1
        m = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            m["arguments"] = arguments
        body = json.dumps(m).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()
        return self.seq

    def read(self):
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            c = self.p.stdout.read(1)
            if not c:
                raise EOFError("tape dap closed its output")
            header += c
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        m = json.loads(self.p.stdout.read(length))
        if m.get("event") == "output":
            self.outputs.append(m["body"])
        return m

    def send_together(self, *requests):
        """Several requests in one write: the adapter finds them all waiting."""
        data = b""
        for command, arguments in requests:
            self.seq += 1
            body = json.dumps({"seq": self.seq, "type": "request", "command": command,
                               "arguments": arguments}).encode()
            data += b"Content-Length: %d\r\n\r\n" % len(body) + body
        self.p.stdin.write(data)
        self.p.stdin.flush()
        return self.seq

    def response(self, request_seq):
        while True:
            m = self.read()
            if m["type"] == "response" and m["request_seq"] == request_seq:
                return m
            if m["type"] == "event":
                self.events.append(m)

    def request(self, command, arguments=None):
        s = self.send(command, arguments)
        while True:
            m = self.read()
            if m["type"] == "response" and m["request_seq"] == s:
                check(m["command"] == command, "response names its command", m)
                return m
            self.events.append(m)

    def stopped(self):
        while True:
            for i, m in enumerate(self.events):
                if m["event"] == "stopped":
                    del self.events[:i + 1]
                    return m["body"]
            self.events.append(self.read())

    def frame(self):
        return self.request("stackTrace", {"threadId": 1})["body"]["stackFrames"][0]


def test_dap():
    src = WALK
    d = Dap()
    init = d.request("initialize", {"adapterID": "tape", "linesStartAt1": True})
    caps = init["body"]
    for cap in ["supportsStepBack", "supportsConditionalBreakpoints",
                "supportsConfigurationDoneRequest", "supportsEvaluateForHovers"]:
        check(caps.get(cap) is True, "capability " + cap, caps)
    bad = d.request("launch", {"trace": "nosuch.bin"})
    check(not bad["success"] and bad["message"], "launch of a missing trace fails", bad)
    ok = d.request("launch", {"program": "walk.tape", "trace": "walk.bin"})
    check(ok["success"], "launch", ok)
    check(any(e["event"] == "initialized" for e in d.events) or
          d.read()["event"] == "initialized", "initialized event")
    bps = d.request("setBreakpoints", {
        "source": {"path": os.path.abspath("walk.tape")},
        "breakpoints": [{"line": line_of(src, "let now = stock"), "condition": 'name == "pears"'},
                        {"line": 1}]})["body"]["breakpoints"]
    check(bps[0]["verified"] and not bps[1]["verified"] and "no code" in bps[1]["message"],
          "setBreakpoints verifies lines and conditions", bps)
    d.request("configurationDone")
    st = d.stopped()
    check(st["reason"] == "breakpoint" and st["hitBreakpointIds"] == [bps[0]["id"]],
          "stopped at the conditional breakpoint", st)
    check(d.request("threads")["body"]["threads"] == [{"id": 1, "name": "script"}], "threads")
    frames = d.request("stackTrace", {"threadId": 1})["body"]["stackFrames"]
    check([f["name"] for f in frames] == ["restock", "top level"] and
          frames[0]["source"]["path"] == os.path.abspath("walk.tape"), "stackTrace", frames)
    scopes = d.request("scopes", {"frameId": frames[0]["id"]})["body"]["scopes"]
    check([s["name"] for s in scopes] == ["Locals", "Globals", "Recording"], "scopes", scopes)
    locals_ = d.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    v = {x["name"]: x for x in locals_["body"]["variables"]}
    check(v["name"]["value"] == '"pears"' and v["stock"]["variablesReference"] > 0,
          "variables", v)
    kids = d.request("variables", {"variablesReference": v["stock"]["variablesReference"]})
    kids = {x["name"]: x["value"] for x in kids["body"]["variables"]}
    check(kids == {'"apples"': "5", '"pears"': "0"}, "a map's entries", kids)
    globs = d.request("variables", {"variablesReference": scopes[1]["variablesReference"]})
    gl = {x["name"]: x for x in globs["body"]["variables"]}
    check(gl["log"]["value"] == '["apples=5"]' and gl["log"]["variablesReference"] > 0,
          "globals", gl)
    items = d.request("variables", {"variablesReference": gl["log"]["variablesReference"]})
    check(items["body"]["variables"][0]["name"] == "[0]", "a list's items", items)
    rec = d.request("variables", {"variablesReference": scopes[2]["variablesReference"]})
    check("random.bits" in json.dumps(rec) or "io.write" in json.dumps(rec) or "seq" in
          json.dumps(rec), "the recording scope", rec)
    ev = d.request("evaluate", {"expression": "amount * 10", "frameId": frames[0]["id"],
                                "context": "watch"})
    check(ev["success"] and ev["body"]["result"] == "20", "evaluate", ev)
    ev = d.request("evaluate", {"expression": "names", "frameId": frames[1]["id"],
                                "context": "hover"})
    check(ev["body"]["result"] == '["apples", "pears"]', "evaluate in the caller's frame", ev)
    ev = d.request("evaluate", {"expression": "random.bits(4)", "frameId": 1, "context": "repl"})
    check(not ev["success"] and "effect" in ev["message"], "evaluate refuses effects", ev)
    ev = d.request("evaluate", {"expression": "-where", "context": "repl"})
    check(ev["success"] and "next:" in ev["body"]["result"], "debugger commands in the console",
          ev)
    d.request("next", {"threadId": 1})
    check(d.stopped()["reason"] == "step" and d.frame()["line"] == line_of(src, "stock[name] = now"),
          "next")
    d.request("stepBack", {"threadId": 1})
    check(d.stopped()["reason"] == "step" and d.frame()["line"] == line_of(src, "let now = stock"),
          "stepBack")
    d.request("stepOut", {"threadId": 1})
    st = d.stopped()
    check(st["reason"] == "step" and d.frame()["name"] == "top level", "stepOut", st)
    d.request("stepIn", {"threadId": 1})
    check(d.stopped()["reason"] == "step" and d.frame()["line"] == line_of(src, "push(log"),
          "stepIn over a builtin: the next line")
    d.request("reverseContinue", {"threadId": 1})
    st = d.stopped()
    check(st["reason"] == "breakpoint", "reverseContinue", st)
    d.request("setBreakpoints", {"source": {"path": os.path.abspath("walk.tape")},
                                 "breakpoints": []})
    ev = d.request("evaluate", {"expression": "-goto seq 2", "context": "repl"})
    st = d.stopped()
    check(st["reason"] == "goto" and d.frame()["line"] == line_of(src, "let t = clock.now"),
          "goto from the console", (ev, st))
    d.request("continue", {"threadId": 1})
    st = d.stopped()
    outputs = [o["output"] for o in d.outputs if o["category"] == "stdout"]
    check(st["reason"] == "end" and outputs == ["apples=5,pears=2 f=24 r=2\n", "done\n"],
          "output events, then the end", (st, outputs))
    refused = d.request("continue", {"threadId": 1})
    check(not refused["success"] and "ended" in refused["message"], "continue past the end", refused)
    d.request("stepBack", {"threadId": 1})
    check(d.stopped()["reason"] == "step" and d.frame()["line"] == line_of(src, 'print("done")'),
          "stepBack from the end")
    info = d.request("exceptionInfo", {"threadId": 1})
    check(info["success"], "exceptionInfo", info)
    check(d.request("setExceptionBreakpoints", {"filters": []})["success"],
          "setExceptionBreakpoints is accepted")
    d.request("setBreakpoints", {"source": {"path": os.path.abspath("walk.tape")},
                                 "breakpoints": [{"line": line_of(src, "let now = stock")}]})
    d.request("restart")
    st = d.stopped()
    ev = d.request("evaluate", {"expression": "name", "context": "watch"})
    check(st["reason"] == "breakpoint" and ev["body"]["result"] == '"apples"',
          "restart runs from the start to the first breakpoint", (st, ev))
    unknown = d.request("frobnicate")
    check(not unknown["success"], "an unknown request is refused", unknown)
    d.request("disconnect")
    check(d.p.wait(timeout=30) == 0, "disconnect ends tape dap")


def test_dap_drift():
    """A drift is an exception stop; the trace's own copy of the script is
    served by `source`."""
    d = Dap()
    d.request("initialize", {"adapterID": "tape"})
    d.request("launch", {"program": "edited/walk.tape", "trace": "walk.bin",
                         "ignoreCodeHash": True, "stopOnEntry": True})
    d.request("configurationDone")
    check(d.stopped()["reason"] == "entry", "stopOnEntry")
    d.request("continue", {"threadId": 1})
    st = d.stopped()
    check(st["reason"] == "exception" and "drift at seq 3" in st["description"],
          "drift stops as an exception", st)
    info = d.request("exceptionInfo", {"threadId": 1})["body"]
    check(info["exceptionId"] == "drift: ArgsMismatch" and "done!" in info["description"],
          "exceptionInfo explains the drift", info)
    d.request("disconnect")
    d.p.wait(timeout=30)
    d = Dap()
    d.request("initialize", {"adapterID": "tape"})
    d.request("launch", {"trace": "walk.bin", "stopOnEntry": True})
    d.request("configurationDone")
    d.stopped()
    src = d.frame()["source"]
    check(src.get("sourceReference") == 1 and "path" not in src, "the trace's copy", src)
    content = d.request("source", {"sourceReference": 1})["body"]["content"]
    check(content == WALK, "source serves the script", content[:100])
    # Framing errors end the adapter with a message, never a hang.
    d.p.stdin.write(b"Content-Length: nonsense\r\n\r\n{}")
    d.p.stdin.close()
    check(d.p.wait(timeout=30) == 2, "a broken message ends tape dap with 2")
    d.stderr.seek(0)
    err = d.stderr.read().decode()
    check("Content-Length" in err, "and says why", err)


def test_dap_pause():
    """pause stops a long run between its slices; disconnect does too, so
    that ending a session never waits for a run; stepIn goes into a call;
    a client counting lines from 0; terminate."""
    d = Dap()
    d.request("initialize", {"adapterID": "tape"})
    d.request("launch", {"program": "kept.tape", "trace": "kept.bin", "stopOnEntry": True})
    d.request("configurationDone")
    check(d.stopped()["reason"] == "entry", "entry")
    # Both requests wait in the adapter's input as the run starts: the first
    # check between slices (after at most ~1M of the run's ~8M instructions)
    # finds the pause.
    last = d.send_together(("continue", {"threadId": 1}), ("pause", {"threadId": 1}))
    check(d.response(last)["success"], "pause answered")
    st = d.stopped()
    check(st["reason"] == "pause", "a pause stops the run", st)
    ev = d.request("evaluate", {"expression": "total", "context": "watch"})
    check(ev["success"], "looks around after the pause", ev)
    outputs = [o["output"] for o in d.outputs if o["category"] == "stdout"]
    check(outputs == [], "paused before the end", outputs)
    last = d.send_together(("continue", {"threadId": 1}), ("disconnect", {}))
    check(d.response(last)["success"], "disconnect answered during a run")
    check(d.p.wait(timeout=30) == 0, "disconnect ends tape dap")
    outputs = [o["output"] for o in d.outputs if o["category"] == "stdout"]
    check(outputs == [], "the run stopped for the disconnect, short of the end", outputs)

    d = Dap()
    d.request("initialize", {"adapterID": "tape", "linesStartAt1": False,
                             "columnsStartAt1": False})
    d.request("launch", {"program": "walk.tape", "trace": "walk.bin"})
    call = line_of(WALK, "stock = restock")
    bps = d.request("setBreakpoints", {"source": {"path": os.path.abspath("walk.tape")},
                                       "breakpoints": [{"line": call - 1}]})["body"]["breakpoints"]
    check(bps[0]["verified"] and bps[0]["line"] == call - 1, "a 0-based breakpoint line", bps)
    d.request("configurationDone")
    st = d.stopped()
    check(st["reason"] == "breakpoint" and d.frame()["line"] == call - 1, "0-based lines", st)
    d.request("stepIn", {"threadId": 1})
    d.stopped()
    f = d.frame()
    check(f["name"] == "restock" and f["line"] == line_of(WALK, "let now") - 1, "stepIn into a call",
          f)
    t = d.request("terminate")
    check(t["success"], "terminate")
    check(d.p.wait(timeout=30) == 0, "terminate ends tape dap")


def main():
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        for test in [test_batch_walk, test_hidden_bug, test_snapshots, test_bad_input,
                     test_reverse_retraces_forward, test_times, test_text_mode,
                     test_replay_debug, test_stop_at, test_dap, test_dap_drift, test_dap_pause]:
            try:
                test()
            except Exception as e:  # a crash of the test is a failure, not a stop
                check(False, "%s raised %r" % (test.__name__, e))
    if FAILURES:
        print("%d expectation(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all expectations met")


if __name__ == "__main__":
    main()
