#!/usr/bin/env bash
# Install the Debian packages libsrcu needs to build, test and benchmark,
# if any is missing.  Used by the README's commands and by .ci/run.
set -euo pipefail
pkgs=(build-essential clang libclang-rt-14-dev cmake pkg-config liburcu-dev libcmocka-dev spin)
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
