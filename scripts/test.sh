#!/usr/bin/env bash
# Build libsrcu and run the fast test suite (unit tests, short torture runs,
# benchmark smoke runs) under ctest.  The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/test -j"$(nproc)"
ctest --test-dir build/test --output-on-failure -j2 -LE long
