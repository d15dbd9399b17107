#!/usr/bin/env python3
"""make perf-check: instructions per event of tape's hot paths, against a baseline.

Runs fixed workloads (bench/perf_workloads.cc, and `tape verify`, `tape stats`
and `tape inspect` on a bench/make_trace trace) under callgrind, takes the
inclusive instruction count of the function that does each part's work (the
recording thread's loop, the encoder thread, the replaying thread's loop, the
decoding of chunks, a verb), divides it by the number of events, and compares
it with bench/perf_baseline.txt. Instruction counts do not depend on the
machine's load, so a regression of more than 10 % fails the check even on a
busy machine, where timings could not tell it from noise.

    bench/perf_check.py [--build DIR] [--update] [--jobs N]

--update writes the counts measured as the new baseline: commit it on its
own, saying why the counts moved.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "bench", "perf_baseline.txt")
TOLERANCE = 0.10  # a row fails when it grows by more than this

# Events per workload: enough that fixed costs (the first chunk, start-up of
# the writer and the reader) are a small part of the count, few enough that
# the whole check takes about a minute on 2 cores under callgrind.
EVENTS = {"clock": 200000, "random": 50000, "write": 100000, "script": 100000}
TRACE_EVENTS = 1000000  # the make_trace trace for verify, stats and inspect

# Functions whose inclusive cost is each part's work (callgrind's demangled names).
RECORDED_LOOP = r"\(anonymous namespace\)::RecordedLoop\("
REPLAYED_LOOP = r"\(anonymous namespace\)::ReplayedLoop\("
SCRIPT_RUN = r"tape::lang::Script::Run\(tape::Runtime&, tape::lang::RunLimits const&"
ENCODER = r"tape::format::TraceWriter::EncoderLoop\(\)"
DECODER = r"tape::format::ChunkStream::DecodeLoop\(\)"
# The first chunk is decoded by the replaying thread itself (ChunkStream).
FIRST_CHUNK = r"tape::format::ChunkStream::NextFirst\(\)"
EFFECT_NAMES = {"clock": "clock.now", "random": "random.bits(8)", "write": "io.write",
                "script": "script env.get loop"}


def callgrind(out_dir, name, argv, env=None):
    """Runs argv under callgrind; returns {function: inclusive Ir} and the total."""
    out = os.path.join(out_dir, name + ".callgrind")
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, "--dump-line=no",
         # Threads take turns in order: otherwise the event clock's ticker
         # runs at random moments, and recording threads that find it idle
         # read the clock themselves (a few percent of their count).
         "--fair-sched=yes"] + argv,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if run.returncode != 0:
        sys.exit("perf-check: '%s' failed under callgrind (exit %d):\n%s" %
                 (" ".join(argv), run.returncode, run.stderr[-3000:]))
    annotated = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
        capture_output=True, text=True, check=True).stdout
    costs, total = {}, 0
    for line in annotated.splitlines():
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(\S.*)$", line)
        if m:
            costs[m.group(2)] = max(costs.get(m.group(2), 0), int(m.group(1).replace(",", "")))
        m = re.match(r"^\s*([\d,]+) \([^)]*\)\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
    os.remove(out)
    return costs, total


def inclusive(costs, pattern, what):
    found = [v for f, v in costs.items() if re.search(pattern, f)]
    if not found:
        sys.exit("perf-check: no function matching %r in the profile of %s" % (pattern, what))
    return max(found)


def effect_rows(build, work, effect):
    """record, copy and replay one effect; returns [(row, instructions per event)]."""
    n = EVENTS[effect]
    tool = os.path.join(build, "bench", "perf_workloads")
    recorded = os.path.join(work, effect + "-recorded.trace")
    copy = os.path.join(work, effect + ".trace")
    label = EFFECT_NAMES[effect]
    program = SCRIPT_RUN if effect == "script" else RECORDED_LOOP
    rows = []
    costs, _ = callgrind(work, effect + "-record", [tool, "record", effect, str(n), recorded])
    # The recording's event clock is frozen (perf_workloads): no event finds
    # its ticker asleep, which would depend on when callgrind runs it.
    rows.append(("record %s: recording thread" % label, inclusive(costs, program, label) / n))
    if effect != "script":  # written by the same encoder as the others: not a row of its own
        costs, _ = callgrind(work, effect + "-copy", [tool, "copy", recorded, copy])
        rows.append(("record %s: encoder thread" % label, inclusive(costs, ENCODER, label) / n))
    else:
        subprocess.run([tool, "copy", recorded, copy], check=True)
    program = SCRIPT_RUN if effect == "script" else REPLAYED_LOOP
    costs, _ = callgrind(work, effect + "-replay", [tool, "replay", effect, str(n), copy])
    rows.append(("replay %s: replaying thread" % label, inclusive(costs, program, label) / n))
    # Decoding, on either thread: the read-ahead thread's chunks and the
    # first one (a trace of one chunk has no read-ahead thread).
    decoding = sum(v for f, v in costs.items() if re.search(DECODER, f) or re.search(FIRST_CHUNK, f))
    if decoding == 0:
        sys.exit("perf-check: no chunk decoding in the profile of %s" % label)
    rows.append(("replay %s: decoding" % label, decoding / n))
    return rows


def tool_rows(build, work):
    """verify, stats and inspect --since on a make_trace trace."""
    tape = os.path.join(build, "tools", "tape")
    trace = os.path.join(work, "clock-1m.trace")
    subprocess.run([os.path.join(build, "bench", "make_trace"), trace, str(TRACE_EVENTS)], check=True)
    rows = []
    for verb, function in (("verify", r"tape::cli::RunVerify\("), ("stats", r"tape::cli::RunStats\(")):
        costs, _ = callgrind(work, verb, [tape, verb, trace])
        rows.append(("tape %s (1M clock events)" % verb,
                     inclusive(costs, function, verb) / TRACE_EVENTS))
    # Start-up included: tape starts on every run `tape hunt` makes.
    _, total = callgrind(work, "inspect", [tape, "inspect", trace, "--since",
                                           str(TRACE_EVENTS - 10), "--limit", "10"])
    rows.append(("tape inspect --since N-10, whole process (per run, not per event)", total))
    return rows


def read_baseline(path):
    rows = {}
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            value, name = line.split(None, 1)
            rows[name] = float(value)
    return rows


def write_baseline(path, measured):
    with open(path, "w") as f:
        f.write("# make perf-check baseline: instructions per event under callgrind\n"
                "# (bench/perf_check.py; Release build, g++ 12, Debian 12).\n"
                "# Update with `make perf-baseline`, in a commit of its own that says why.\n")
        for name, value in measured:
            f.write("%-14.1f %s\n" % (value, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--update", action="store_true", help="write the measured counts as the baseline")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    for needed in ("valgrind", "callgrind_annotate"):
        if shutil.which(needed) is None:
            sys.exit("perf-check: %s is not installed (Debian package valgrind)" % needed)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="tape-perf-check-")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            jobs = [pool.submit(effect_rows, args.build, work, e) for e in EVENTS]
            jobs.append(pool.submit(tool_rows, args.build, work))
            measured = [row for job in jobs for row in job.result()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - started

    if args.update:
        write_baseline(args.baseline, measured)
        print("perf-check: wrote %d rows to %s (%.0f s)" % (len(measured), args.baseline, took))
        return 0
    baseline = read_baseline(args.baseline)
    failed = []
    width = max(len(name) for name, _ in measured)
    print("%-*s %12s %12s %8s" % (width, "instructions per event", "baseline", "now", "change"))
    for name, value in measured:
        base = baseline.get(name)
        if base is None:
            print("%-*s %12s %12.1f %8s  new row: not in the baseline" % (width, name, "-", value, ""))
            failed.append(name)
            continue
        change = (value - base) / base if base else 0.0
        verdict = ""
        if change > TOLERANCE:
            verdict = "  REGRESSION (more than %d %%)" % (TOLERANCE * 100)
            failed.append(name)
        elif change < -TOLERANCE:
            verdict = "  better: update the baseline"
        print("%-*s %12.1f %12.1f %+7.1f%%%s" % (width, name, base, value, change * 100, verdict))
    for name in baseline:
        if name not in dict(measured):
            print("%-*s %12.1f %12s  row no longer measured" % (width, name, baseline[name], "-"))
            failed.append(name)
    print("perf-check: %d rows in %.0f s" % (len(measured), took))
    if failed:
        print("perf-check: FAILED: %s" % "; ".join(failed))
        print("If the change is intended, run `make perf-baseline` and commit the new baseline "
              "on its own, saying why.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
