#!/usr/bin/env bash
# Model-check Tree SRCU's grace-period state machine with spin: every
# property on the correct models, and every broken variant, which spin must
# catch.  doc/reliability.md ("The model") says what is modelled and what
# the runs showed.  The ctests model-readers and model-gp-work run this.
#
#   tests/model/check.sh                  every check of both models
#   tests/model/check.sh readers          only readers.pml's (or gp_work)
#   tests/model/check.sh --deep [model]   bigger configurations too (minutes, GBs)
#   tests/model/check.sh --list           the checks, without running them
#   SPIN=... CC=... KEEP=1                other tools; keep the work directory
#                                         (pan.c, trails) and print its path
#
# Exit status: 0 all as expected, 1 a check gave an unexpected result,
# 77 spin is not installed (ctest reports the checks skipped).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# name | model | -D switches | expect: "pass", or "fail:ERE", the error spin
# must report (an assertion whose text matches ERE, or an invalid end
# state).
P1_FAIL='fail:inside\[0\]'				# no reader that predates a GP end inside
P2_FAIL='fail:transfers==0|sleep_needed_exp<needed_exp|x_s!=0'	# CHECK_PROMOTED's
P3_FAIL='fail:waiters==0|gp_seq>=needed|gp_work!=0|invalid end state'	# stranded
checks=(
	# Property 1: no grace period ends over a reader that predates it.
	"readers|readers|-|pass"
	"readers-no-recheck|readers|BROKEN_NO_RECHECK|$P1_FAIL"
	"readers-no-a|readers|BROKEN_NO_A|$P1_FAIL"
	"readers-idx-first|readers|BROKEN_IDX_FIRST|$P1_FAIL"
	"readers-skip-scan1|readers|BROKEN_SKIP_SCAN1|$P1_FAIL"
	"readers-skip-scan2|readers|BROKEN_SKIP_SCAN2|$P1_FAIL"
	"readers-no-flip|readers|BROKEN_NO_FLIP|$P1_FAIL"
	"readers-mark-late|readers|BROKEN_MARK_LATE|$P1_FAIL"
	# Property 2, promote_inflight=1: no sleep with an unseen expedited
	# request, transfers stay 0, no request of a non-driver behind a jiffy.
	"promoted-N-E|gp_work|CHECK_PROMOTED CLIENTS=3|pass"
	"promoted-N-X|gp_work|CHECK_PROMOTED CLIENTS=5|pass"
	"promoted-E-X|gp_work|CHECK_PROMOTED CLIENTS=6|pass"
	"promoted-no-mark|gp_work|CHECK_PROMOTED CLIENTS=3 BROKEN_NO_MARK|$P2_FAIL"
	"promoted-no-wake|gp_work|CHECK_PROMOTED CLIENTS=5 BROKEN_NO_WAKE|$P2_FAIL"
	"promoted-arm-unlocked|gp_work|CHECK_PROMOTED CLIENTS=5 BROKEN_ARM_UNLOCKED|$P2_FAIL"
	"promoted-stale-delay|gp_work|CHECK_PROMOTED CLIENTS=5 BROKEN_STALE_DELAY|pass"
	# Property 2, promote_inflight=0: the transfer happens (spin finds E
	# asleep behind the timer), and every one is counted.
	"transfer-happens|gp_work|CHECK_TRANSFER PROMOTE=0 CLIENTS=3|fail:e_untimed"
	"transfer-counted|gp_work|CHECK_COUNTED PROMOTE=0 CLIENTS=3|pass"
	"counted-stale-delay|gp_work|CHECK_COUNTED PROMOTE=0 CLIENTS=3 BROKEN_STALE_DELAY|fail:e_untimed|fired_jiffy"
	# Property 3: no waiter asleep forever, no request left undone.
	"wakeup-N-S|gp_work|THROTTLE CLIENTS=9|pass"
	"wakeup-X-S|gp_work|THROTTLE CLIENTS=12|pass"
	"wakeup-E-S|gp_work|THROTTLE CLIENTS=10|pass"
	"wakeup-E-S-nopromote|gp_work|THROTTLE PROMOTE=0 CLIENTS=10|pass"
	"wakeup-N-E-nopromote|gp_work|THROTTLE PROMOTE=0 CLIENTS=3|pass"
	"wakeup-count-early|gp_work|THROTTLE CLIENTS=9 BROKEN_COUNT_EARLY|$P3_FAIL"
	"wakeup-word-after-check|gp_work|THROTTLE CLIENTS=9 BROKEN_WORD_AFTER_CHECK|$P3_FAIL"
	"wakeup-keep-record|gp_work|THROTTLE CLIENTS=9 BROKEN_KEEP_RECORD|$P3_FAIL"
	"wakeup-count-after-word|gp_work|THROTTLE CLIENTS=9 COUNT_AFTER_WORD|pass"
	# What the model found: an expedited waiter whose grace period another
	# thread has recorded in srcu_data but not yet at the root found nothing
	# to do and looped without sleeping; with promote_inflight=0 it could
	# also sleep behind the timer with no transfer counted.  The waiter now
	# records its request at the root itself; BROKEN_NO_ROOT_REQUEST is the
	# code before.
	"no-spin-N-E|gp_work|CHECK_NO_SPIN CLIENTS=3|pass"
	"no-spin-X-E|gp_work|CHECK_NO_SPIN CLIENTS=6|pass"
	"counted-N-E-X|gp_work|CHECK_COUNTED PROMOTE=0 CLIENTS=7|pass"
	"no-spin-no-root-request|gp_work|CHECK_NO_SPIN CLIENTS=3 BROKEN_NO_ROOT_REQUEST|fail:step!=0"
	"no-spin-X-no-root-request|gp_work|CHECK_NO_SPIN CLIENTS=6 BROKEN_NO_ROOT_REQUEST|fail:step!=0"
	"uncounted-no-root-request|gp_work|CHECK_COUNTED PROMOTE=0 CLIENTS=7 BROKEN_NO_ROOT_REQUEST|fail:e_untimed"
)
deep_checks=(
	"readers-deep|readers|SECTIONS0=2|pass"
	"promoted-N-E-X|gp_work|CHECK_PROMOTED CLIENTS=7|pass"
	"counted-arm-unlocked|gp_work|CHECK_COUNTED PROMOTE=0 CLIENTS=7 BROKEN_ARM_UNLOCKED|fail:e_untimed|fired_jiffy"
)

