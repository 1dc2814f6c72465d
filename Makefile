# The two commands of the README:
#   make demo   install what is missing, build, run the main job on the embedded default
#               (then keeps odmd serve running until Ctrl-C; DEMO_FLAGS=--once exits)
#   make test   install what is missing, build once (clang, ASan + UBSan), run every test
.PHONY: all deps build demo demo-aws test test-release test-sanitize fuzz-smoke bench format clean

JOBS ?= $(shell nproc)
# Tests: one more than the cores. Many tests wait on child processes (git, moto, the CDK
# CLI, node, servers starting), so a third test keeps both cores busy.
TEST_JOBS ?= $(shell echo $$(( $(JOBS) + 1 )))
BUILD ?= build
SAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./scripts/demo.sh $(BUILD) $(DEMO_FLAGS)

# The platform on AWS: CDK apps deployed into moto (scripts/aws-demo.sh, README).
demo-aws: build
	./scripts/aws-demo.sh $(BUILD) $(DEMO_FLAGS)

# One build, one configuration: every test runs under the sanitizers. (A second, release
# build of the same suite doubled CI time; `make test-release` still runs it on demand.)
test: deps
	./tools/check-format.sh
	$(MAKE) test-sanitize
	@echo "make test: every test passed under ASan + UBSan"

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

# One sanitizer configuration: clang with ASan + UBSan; the libFuzzer targets are built in
# the same configuration and get a short smoke run. Line tables are all the sanitizers'
# reports need (full debug info made every compile ~20% slower); the libraries get -O1
# (CMakeLists.txt, ODMD_LIBRARY_FLAGS); each target precompiles its common headers (ODMD_PCH:
# ~15% of the compile CPU), the libraries are unity-built (ODMD_UNITY: their compile CPU
# ~2.5x less) and lld links (the big ASan test binaries: 9 s with ld, 2 s). Executables are
# not position-independent: a PIE test binary applied ~760,000 relocations (UBSan's check
# data) at every start, a quarter of the ~9,000 page faults each of its processes paid.
$(SAN_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DODMD_LIBRARY_FLAGS=-O1 \
	  -DODMD_SANITIZE="address;undefined" -DODMD_FUZZ=ON -DODMD_PCH=ON -DODMD_UNITY=ON \
	  -DCMAKE_EXE_LINKER_FLAGS="-fuse-ld=lld -no-pie"

test-sanitize: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(TEST_JOBS) --timeout 600

bench: build
	./scripts/bench.sh $(BUILD)

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
