#!/usr/bin/env bash
# plot.sh: turn srcu-bench's CSV output into PNG plots with gnuplot.
#
#   srcu-bench seed --csv --raw seed-raw.csv > seed.csv
#   srcu-bench read --csv > read.csv
#   bench/plot.sh -o plots seed.csv seed-raw.csv read.csv
#
# Inputs are recognised by content:
#   --raw file        seed-cdf-hzH-rR.png: latency distribution (CDF) of every
#                     row, one plot per hz and reader count
#   "# table seed"    seed-median.png: median per row, grouped by hz/readers
#   "# table gp"      gp-median.png: grace-period median per flavour and op
#   "# table read"    read-cost.png: net ns per lock/unlock pair vs threads
# (--csv output of `srcu-bench all` holds all three tables.)
set -euo pipefail

usage() {
	echo "usage: $0 [-o OUTDIR] FILE..." >&2
	exit 2
}

outdir=.
while getopts o:h opt; do
	case $opt in
	o) outdir=$OPTARG ;;
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

plot_bars() { # data file, png, title, ylabel
	local nseries
	nseries=$(head -n1 "$1" | wc -w)
	gnuplot <<-EOF
		set terminal $term
		set output "$2"
		set title "$3"
		set ylabel "$4"
		set logscale y
		set yrange [0.01:*]
		set datafile missing "?"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.8 border -1
		set key outside right top
		set xtics rotate by -30
		set grid ytics
		plot for [i=2:$nseries] "$1" using i:xtic(1) title columnheader(i)
	EOF
	made+=("$2")
}

plot_seed_raw() {
	local f=$1 groups g hz readers plots
	awk -F, -v dir="$tmp" 'NR > 1 {
		print $6 > (dir "/raw_" $3 "_" $4 "_" $1 "_" $2 ".lat")
	}' "$f"
	groups=$(awk -F, 'NR > 1 { print $3 "_" $4 }' "$f" | sort -u -t_ -k1,1n -k2,2n)
	for g in $groups; do
		hz=${g%_*}
		readers=${g#*_}
		plots=()
		for lat in "$tmp"/raw_"${g}"_*.lat; do
			local series=${lat##*/raw_"${g}"_}
			series=${series%.lat}
			sort -g "$lat" | awk -v n="$(wc -l <"$lat")" '{ print $1, 100 * NR / n }' \
				>"${lat%.lat}.cdf"
			plots+=("\"${lat%.lat}.cdf\" using 1:2 with steps lw 2 title \"${series/_//}\"")
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
			set key bottom right
			set grid
			plot ${plots[*]}
		EOF
		unset IFS
		made+=("$outdir/seed-cdf-hz$hz-r$readers.png")
	done
}

plot_read() {
	local f=$1 series plots=()
	table "$f" read >"$tmp/read.csv"
	# One file per flavour/reader: threads, net_ns (empty loop subtracted).
	awk -F, -v dir="$tmp" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$(col["net_ns"]) != "" {
			s = $(col["flavour"]) "_" $(col["reader"])
			gsub(/[^A-Za-z0-9_.-]/, "-", s)
			print $(col["threads"]), $(col["net_ns"]) > (dir "/read_" s ".dat")
		}' "$tmp/read.csv"
	for d in "$tmp"/read_*.dat; do
		series=${d##*/read_}
		series=${series%.dat}
		plots+=("\"$d\" using 1:(\$2 > 0 ? \$2 : 0.01) with linespoints lw 2 title \"${series/_/ }\"")
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

for f in "$@"; do
	[[ -r $f ]] || { echo "plot.sh: cannot read $f" >&2; exit 2; }
	if [[ $(head -n1 "$f") == flavour,row,hz,readers,update,latency_us ]]; then
		plot_seed_raw "$f"
		continue
	fi
	found=0
	if grep -q '^# table seed:' "$f"; then
		table "$f" seed >"$tmp/seed.csv"
		bars_data "$tmp/seed.csv" "hz readers" "flavour row" med_us >"$tmp/seed.dat"
		plot_bars "$tmp/seed.dat" "$outdir/seed-median.png" \
			"seed: median synchronize_srcu_expedited() latency per row" "us (log scale)"
		found=1
	fi
	if grep -q '^# table gp:' "$f"; then
		table "$f" gp >"$tmp/gp.csv"
		bars_data "$tmp/gp.csv" "hz readers" "flavour op" med_us >"$tmp/gp.dat"
		plot_bars "$tmp/gp.dat" "$outdir/gp-median.png" \
			"gp: median grace-period latency" "us (log scale)"
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
