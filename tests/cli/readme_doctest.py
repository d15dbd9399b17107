#!/usr/bin/env python3
"""Runs the commands the README shows and compares their output with what it shows.

In the spirit of cram and trycmd: every indented code block of README.md that
holds lines starting with "$ " is a transcript. Each "$ " line is a command,
and the lines after it, up to the next command, are its expected output
(stdout and stderr together, as a terminal shows them). Lines of a block
before its first command (a script shown for reading) are not checked.

How a transcript runs:
- Blocks run in README order, in one scratch directory, so a block may use
  the files an earlier block made (dice.bin, ...). In that directory,
  `examples` and `README.md` are the source tree's, `build/release` is the
  build, and `tape` is on PATH.
- All the commands of a block run in one bash, one after the other, so `cd`,
  variables and background jobs (`cmd &`, then `kill %1`) work as they would
  for a reader. A command ending in `&` runs in the background; its first
  line of output is awaited (its readiness) and is its shown output.
- `$ cat FILE` of a FILE that does not exist yet creates it from the shown
  text: that is how the README gives a reader (and the test) a script.
- Exit codes are not compared; show them with `&& echo ok` or `; echo $?`.

How output is compared: both sides are masked first, so that what differs
from run to run does not count. Masked everywhere:
- dates and times (2026-11-25 21:06:14 UTC, 22:33:35.299532),
- numbers of 10 digits or more (Unix times, clock readings, seeds),
- durations (0.41 ms, 2.07 s, 14.71 ms) and rates (25 runs/s),
- hex of 16 digits or more (hashes, site ids, checksums), the bytes of a
  random result ("1 bytes 4a"), and the scratch directory's path.
A line `...` in the expected output stands for any number of lines.

Directives: an HTML comment just before a block (invisible on GitHub) says
more about it, one per comment:
- `<!-- doctest: skip REASON -->`: the block is not run (it needs the
  network, a program of the reader's, a hand edit; say which). Use it only
  for what cannot run here.
- `<!-- doctest: setup COMMAND -->`: a shell command run first, unseen (to
  make a file the text mentions but does not show).
- `<!-- doctest: mask REGEX -->`: a Python regular expression masked in
  this block too (a random roll, a run number, a count that varies).
- `<!-- doctest: free-port 8080 -->`: the block's commands use a free port
  instead of 8080, and the output says 8080 again.

Usage: readme_doctest.py README.md   (TAPE, TAPE_SOURCE_DIR and
TAPE_BUILD_DIR set; TAPE_DOCTEST_UNTIL=LINE stops after the block at that
line, which runs with the files the blocks before it made).
"""

import difflib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

GLOBAL_MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?: UTC|Z)?"), "[TIME]"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:\.\d+)?\b"), "[TIME]"),
    (re.compile(r"\b[0-9a-f]{16,}\b"), "[HEX]"),
    (re.compile(r"\b(\d+ bytes )[0-9a-f]+\b"), r"\1[BYTES]"),
    (re.compile(r"\b\d{10,}(?:\.\d+)?"), "[N]"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(?:ns|us|µs|ms|s)\b"), "[DURATION]"),
    (re.compile(r"\b\d+(?:\.\d+)? runs/s\b"), "[RATE]"),
    # How many runs a hunt does at a time (one per CPU), and whether a run was
    # still going when it stopped, depend on the machine.
    (re.compile(r"\b\d+ at a time(; \d+ more stopped unfinished)?"), "[J] at a time"),
]

DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(\S+)\s*(.*?)\s*-->\s*$")


class Block:
    def __init__(self, line):
        self.line = line           # README line of the block's first line
        self.commands = []         # (README line, command text, expected lines)
        self.skip = None
        self.setup = []
        self.masks = []
        self.free_port = None


def parse(readme):
    lines = readme.split("\n")
    blocks, pending = [], []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            i += 1
            continue
        m = DIRECTIVE.match(line)
        if m and not in_fence:
            pending.append((m.group(1), m.group(2), i + 1))
            i += 1
            continue
        indented = line.startswith("    ") and line.strip()
        if in_fence or not indented or (i > 0 and lines[i - 1].strip()):
            if line.strip() and not indented and not m:
                pass
            i += 1
            continue
        # An indented code block: lines at least as indented, and blank lines.
        indent = len(line) - len(line.lstrip(" "))
        j = i
        while j < len(lines) and (not lines[j].strip() or
                                  len(lines[j]) - len(lines[j].lstrip(" ")) >= indent):
            j += 1
        body = [l[indent:] if l.strip() else "" for l in lines[i:j]]
        block = Block(i + 1)
        for k, text in enumerate(body):
            if text.startswith("$ "):
                block.commands.append([i + k + 1, text[2:], []])
            elif block.commands:
                block.commands[-1][2].append(text)
        if block.commands:
            for name, arg, at in pending:
                if name == "skip":
                    block.skip = arg or "no reason given"
                elif name == "setup":
                    block.setup.append(arg)
                elif name == "mask":
                    block.masks.append(re.compile(arg))
                elif name == "free-port":
                    block.free_port = arg
                else:
                    sys.exit(f"README.md:{at}: unknown doctest directive '{name}'")
            blocks.append(block)
        elif pending:
            sys.exit(f"README.md:{pending[0][2]}: a doctest directive before a block without commands")
        pending = []
        i = j
    # A command may go on over lines ending in a backslash.
    for block in blocks:
        for cmd in block.commands:
            while cmd[1].endswith("\\") and cmd[2]:
                cmd[1] = cmd[1][:-1] + "\n" + cmd[2].pop(0)
            while cmd[2] and not cmd[2][-1].strip():
                cmd[2].pop()
    return blocks


