# tape: two commands set everything up on a fresh Debian 12 machine.
#   make demo   install what is missing, build, hunt for a failing run of a
#               flaky program (tape hunt) and replay it
#   make test   install what is missing, build, run the test suite
# Other targets: make build, make asan-test, make tsan-test, make fuzz-smoke, make fuzz (long runs),
# make long-test, make long-sample (a bounded part of it, for CI), make stress-test (the suite on
# a loaded machine), make bench, make perf-check, make perf-baseline, make clean.

PACKAGES := build-essential cmake pkg-config libboost-dev libzstd-dev libxxhash-dev \
            libbenchmark-dev libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev \
            clang libclang-rt-14-dev time libcurl4-openssl-dev libcpp-httplib-dev libfmt-dev \
            libre2-dev python3-protobuf protobuf-compiler valgrind libedit-dev libjemalloc-dev sqlite3 mawk
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TAPE := build/release/tools/tape

.PHONY: all deps configure build demo test unit-test asan-test tsan-test fuzz-build fuzz-smoke fuzz \
        long-test long-sample stress-test bench perf-check perf-baseline clean
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := trace_reader_fuzz script_fuzz original_trace_fuzz

all: build

# Installs missing Debian packages when run as root; otherwise prints the
# exact command and stops.
deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "tape: installing missing packages:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	  else \
	    echo "tape: missing packages:" $$missing; \
	    echo "run: sudo apt-get install -y --no-install-recommends $$missing"; \
	    exit 1; \
	  fi; \
	fi

configure: deps
	@cmake --preset release > /dev/null

build: configure
	@cmake --build --preset release -j $(JOBS)

demo: build
	@bash examples/demo.sh $(TAPE)

# The whole default suite: unit, golden, end-to-end and kill tests, then a
# short fuzz run of each fuzz target.
test: unit-test fuzz-smoke

unit-test: build
	@ctest --preset release

fuzz-build: deps
	@cmake --preset fuzz > /dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target $(FUZZ_TARGETS)

# Replays every regression input, then fuzzes each target for FUZZ_SECONDS
# from its seed corpus (new inputs go to a scratch directory).
fuzz-smoke: fuzz-build
	@FUZZ_NAMES="$(FUZZ_TARGETS:_fuzz=)" bash tests/fuzz/run.sh build/fuzz/tests/fuzz $(FUZZ_SECONDS)

fuzz: fuzz-build
	@FUZZ_NAMES="$(FUZZ_TARGETS:_fuzz=)" bash tests/fuzz/run.sh build/fuzz/tests/fuzz 600

# The sanitizer and fuzz presets compile at -O1 with line tables only (-g1):
# enough for symbolized reports, and a quarter to a third less build time,
# which is most of CI's time (CMakePresets.json).
asan-test: deps
	@cmake --preset asan > /dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan

# The unit tests of the code that has threads (the trace writer's encoder,
# the replay's read-ahead, lanes) under ThreadSanitizer; not the CLI scripts.
tsan-test: deps
	@cmake --preset tsan > /dev/null
	@cmake --build --preset tsan -j $(JOBS) --target format_tests engine_tests tools_tests
	@ctest --preset tsan

long-test: build
	@ctest --preset long

# A bounded sample of the long tests (other kill moments, other bytes of the
# damage sweeps), for .ci/run: about two minutes on two cores.
long-sample: build
	@ctest --preset long-sample

# The default suite three times with 2 x nproc busy loops running beside it:
# tests must wait for readiness, never for a sleep (tests/stress.sh).
STRESS_ROUNDS ?= 3
stress-test: build
	@bash tests/stress.sh $(STRESS_ROUNDS)

bench: build
	@bash bench/run.sh

# Instructions per event of the hot paths (record, replay, a script loop,
# verify, stats) under callgrind, against bench/perf_baseline.txt: fails on a
# regression of more than 10 %. Counts, unlike times, are stable on a busy
# machine. `make perf-baseline` rewrites the baseline (commit it on its own).
perf-check: build
	@python3 bench/perf_check.py --build build/release

perf-baseline: build
	@python3 bench/perf_check.py --build build/release --update

clean:
	rm -rf build
