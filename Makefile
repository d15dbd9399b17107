# tape: two commands set everything up on a fresh Debian 12 machine.
#   make demo   install what is missing, build, record and replay a demo
#   make test   install what is missing, build, run the test suite
# Other targets: make build, make asan-test, make long-test, make bench, make clean.

PACKAGES := build-essential cmake pkg-config libboost-dev libzstd-dev libxxhash-dev \
            libbenchmark-dev libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TAPE := build/release/tools/tape

.PHONY: all deps configure build demo test asan-test long-test bench clean

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

test: build
	@ctest --preset release

asan-test: deps
	@cmake --preset asan > /dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan

long-test: build
	@ctest --preset long

bench: build
	@bash bench/run.sh

clean:
	rm -rf build
