#!/usr/bin/env bash
# Build libsrcu and run the test suite under ctest: the README's test
# command, and what CI (.ci/run) runs.  Seven passes, each in its own build
# directory under build/ (readme: a scratch copy):
#   normal         unit tests, short torture runs, benchmark smoke runs
#   asan           unit tests and short torture runs under ASan+UBSan (and LSan)
#   tsan           the same under ThreadSanitizer (clang)
#   debug          the same with SRCU_DEBUG (lockdep-like misuse checks)
#   cross-arm64    cross-built for arm64: unit tests, short torture runs and
#                  examples under qemu-user (scripts/cross.sh, which installs
#                  the cross compiler, qemu-user and arm64 packages)
#   cross-ppc64el  the same for ppc64el (POWER)
#   readme         the README's "Using it" in a copy of the checkout: build,
#                  install into a prefix, hello.c with pkg-config and CMake,
#                  then scripts/demo.sh there (scripts/check-readme.sh)
# doc/reliability.md says what each pass checks and why.
#
#   scripts/test.sh                 all seven passes (doc/reliability.md has the time
#                                   from a fresh clone, installs included)
#   scripts/test.sh normal debug    only the passes named
#   scripts/test.sh --quick         the normal pass only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test

jobs=$(nproc)
passes=("$@")
[ ${#passes[@]} -eq 0 ] && passes=(normal asan tsan debug cross-arm64 cross-ppc64el readme)
[ "${passes[0]}" = "--quick" ] && passes=(normal)

# Sanitizer and debug builds leave the benchmarks and examples out: they
# check the library, and the normal pass already builds and runs those.
lean=(-DSRCU_BUILD_BENCH=OFF -DSRCU_BUILD_EXAMPLES=OFF)
# The deliberately broken torture runs (the test's or the library's grace
# periods broken on purpose) prove the checker, not the library.
checked=(-LE "long|broken")
# The fork tests run in the normal and debug passes only: a child forked
# while another thread is inside the sanitizer runtime's allocator inherits
# that lock held, and gcc 12's ASan/TSan runtimes have no fork handler for
# it (the child hangs in calloc(), seen about one run in three under ASan).
# The compile-only checks (docs, hygiene, man pages) run in the normal
# pass: under clang's TSan they would link shared objects that need its
# runtime.  The TSan pass runs the packaging tests: the consumer programs
# are built from the installed TSan build, with the -fsanitize=thread its
# package hands them, as an application tested under TSan would be.
sanitized=(-LE "long|broken|docs|packaging|hygiene|man" -E "^test_fork-")
tsan_checked=(-LE "long|broken|docs|hygiene|man" -E "^test_fork-")

# TSan with clang: gcc 12's runtime cannot start threads in the child of a
# multi-threaded fork, which the fork tests do (doc/reliability.md).
tsan=(clang)

run_pass() {
	local name=$1 dir=build/test-$1 cc=$2
	shift 2
	local cmake_args=() ctest_args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	ctest_args=("$@")
	echo "==== $name pass ($cc)"
	CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs"
	ctest --test-dir "$dir" --output-on-failure -j2 "${ctest_args[@]}"
}

start=$(date +%s)
for p in "${passes[@]}"; do
	pass_start=$(date +%s)
	case $p in
	normal) run_pass normal cc -- -LE long ;;
	asan) run_pass asan cc -DSRCU_SANITIZER=address,undefined "${lean[@]}" -- "${sanitized[@]}" ;;
	tsan) run_pass tsan "${tsan[@]}" -DSRCU_SANITIZER=thread "${lean[@]}" -- "${tsan_checked[@]}" ;;
	debug) run_pass debug cc -DSRCU_DEBUG=ON "${lean[@]}" -- "${checked[@]}" ;;
	cross-arm64 | cross-ppc64el) scripts/cross.sh "${p#cross-}" ;;
	readme) scripts/check-readme.sh ;;
	*) echo "unknown pass '$p' (normal, asan, tsan, debug, cross-arm64, cross-ppc64el, readme, --quick)" >&2; exit 2 ;;
	esac
	echo "==== $p pass passed in $(( $(date +%s) - pass_start )) s"
done
echo "==== all passed (${passes[*]}) in $(( $(date +%s) - start )) s"
