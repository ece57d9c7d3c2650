#!/usr/bin/env bash
# plot.sh: turn srcu-bench's CSV output into PNG plots with gnuplot.
#
#   srcu-bench seed --csv --raw seed-raw.csv > seed.csv
#   srcu-bench read --csv > read.csv
#   bench/plot.sh -o plots seed.csv seed-raw.csv read.csv
#
# Inputs are recognised by content:
#   --raw file            seed-cdf-hzH-rR.png: latency distribution (CDF) of
#                         every row, one plot per hz and reader count, with
#                         one jiffy marked: the kernel row sits on it
#   "# table seed"        seed-median.png: median per row, grouped by hz/readers
#   "# table gp"          gp-median.png: grace-period median per flavour and op
#   "# table cb-latency"  cb-latency.png: callback latency median
#   "# table cb-throughput" cb-throughput.png: callbacks per second
#   "# table read"        read-cost.png: net ns per lock/unlock pair vs threads
# (--csv output of `srcu-bench all` holds all of these tables.)
#
# Every series has the same colour in every plot: the colour says the row
# or operation (kernel red, rfc blue, promote green, baseline grey, liburcu
# black, ...), and Tiny is drawn dashed (lines) or paler (bars) than Tree.
set -euo pipefail

usage() {
	echo "usage: $0 [-o OUTDIR] FILE..." >&2
	exit 2
}

outdir=.
while getopts o:h opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	h) usage ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || usage

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot.sh: gnuplot is not installed, so no plots were made." >&2
	echo "plot.sh: install it (Debian: apt-get install gnuplot-nox) and run again." >&2
	exit 3
fi
if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then
	term='pngcairo size 1000,600 noenhanced font ",10"'
else
	term='png size 1000,600 noenhanced'
fi

mkdir -p "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
made=()

# The colour of a row or operation, whichever table it is in.
declare -A hue=(
	[baseline]=7f7f7f [kernel]=d62728 [rfc]=1f77b4 [promote]=2ca02c
	[synchronize]=ff7f0e [synchronize_exp]=9467bd [synchronize_rcu]=000000
	[call]=ff7f0e [call_exp]=9467bd [call_rcu]=000000
	[normal]=ff7f0e [nmisafe]=8c564b [fast]=9467bd [normal_rseq_mb]=e377c2
	[read_lock]=000000 [rwlock_rdlock]=17becf [2x_atomic_inc]=bcbd22 [empty]=c7c7c7
)
palette=(8c564b e377c2 17becf bcbd22 393b79 637939 8c6d31 843c39)

