#!/usr/bin/env bash
# Build libsrcu and run the seed scenario benchmark (call_srcu() followed by
# synchronize_srcu_expedited(): kernel behaviour, the RFC's
# call_srcu_expedited(), in-flight promotion), printing its table.
# Arguments are passed to `srcu-bench seed` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# build/release is also the README's install build: say what this needs,
# whatever an earlier configure left in its cache.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSRCU_BUILD_TESTS=OFF \
	-DSRCU_BUILD_BENCH=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target srcu-bench
exec build/release/bench/srcu-bench seed "$@"
