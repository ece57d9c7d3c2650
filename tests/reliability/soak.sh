#!/usr/bin/env bash
# soak.sh: the `soak` target (tests/reliability/CMakeLists.txt).  Runs one
# srcu-torture binary for minutes with shuffled tunables, samples the
# process's resident memory (VmRSS) and thread count every few seconds,
# prints each sample, and fails unless the torture run passed and both
# stayed flat: the second half's peak no higher than the first half's
# peak plus a small slack (10% + 4 MB of memory, 2 threads: spare workers
# come and go).  A leak of a few bytes per grace period or callback, or
# a thread that never exits, grows far beyond that over hundreds of
# thousands of them.
#
#   soak.sh TORTURE_BINARY [SECONDS [INTERVAL]]     (default 300, 10)
set -euo pipefail

bin=${1:?usage: soak.sh TORTURE_BINARY [SECONDS [INTERVAL]]}
secs=${2:-300}
every=${3:-10}
name=$(basename "$bin")
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$bin" --duration "$secs" --shuffle --subruns $(( secs / 10 > 1 ? secs / 10 : 1 )) \
	--stat-interval 60 >"$log" 2>&1 &
pid=$!

rss=() thr=()
t=0
while kill -0 "$pid" 2>/dev/null; do
	sleep "$every"
	t=$(( t + every ))
	status=/proc/$pid/status
	r=$(awk '/^VmRSS:/ { print $2 }' "$status" 2>/dev/null || true)
	n=$(awk '/^Threads:/ { print $2 }' "$status" 2>/dev/null || true)
	[ -n "$r" ] && [ -n "$n" ] || break
	rss+=("$r")
	thr+=("$n")
	printf '%s: t=%4ds VmRSS=%7d kB threads=%3d\n' "$name" "$t" "$r" "$n"
done
rc=0
wait "$pid" || rc=$?
grep -E "^srcu-torture: (reader sections|grace periods|updates|errors|End of test)" "$log" || true

nsamp=${#rss[@]}
if [ "$rc" -ne 0 ]; then
	echo "$name: FAILED: srcu-torture exited with status $rc" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
if [ "$nsamp" -lt 4 ]; then
	echo "$name: FAILED: only $nsamp samples; run longer than 4 intervals" >&2
	exit 1
fi

# Peak of samples [from, to).
peak() {
	local -n arr=$1
	local m=0 i
	for (( i = $2; i < $3; i++ )); do (( arr[i] > m )) && m=${arr[i]}; done
	echo "$m"
}
half=$(( nsamp / 2 ))
rss1=$(peak rss 0 "$half") rss2=$(peak rss "$half" "$nsamp")
thr1=$(peak thr 0 "$half") thr2=$(peak thr "$half" "$nsamp")
rss_limit=$(( rss1 + rss1 / 10 + 4096 ))
thr_limit=$(( thr1 + 2 ))
echo "$name: peak VmRSS ${rss1} kB then ${rss2} kB (limit ${rss_limit}); peak threads ${thr1} then ${thr2} (limit ${thr_limit})"
if (( rss2 > rss_limit || thr2 > thr_limit )); then
	echo "$name: FAILED: memory or threads grew during the soak" >&2
	exit 1
fi
echo "$name: flat"