# style SERIES LINES|BARS: gnuplot's line or fill style for a series named
# "flavour/what" or "flavour what" (what: a row, an op or a reader).
style() {
	local flavour=${1%%[/ ]*} what=${1#*[/ ]} key h sum=0 i
	key=${what//[^A-Za-z0-9_]/_}
	h=${hue[$key]:-}
	if [[ -z $h ]]; then
		# Unknown: a colour picked by the name, the same in every plot.
		for ((i = 0; i < ${#key}; i++)); do
			sum=$(( (sum * 31 + $(printf '%d' "'${key:i:1}")) % 1000003 ))
		done
		h=${palette[sum % ${#palette[@]}]}
	fi
	if [[ $flavour == tiny && $2 == BARS ]]; then
		# Paler: halfway to white.
		h=$(printf '%02x%02x%02x' $(( (0x${h:0:2} + 255) / 2 )) \
			$(( (0x${h:2:2} + 255) / 2 )) $(( (0x${h:4:2} + 255) / 2 )))
	fi
	if [[ $2 == LINES ]]; then
		echo "lc rgb \"#$h\" dt $([[ $flavour == tiny ]] && echo 2 || echo 1)"
	else
		echo "lc rgb \"#$h\""
	fi
}

# The rows of one table (header line first) from a --csv file.
table() {
	awk -v name="$2" '
		$0 ~ "^# table " name ":" { on = 1; next }
		on && /^$/ { exit }
		on' "$1"
}

# Clustered bars: table file, group columns, series columns, value column.
# Writes a gnuplot data file: a header of series names, a line per group.
bars_data() {
	awk -F, -v gcols="$2" -v scols="$3" -v vcol="$4" '
		function key(cols,   n, c, i, k) {
			n = split(cols, c, " ")
			k = ""
			for (i = 1; i <= n; i++)
				k = k (i > 1 ? "/" : "") (c[i] in pre ? pre[c[i]] : "") $(col[c[i]])
			return k
		}
		BEGIN { pre["hz"] = "hz="; pre["readers"] = "r="; pre["threads"] = "t=" }
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{
			g = key(gcols); s = key(scols)
			if (!(g in gseen)) { gseen[g] = 1; gorder[++ng] = g }
			if (!(s in sseen)) { sseen[s] = 1; sorder[++ns] = s }
			v = $(col[vcol])
			val[g, s] = (v == "" ? "?" : v)
		}
		END {
			printf "group"
			for (j = 1; j <= ns; j++) printf " \"%s\"", sorder[j]
			printf "\n"
			for (i = 1; i <= ng; i++) {
				printf "\"%s\"", gorder[i]
				for (j = 1; j <= ns; j++)
					printf " %s", ((gorder[i], sorder[j]) in val) ? val[gorder[i], sorder[j]] : "?"
				printf "\n"
			}
		}'  "$1"
}

plot_bars() { # data file, png, title, ylabel, log|linear
	local series plots=() i=2 s
	read -r -a series < <(head -n1 "$1" | sed 's/^group //; s/"//g')
	for s in "${series[@]}"; do
		plots+=("\"$1\" using $i:xtic(1) title columnheader($i) $(style "$s" BARS)")
		i=$((i + 1))
	done
	local IFS=,
	gnuplot <<-EOF
		set terminal $term
		set output "$2"
		set title "$3"
		set ylabel "$4"
		$([[ $5 == log ]] && echo 'set logscale y; set yrange [0.01:*]' || echo 'set yrange [0:*]')
		set datafile missing "?"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.9 border -1
		set key outside right top
		set xtics rotate by -30
		set grid ytics
		plot ${plots[*]}
	EOF
	unset IFS
	made+=("$2")
}

plot_seed_raw() {
	local f=$1 groups g hz readers plots jiffy_us
	awk -F, -v dir="$tmp" 'NR > 1 {
		print $6 > (dir "/raw_" $3 "_" $4 "_" $1 "_" $2 ".lat")
	}' "$f"
	groups=$(awk -F, 'NR > 1 { print $3 "_" $4 }' "$f" | sort -u -t_ -k1,1n -k2,2n)
	for g in $groups; do
		hz=${g%_*}
		readers=${g#*_}
		jiffy_us=$((1000000 / hz))
		plots=()
		for lat in "$tmp"/raw_"${g}"_*.lat; do
			local series=${lat##*/raw_"${g}"_}
			series=${series%.lat}
			sort -g "$lat" | awk -v n="$(wc -l <"$lat")" '{ print $1, 100 * NR / n }' \
				>"${lat%.lat}.cdf"
			plots+=("\"${lat%.lat}.cdf\" using 1:2 with steps lw 2 $(style "${series/_//}" LINES) title \"${series/_//}\"")
		done
		local IFS=,
		gnuplot <<-EOF
			set terminal $term
			set output "$outdir/seed-cdf-hz$hz-r$readers.png"
			set title "seed: synchronize_srcu_expedited() latency after call_srcu(), hz=$hz, $readers readers"
			set xlabel "latency (us, log scale)"
			set ylabel "updates at or below (%)"
			set logscale x
			set yrange [0:100]
			set key outside right top
			set grid
			set arrow from $jiffy_us, graph 0 to $jiffy_us, graph 1 nohead dt 3 lw 1.5 lc rgb "#d62728"
			set label "one jiffy ($jiffy_us us): the transfer" at $jiffy_us, graph 0.55 right offset -1,0 tc rgb "#d62728"
			plot ${plots[*]}
		EOF
		unset IFS
		made+=("$outdir/seed-cdf-hz$hz-r$readers.png")
	done
}

plot_read() {
	local f=$1 series plots=()
	table "$f" read >"$tmp/read.csv"
	# One file per flavour and reader (read_FLAVOUR@READER.dat, spaces as
	# '~'): threads, net_ns (empty loop subtracted).
	awk -F, -v dir="$tmp" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$(col["net_ns"]) != "" {
			s = $(col["flavour"]) "@" $(col["reader"])
			gsub(/[^A-Za-z0-9_.+@-]/, "~", s)
			print $(col["threads"]), $(col["net_ns"]) > (dir "/read_" s ".dat")
		}' "$tmp/read.csv"
	for d in "$tmp"/read_*.dat; do
		series=${d##*/read_}
		series=${series%.dat}
		series=${series//\~/ }
		plots+=("\"$d\" using 1:(\$2 > 0 ? \$2 : 0.01) with linespoints lw 2 $(style "${series/@//}" LINES) title \"${series/@/ }\"")
	done
	local IFS=,
	gnuplot <<-EOF
		set terminal $term
		set output "$outdir/read-cost.png"
		set title "read side: ns per lock/unlock pair, empty loop subtracted"
		set xlabel "reader threads"
		set ylabel "ns per pair (log scale)"
		set logscale y
		set xtics 1
		set key outside right top
		set grid
		plot ${plots[*]}
	EOF
	unset IFS
	made+=("$outdir/read-cost.png")
}

# bars_table FILE TABLE PNG TITLE YLABEL GROUPS SERIES VALUE log|linear
bars_table() {
	table "$1" "$2" >"$tmp/$2.csv"
	bars_data "$tmp/$2.csv" "$6" "$7" "$8" >"$tmp/$2.dat"
	plot_bars "$tmp/$2.dat" "$outdir/$3" "$4" "$5" "$9"
}

for f in "$@"; do
	[[ -r $f ]] || { echo "plot.sh: cannot read $f" >&2; exit 2; }
	if [[ $(head -n1 "$f") == flavour,row,hz,readers,update,latency_us* ]]; then
		plot_seed_raw "$f"
		continue
	fi
	found=0
	if grep -q '^# table seed:' "$f"; then
		bars_table "$f" seed seed-median.png \
			"seed: median synchronize_srcu_expedited() latency per row" "us (log scale)" \
			"hz readers" "flavour row" med_us log
		found=1
	fi
	if grep -q '^# table gp:' "$f"; then
		bars_table "$f" gp gp-median.png "gp: median grace-period latency" \
			"us (log scale)" "hz readers" "flavour op" med_us log
		found=1
	fi
	if grep -q '^# table cb-latency:' "$f"; then
		bars_table "$f" cb-latency cb-latency.png \
			"cb: median callback latency, call_srcu*() to invocation" "us (log scale)" \
			"hz" "flavour op" med_us log
		found=1
	fi
	if grep -q '^# table cb-throughput:' "$f"; then
		bars_table "$f" cb-throughput cb-throughput.png \
			"cb: callback throughput, queueing threads until srcu_barrier()" \
			"thousands of callbacks per second" "hz threads" "flavour op" kcb_s linear
		found=1
	fi
	if grep -q '^# table read:' "$f"; then
		plot_read "$f"
		found=1
	fi
	if [[ $found == 0 ]]; then
		echo "plot.sh: $f: neither srcu-bench --csv output nor a --raw file" >&2
		exit 2
	fi
done

for p in "${made[@]}"; do
	echo "$p"
done