deep=0 list=0 only=""
for arg in "$@"; do
	case $arg in
	--deep) deep=1 ;;
	--list) list=1 ;;
	readers|gp_work) only=$arg ;;
	*) echo "usage: $0 [--deep] [--list] [readers|gp_work]" >&2; exit 2 ;;
	esac
done
[ $deep -eq 1 ] && checks+=("${deep_checks[@]}")

if [ $list -eq 1 ]; then
	for c in "${checks[@]}"; do
		IFS='|' read -r name model defs expect <<<"$c"
		[ -n "$only" ] && [ "$model" != "$only" ] && continue
		printf '%-26s %-8s %-50s %s\n' "$name" "$model" "$defs" "$expect"
	done
	exit 0
fi

spin=${SPIN:-spin}
cc=${CC:-cc}
if ! command -v "$spin" >/dev/null 2>&1; then
	echo "SKIPPED: spin is not installed (Debian: apt-get install spin); no model checked"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/srcu-model.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi

printf '%-26s %-8s %12s %8s  %s\n' check result states seconds "what spin reported"
bad=0
for c in "${checks[@]}"; do
	IFS='|' read -r name model defs expect <<<"$c"
	[ -n "$only" ] && [ "$model" != "$only" ] && continue
	dir=$work/$name
	mkdir -p "$dir"
	dflags=()
	[ "$defs" != "-" ] && for d in $defs; do dflags+=("-D$d"); done
	# spin writes pan.c and the trail into the current directory.
	if ! (cd "$dir" && "$spin" -a "${dflags[@]}" "$here/$model.pml") >"$dir/spin.log" 2>&1 ||
	   ! (cd "$dir" && "$cc" -O0 -w -DSAFETY -DCOLLAPSE -o pan pan.c) >"$dir/cc.log" 2>&1; then
		printf '%-26s %-8s\n' "$name" ERROR
		cat "$dir/spin.log" "$dir/cc.log" 2>/dev/null | head -20
		bad=1
		continue
	fi
	# -m: search depth (pan says so if it is too small: a failure below).
	(cd "$dir" && ./pan -m50000) >"$dir/pan.log" 2>&1 || true
	out=$(cat "$dir/pan.log")
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | tail -1)
	states=$(awk '/states, stored/ { print $1; exit }' <<<"$out")
	secs=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' <<<"$out")
	report=$(grep -E '^pan:[0-9]+: ' <<<"$out" | head -1 |
		 sed -e 's/^pan:[0-9]*: //' -e 's/ (at depth [0-9]*)$//' || true)
	result=ok
	if grep -q 'max search depth too small' <<<"$out" || [ -z "$errors" ]; then
		result=INCOMPLETE
	elif [ "$expect" = pass ]; then
		[ "$errors" = 0 ] || result=FAILED
	elif [ "$errors" = 0 ] || ! grep -qE "${expect#fail:}" <<<"$report"; then
		result=MISSED
	else
		result=caught
	fi
	printf '%-26s %-8s %12s %8s  %.90s\n' "$name" "$result" "${states:-?}" "${secs:-?}" \
	       "${report:-no error}"
	case $result in
	ok|caught) ;;
	*)	bad=1
		echo "  spin -a ${dflags[*]} $model.pml; expected $expect; pan's output:"
		grep -vE '^(Depth=|\s*$)' "$dir/pan.log" | head -15 | sed 's/^/    /'
		[ -f "$dir/$model.pml.trail" ] &&
			echo "  trail: KEEP=1 $0, then (cd $dir && $spin -t -p -g ${dflags[*]} $here/$model.pml)"
		;;
	esac
done
exit $bad
