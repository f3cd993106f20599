#!/bin/bash
# make bench: build the timing tools, run every bench/bench-*.sh in name
# order (each prints one markdown section on stdout) and write them all to
# bench/RESULTS.md with a header naming the machine and the commit.
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
{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
	echo "on $(uname -n): $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
	echo "The machine is shared by several developers working at once: figures are noisy;"
	echo "compare ratios of interleaved variants, not absolute µs across runs."
	echo "Columns: median, 10th and 90th percentile wall µs of fork+exec+wait; ratio and"
	echo "difference of the median against the first row of each table."
	for b in bench/bench-*.sh; do
		echo
		bash "$b"
	done
} >"$out"
mv "$out" bench/RESULTS.md
cat bench/RESULTS.md
