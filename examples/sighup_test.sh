#!/bin/sh
# sighup_test.sh [EMULATOR...] PROGRAM: run config_reload as an operator
# would, with no timer: three SIGHUPs reload it, SIGTERM stops it.  Passes
# when it says it made three reloads and shut down cleanly.  Registered by
# examples/CMakeLists.txt (ctest label "examples"); a cross build puts
# qemu-user in front, which passes the signals on to the program.
set -u
prog="$*"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" -a 0 -t 0 >"$out" 2>&1 &
pid=$!
# The banner comes after the signals are blocked: only then is SIGHUP safe.
n=0
until grep -q "pid $pid" "$out"; do
	n=$((n + 1))
	[ $n -gt 600 ] && { echo "no banner from $prog"; cat "$out"; kill -9 $pid; exit 1; }
	sleep 0.05
done
for i in 1 2 3; do
	kill -HUP $pid
	sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
cat "$out"
[ $rc -eq 0 ] && grep -q "^config_reload: 3 reloads" "$out" && grep -q "shut down cleanly" "$out"
