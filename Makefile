# Custos: the commands a user and CI run. CMake does the building.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test demo asan fuzz format format-check bench clean deps

all: build

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	scripts/demo

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCUSTOS_SANITIZE=ON -DCUSTOS_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCUSTOS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

# wasm_*_mods.h are generated (tests/unit/wasm/gen.sh): not formatted.
format:
	git ls-files '*.c' '*.h' ':!tests/unit/wasm/wasm_*_mods.h' | xargs clang-format -i

format-check:
	git ls-files '*.c' '*.h' ':!tests/unit/wasm/wasm_*_mods.h' | xargs clang-format --dry-run --Werror

bench: build
	bench/run-all

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
