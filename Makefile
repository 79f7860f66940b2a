# Haven — the two commands are `make run` and `make test`; see README.md.
LISTEN ?= 127.0.0.1:5000
DATA ?= ./data
PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all build run test unit e2e bench lint fuzz clean deps

all: build

deps:
	@scripts/deps.sh build

build/release/build.ninja:
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build/debug/build.ninja:
	cmake -S . -B build/debug -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHAVEN_SANITIZE=ON

build: deps build/release/build.ninja
	ninja -C build/release

run: build
	build/release/havend --listen $(LISTEN) --data $(DATA)

test:
	@scripts/deps.sh test
	$(MAKE) lint build unit e2e

# the unit tests on SQLite, then again with their databases on a throwaway PostgreSQL cluster
unit: build/debug/build.ninja
	ninja -C build/debug
	cd build/debug && ctest --output-on-failure -j2
	cd build/debug && /usr/bin/python3 ../../tests/e2e/pgcluster.py ctest --output-on-failure -j2

# the suite on the embedded (SQLite, filesystem) and scale-out (PostgreSQL, S3) configurations
e2e: build/debug/build.ninja
	ninja -C build/debug
	HAVEND=$(CURDIR)/build/debug/havend PYTEST="$(PYTEST)" scripts/e2e.sh -v

bench:
	@scripts/deps.sh bench
	$(MAKE) build
	bench/run.sh

fuzz:
	CC=clang cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHAVEN_FUZZ=ON \
	  -DHAVEN_SANITIZE=ON
	ninja -C build/fuzz

lint:
	@scripts/lint.sh

clean:
	rm -rf build
