#!/bin/bash
# The site filters' regex matcher (src/common/ere.c, issue 12) against
# glibc's regcomp/regexec: compile and match costs for the patterns of the
# shipped config and of the shared filter cases (bench/ere-bench.c).
set -eu
BUILD=${XALT_TEST_BUILD:-build}
CC=${CC:-cc}
$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc/common -o "$BENCH_BIN/ere-bench" \
	bench/ere-bench.c "$BUILD/libcommon.a"

echo "## Regex matcher: src/common/ere.c against glibc's regcomp/regexec"
echo
echo "Every pattern of each config compiled and matched as a regex (the filters' literal"
echo "shortcuts left out), on the names and paths of \`t/filter-cases.tsv\` plus program paths"
echo "and variable names; medians of 31 rounds, ours and glibc's alternating. \"compile, then"
echo "each subject once\" is what one process pays; glibc's figure leaves out the ≈25 µs its first"
echo "regcomp in a program spends initialising malloc. Memory: our programs' bytes, glibc's heap"
echo "after regcomp (mallinfo2)."
echo
echo "\`$BENCH_BIN/ere-bench t/filter-cases.tsv etc/xalt.conf t/filter-cases.conf\`"
echo
"$BENCH_BIN/ere-bench" t/filter-cases.tsv etc/xalt.conf t/filter-cases.conf
