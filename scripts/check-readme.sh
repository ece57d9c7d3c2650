#!/usr/bin/env bash
# check-readme.sh: follow the README's "Using it" as a newcomer would, in a
# copy of this checkout (its build directories left out), then run
# scripts/demo.sh in the same copy.  The commands are the README's own
# blocks (marked <!-- readme: NAME -->), so the README cannot drift from
# what works.
#
#   scripts/check-readme.sh            build; install into a prefix (a
#                                      scratch $HOME's .local); hello.c with
#                                      pkg-config and with CMake; an installed
#                                      example; man srcu; scripts/demo.sh --quick
#   scripts/check-readme.sh --system   also install into /usr/local (root, or
#                                      sudo) and build hello.c against that
#
# Run without --system by scripts/test.sh's readme pass (so by CI) and by
# ctest (label "long").  Exits non-zero at the first step that fails,
# naming it.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
system=0
case ${1:-} in
"") ;;
--system) system=1 ;;
*) echo "usage: $0 [--system]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo "==== check-readme: $*"; }
fail() { echo "check-readme: FAILED: $*" >&2; exit 1; }

# The code block after the README's marker <!-- NAME -->.
block() {
	awk -v m="<!-- $1 -->" '
		$0 == m { found = 1; next }
		found == 1 && /^```/ { found = 2; next }
		found == 2 && /^```/ { exit }
		found == 2 { print }' "$src/README.md"
}
for b in "readme: build" "readme: install" "readme: install-prefix" "readme: pkg-config" \
	 "readme: cmake" "readme: cmake-build" "example: hello"; do
	[ -n "$(block "$b")" ] || fail "README.md has no block marked <!-- $b -->"
done

# hello.c and its CMakeLists.txt in a fresh directory; build them both ways.
hello() {
	local dir=$work/hello-$1 out
	mkdir -p "$dir/pc" "$dir/cmake"
	block "example: hello" >"$dir/pc/hello.c"
	cp "$dir/pc/hello.c" "$dir/cmake/"
	block "readme: cmake" >"$dir/cmake/CMakeLists.txt"
	step "$1: hello.c with pkg-config"
	out=$(cd "$dir/pc" && bash -euo pipefail -c "$(block "readme: pkg-config")") ||
		fail "$1: the pkg-config build or run of hello.c"
	[ "$out" = "verbose=0" ] || fail "$1: hello (pkg-config) printed: $out"
	step "$1: hello.c with CMake"
	out=$(cd "$dir/cmake" && bash -euo pipefail -c "$(block "readme: cmake-build")") ||
		fail "$1: the CMake build or run of hello.c"
	[ "${out##*$'\n'}" = "verbose=0" ] || fail "$1: hello (CMake) printed: $out"
}

step "copy of $src"
mkdir "$work/libsrcu"
tar -C "$src" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$work/libsrcu" -xf -
cd "$work/libsrcu"

step "build (README: build)"
bash -euo pipefail -c "$(block "readme: build")" || fail "the README's build steps"

step "install into a prefix (README: install-prefix)"
(
	export HOME=$work/home
	mkdir -p "$HOME"
	eval "$(block "readme: install-prefix")" || fail "the README's prefix install"
	hello prefix
	step "prefix: an installed example, built and run"
	ex=$HOME/.local/share/doc/libsrcu/examples
	(cd "$work" && cc "$ex/vmm.c" $(pkg-config --cflags --libs srcu-tree) -o vmm &&
		./vmm -h && ./vmm -d 4) || fail "the installed examples/vmm.c"
	if command -v man >/dev/null; then
		step "prefix: man srcu, man srcu_read_unlock"
		MANPAGER=cat man srcu | grep -q "sleepable RCU" || fail "man srcu"
		MANPAGER=cat man srcu_read_unlock | grep -q "srcu_read_unlock" ||
			fail "man srcu_read_unlock"
	fi
) || exit 1

if [ $system = 1 ]; then
	step "install into /usr/local (README: install)"
	bash -euo pipefail -c "$(block "readme: install")" || fail "the README's install"
	(hello system) || exit 1
fi

step "scripts/demo.sh --quick, in the same checkout"
out=$(scripts/demo.sh --quick --quiet) || fail "scripts/demo.sh after the README's steps"
grep -q "^seed: " <<<"$out" || fail "scripts/demo.sh printed no seed table:
$out"
step "all steps passed"