def mask(text, block, scratch):
    text = text.replace(scratch + "/", "").replace(scratch, ".")
    for regex in block.masks:
        text = regex.sub("[…]", text)
    for regex, replacement in GLOBAL_MASKS:
        text = regex.sub(replacement, text)
    return text


def same_line(expected, actual):
    """Equal but for runs of spaces: a column's padding follows the width of
    numbers a block masks (a seq of one digit or two, as threads interleave)."""
    return expected.split() == actual.split()


def matches(expected, actual):
    """Whether `actual` lines match `expected`, where a line '...' matches any lines."""
    memo = {}

    def go(e, a):
        if (e, a) in memo:
            return memo[(e, a)]
        if e == len(expected):
            result = a == len(actual)
        elif expected[e].strip() == "...":
            result = any(go(e + 1, k) for k in range(a, len(actual) + 1))
        else:
            result = a < len(actual) and same_line(expected[e], actual[a]) and go(e + 1, a + 1)
        memo[(e, a)] = result
        return result

    return go(0, 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def run_block(block, scratch, env):
    token = "@@doctest-" + secrets.token_hex(8) + "@@"
    port = free_port() if block.free_port else None
    script = ["exec 2>&1", "exec < /dev/null"]
    script += block.setup
    for n, (line, command, expected) in enumerate(block.commands):
        if port:
            command = command.replace(block.free_port, port)
        m = re.fullmatch(r"cat (\S+)", command.split("#")[0].strip())
        if m and not os.path.exists(os.path.join(scratch, m.group(1))):
            path = os.path.join(scratch, m.group(1))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("\n".join(expected) + "\n")
        script.append(f"printf '%s\\n' '{token}{n}'")
        background = re.fullmatch(r"(.*?[^&])&\s*(#.*)?", command.strip(), re.S)
        if background:
            out = f".doctest-bg{n}"
            script.append(f"{background.group(1)} > {out} 2>&1 &")
            script.append(f"for i in $(seq 1 400); do [ -s {out} ] && break; sleep 0.05; done; "
                          f"head -n 1 {out}")
        else:
            script.append(command)
    script.append(f"printf '%s\\n' '{token}end'")
    script.append("kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; true")
    try:
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=scratch, env=env,
                              stdout=subprocess.PIPE, timeout=600)
        output = done.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode("utf-8", "replace") + "\n[the block ran past 600 s]\n"
    if port:
        if "http_server: cannot listen" in output:
            # Another process took the free port between free_port() and
            # the server's bind: the block says nothing; the caller runs it
            # again on another port.
            return None
        output = output.replace(port, block.free_port)
    # Each command's output: from its marker to the next.
    parts = re.split(re.escape(token) + r"(\d+|end)\n", output)
    found = {}
    for k in range(1, len(parts) - 1, 2):
        found[parts[k]] = parts[k + 1]
    failures = []
    for n, (line, command, expected) in enumerate(block.commands):
        got = found.get(str(n))
        if got is None:
            failures.append((line, command, expected, ["[the command did not run]"] +
                             output.splitlines()[-5:]))
            continue
        got_lines = got.rstrip("\n").split("\n") if got.strip() else []
        want = [mask(l, block, scratch) for l in expected]
        have = [mask(l, block, scratch) for l in got_lines]
        if not matches(want, have):
            failures.append((line, command, want, have))
    return failures


def main():
    readme_path = sys.argv[1] if len(sys.argv) > 1 else "README.md"
    source = os.environ["TAPE_SOURCE_DIR"]
    build = os.environ["TAPE_BUILD_DIR"]
    tape = os.environ["TAPE"]
    until = int(os.environ.get("TAPE_DOCTEST_UNTIL", "0"))
    with open(readme_path, encoding="utf-8") as f:
        blocks = parse(f.read())
    scratch = os.path.realpath(tempfile.mkdtemp(prefix="tape-doctest-"))
    try:
        os.symlink(os.path.join(source, "examples"), os.path.join(scratch, "examples"))
        os.symlink(os.path.join(source, "README.md"), os.path.join(scratch, "README.md"))
        os.makedirs(os.path.join(scratch, "build"))
        os.symlink(build, os.path.join(scratch, "build", "release"))
        # A small environment, the same on every machine: the examples read
        # NAME, API_TOKEN and the like, which the test's may hold.
        env = {"PATH": os.path.dirname(tape) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": os.environ.get("HOME", scratch), "LC_ALL": "C.UTF-8", "SRC": source,
               "TMPDIR": os.environ.get("TMPDIR", "/tmp")}
        checked = skipped = failed = 0
        for block in blocks:
            if until and block.line > until:
                break
            if block.skip:
                print(f"README.md:{block.line}: not checked: {block.skip}")
                skipped += 1
                continue
            failures = None
            for _ in range(5):  # None: the free port was taken meanwhile
                failures = run_block(block, scratch, env)
                if failures is not None:
                    break
            if failures is None:
                failures = [(block.line, "(the block's server)", ["listening"],
                             ["no free port could be kept for the server in 5 tries"])]
            checked += 1
            for line, command, want, have in failures:
                failed += 1
                print(f"README.md:{line}: the output of `{command}` differs from the README's "
                      f"(after masking; - README, + now):")
                for d in difflib.unified_diff(want, have, lineterm="", n=2):
                    if not d.startswith(("---", "+++")):
                        print("    " + d)
        print(f"{checked} README blocks checked, {skipped} not checked (marked skip), "
              f"{failed} commands whose output differs")
        return 1 if failed or checked == 0 else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
