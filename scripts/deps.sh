#!/usr/bin/env bash
# Install the Debian packages libsrcu needs, if any is missing.
#
#   scripts/deps.sh          to build and install the library, the examples
#                            and the benchmark (the README's "Using it",
#                            scripts/demo.sh): a compiler, cmake, pkg-config,
#                            liburcu
#   scripts/deps.sh --test   and to run the test suite (scripts/test.sh):
#                            CMocka, clang and its sanitizer runtimes for the
#                            ThreadSanitizer pass (about 230 MB), man-db for
#                            the man-page test, spin for the model checks,
#                            gnuplot for the plot test (bench-plot)
#
# .ci/run installs the --test set itself, on a fresh machine.
set -euo pipefail
pkgs=(build-essential cmake pkg-config liburcu-dev systemtap-sdt-dev)
case ${1:-} in
"") ;;
--test) pkgs+=(libcmocka-dev clang libclang-rt-14-dev man-db spin gnuplot-nox) ;;
*) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
