#!/bin/bash
# make bench: build the timing tools, run every bench/bench-*.sh in name
# order (each prints one markdown section on stdout) and write them all to
# bench/RESULTS.md with a header naming the machine and the commit.
#
# BENCH_ONLY="spine r" runs only bench-spine.sh and bench-r.sh and replaces
# their sections (from their "## " title to the next) in the existing file,
# keeping the other areas' results.
#
# To add an area: write bench/bench-<area>.sh; it gets these variables:
#   XALT_PREFIX   the installed tree under test    BENCH_BIN  timer, empty.so, trivial
#   BENCH_TMP     a scratch dir (removed after)    BENCH_RUNS runs per variant
# and prints "## <title>", the command(s) it ran, and a table made by $BENCH_BIN/timer.
set -eu
cd "$(dirname "$0")/.."
: "${XALT_TEST_PREFIX:?run through 'make bench'}"
XALT_PREFIX=$XALT_TEST_PREFIX
BUILD=${XALT_TEST_BUILD:-build}
BENCH_BIN=$BUILD/bench
BENCH_RUNS=${BENCH_RUNS:-400}
CC=${CC:-cc}
mkdir -p "$BENCH_BIN"
$CC -O2 -Wall -Werror -o "$BENCH_BIN/timer" bench/timer.c
$CC -O2 -shared -fPIC -o "$BENCH_BIN/empty.so" bench/empty.c
$CC -O2 -o "$BENCH_BIN/trivial" bench/trivial.c
BENCH_TMP=$(mktemp -d /tmp/xalt-bench.XXXXXX)
trap 'rm -rf "$BENCH_TMP"' EXIT
export XALT_PREFIX BENCH_BIN BENCH_TMP BENCH_RUNS

out=bench/RESULTS.md.new
header() {
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
	echo "on $(uname -n): $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
	echo "The machine is shared by several developers working at once: figures are noisy;"
	echo "compare ratios of interleaved variants, not absolute µs across runs."
	echo "Columns: median, 10th and 90th percentile wall µs of fork+exec+wait; ratio and"
	echo "difference of the median against the first row of each table."
	echo "Sections rerun alone (BENCH_ONLY) say when they were measured."
}
if test -z "${BENCH_ONLY:-}"; then
	{
		header
		for b in bench/bench-*.sh; do
			echo
			bash "$b"
		done
	} >"$out"
else
	cp bench/RESULTS.md "$out" 2>/dev/null || header >"$out"
	for area in $BENCH_ONLY; do
		sec=$BENCH_TMP/section.md
		{ bash "bench/bench-$area.sh"; echo; echo "(section measured $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"; } >"$sec"
		title=$(head -1 "$sec")
		# Replace the old section (title up to the next "## " line) or append.
		awk -v title="$title" -v sec="$sec" '
			$0 == title { while ((getline l < sec) > 0) print l; print ""; skip = 1; done = 1; next }
			skip && /^## / { skip = 0 }
			!skip { print }
			END { if (!done) { print ""; while ((getline l < sec) > 0) print l } }
		' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
	done
fi
mv "$out" bench/RESULTS.md
cat bench/RESULTS.md
