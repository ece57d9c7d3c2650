#!/usr/bin/env bash
# Install a build of libsrcu (the README's "Using it"), then say how
# programs find it.
#
#   scripts/install.sh [BUILD_DIR]                 to the build's prefix (/usr/local
#                                                  unless configured otherwise), then
#                                                  ldconfig; through sudo unless root
#   scripts/install.sh --prefix DIR [BUILD_DIR]    to DIR (no root needed)
#
# BUILD_DIR defaults to build/release (cmake --preset release).  Installs
# the headers, both libraries (shared and static), the pkg-config and
# CMake packages, the man pages and share/doc/libsrcu.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=""
if [ "${1:-}" = "--prefix" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 [--prefix DIR] [BUILD_DIR]" >&2; exit 2; }
	prefix=$(realpath -m "$2")
	shift 2
fi
build=${1:-build/release}
if [ ! -f "$build/CMakeCache.txt" ]; then
	echo "install.sh: $build is not configured; first:" >&2
	echo "  cmake --preset release -DSRCU_BUILD_TESTS=OFF && cmake --build --preset release" >&2
	exit 2
fi

if [ -n "$prefix" ]; then
	cmake --install "$build" --prefix "$prefix"
	# Where the build put the libraries and the .pc files, under the prefix.
	under() {
		local d
		d=$(sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt")
		[ "${d#/}" = "$d" ] && d=$prefix/$d
		echo "$d"
	}
	libdir=$(under CMAKE_INSTALL_LIBDIR)
	pcdir=$(under SRCU_INSTALL_PKGCONFIGDIR)
	cat <<-EOF

	libsrcu is in $prefix.  To build against it and run what you build:
	  export PKG_CONFIG_PATH=$pcdir\${PKG_CONFIG_PATH:+:\$PKG_CONFIG_PATH}
	  export CMAKE_PREFIX_PATH=$prefix\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}
	  export LD_LIBRARY_PATH=$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}   # or link with -Wl,-rpath,$libdir
	  export MANPATH=$prefix/share/man:   # man srcu
	EOF
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "install.sh: /usr/local needs root, and there is no sudo here;" >&2
		echo "  install into a prefix of yours instead: $0 --prefix \"\$HOME/.local\"" >&2
		exit 2
	fi
	sudo="sudo"
fi
$sudo cmake --install "$build"
# The loader's cache: programs find libsrcu-*.so.0 in /usr/local/lib.
$sudo ldconfig
echo "libsrcu is installed in $(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")"
