#!/usr/bin/env bash
# Cross-build libsrcu for another architecture and run its tests under
# qemu-user: the unit suites of both flavours (their rseq-off and
# membarrier-off runs included), the short torture runs of each flavour
# (the deliberately broken ones too) and the examples.  A pass of
# scripts/test.sh (cross-arm64, cross-ppc64el); runs alone as well.
#
#   scripts/cross.sh arm64      aarch64, under qemu-aarch64
#   scripts/cross.sh ppc64el    POWER little-endian, under qemu-ppc64le
#
# On a Debian bookworm machine it installs what it lacks: the cross
# compiler, qemu-user, and the target's liburcu and CMocka by multiarch
# (dpkg --add-architecture).  The build is build/cross-ARCH, with
# cmake/toolchain-TRIPLE.cmake.  Prints ctest's summary and which read-side
# paths the emulated tests took; exits non-zero if any test failed.
#
# What this proves: the build, the non-x86 code paths and the fallbacks
# (qemu-user has no rseq; a child of a multi-threaded fork cannot start
# threads there, so the tests that need that skip, saying so).  Not the
# memory orderings: qemu on an x86 host runs them with x86's; doc/design.md
# argues them.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-}
case $arch in
arm64) triple=aarch64-linux-gnu ;;
ppc64el) triple=powerpc64le-linux-gnu ;;
*) echo "usage: $0 arm64|ppc64el" >&2; exit 2 ;;
esac

# What the cross build needs; the host's build tools come first.
host_pkgs=(make cmake pkg-config qemu-user "gcc-$triple" "g++-$triple")
target_pkgs=("liburcu-dev:$arch" "libcmocka-dev:$arch" "libstdc++6:$arch")
missing=()
for p in "${host_pkgs[@]}" "${target_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	echo "installing: ${missing[*]}" >&2
	dpkg --print-foreign-architectures | grep -qx "$arch" || $sudo dpkg --add-architecture "$arch"
	# Other installs may run at the same time: wait for dpkg's lock.
	apt=($sudo apt-get -o DPkg::Lock::Timeout=900)
	"${apt[@]}" update -q
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q "${missing[@]}"
fi

dir=build/cross-$arch
echo "==== cross-$arch pass ($triple, tests under qemu-user)"
cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="cmake/toolchain-$triple.cmake" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSRCU_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)"
# ctest times a test out with SIGKILL, which qemu-user cannot ignore.
rc=0
ctest --test-dir "$dir" --output-on-failure -j2 -L "unit|torture|examples" -LE long || rc=$?
echo "read-side paths under qemu (from the tests' output):"
grep -hE "^(CPU ids from|rseq sequence:|membarrier (in use|not in use))" \
	"$dir/Testing/Temporary/LastTest.log" | sort | uniq -c
exit $rc
