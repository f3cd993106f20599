#!/bin/bash
# The R hook's budget (issue 3): `Rscript -e 'library(stats); library(utils)'`
# tracked <= 1.05x untracked. Run by bench/run.sh (make bench), which provides
# XALT_PREFIX, BENCH_BIN (the C timer), BENCH_TMP; BENCH_R_RUNS sets the runs
# per variant (default 60: an Rscript run takes ~200 ms, so a few hundred runs
# per variant would hold the shared machine for many minutes).
#
# Variants, interleaved by bench/timer (fork/exec/wait, medians):
#   untracked     no preload, no R_PROFILE (R still reads Debian's site profile)
#   hook-off      R_PROFILE=our hook, not tracked: the cost of chaining alone
#   preload       the preload library, tracked (PKGS, spool made and removed),
#                 no R hook: what the hook's cost is measured against
#   tracked       preload + hook, shipped sampling table (a short run is almost
#                 never sampled): the everyday tracked R run
#   tracked+rec   the same with XALT_SAMPLING=no: a record with the packages
#                 written at every run
set -eu
T=$BENCH_BIN/timer
LIB=$XALT_PREFIX/lib/libxalt_init.so
CONF=$XALT_PREFIX/etc/xalt.conf
HOOK=$XALT_PREFIX/site/Rprofile.site
N=${BENCH_R_RUNS:-60}
SHM=/dev/shm/xalt-bench-r.$$
mkdir -p "$SHM"
trap 'rm -rf "$SHM"' EXIT

echo "## R hook: namespace loads recorded by site/Rprofile.site"
echo
if ! command -v Rscript >/dev/null 2>&1; then
	echo "Skipped: no Rscript on this machine."
	exit 0
fi
R_SCRIPT=$(command -v Rscript)
echo "R $(Rscript -e 'cat(paste(R.version$major, R.version$minor, sep = "."))'), \`$R_SCRIPT\`;"
echo "shipped \`etc/xalt.conf\` (the R binary is PKGS); spool base \`/dev/shm\`; records"
echo "(tracked+rec only) into a scratch dir under /tmp. Variables per variant:"
echo
TRK="LD_PRELOAD=$LIB,XALT_EXECUTABLE_TRACKING=yes,XALT_CONFIG=$CONF,XALT_SPOOL_BASE=$SHM,XALT_FILE_PREFIX=$BENCH_TMP/rec-r"
echo "- untracked: (none)"
echo "- hook-off: \`R_PROFILE=$HOOK\`"
echo "- preload: \`$TRK\`"
echo "- tracked: preload's + \`R_PROFILE=$HOOK\`"
echo "- tracked+rec: tracked's + \`XALT_SAMPLING=no\`"
variants=(-v "untracked:" -v "hook-off:R_PROFILE=$HOOK" -v "preload:$TRK"
	-v "tracked:$TRK,R_PROFILE=$HOOK" -v "tracked+rec:$TRK,R_PROFILE=$HOOK,XALT_SAMPLING=no")

table() {
	echo
	echo "| variant | median µs | p10 | p90 | ratio | +µs |"
	echo "|---|---|---|---|---|---|"
	echo "$1"
	echo
}
col() { echo "$1" | awk -F'|' -v l=" $2 " '$2 == l {print $3}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }

echo
echo "### Budget: \`Rscript -e 'library(stats); library(utils)'\` tracked <= 1.05x untracked"
echo
echo "\`$T -n $N ${variants[*]} -- Rscript -e 'library(stats); library(utils)'\`"
rows=$("$T" -n "$N" -w 5 "${variants[@]}" -- "$R_SCRIPT" -e 'library(stats); library(utils)')
table "$rows"
u=$(col "$rows" untracked); p=$(col "$rows" preload); t=$(col "$rows" tracked)
echo "tracked / untracked = $(ratio "$t" "$u") (budget 1.05); tracked / preload = $(ratio "$t" "$p")" \
	"(the hook's own share); records written: $(find "$BENCH_TMP/rec-r" -name 'run.*.json' 2>/dev/null | wc -l)."

# Ten more namespaces (base and recommended packages, light ones). Dividing
# (tracked - preload) by the P lines would give the cost per record, but on a
# busy machine that difference is noise: the in-R figures below measure it.
PKGS='c("tools","splines","grid","parallel","stats4","codetools","boot","class","nnet","spatial")'
N2=$((N / 2))
echo
echo "### Per recorded namespace: 10 more loadNamespace() calls"
echo
echo "\`$T -n $N2 ${variants[*]} -- Rscript -e 'for (p in $PKGS) loadNamespace(p)'\`"
rows2=$("$T" -n "$N2" -w 3 "${variants[@]}" -- "$R_SCRIPT" -e "for (p in $PKGS) loadNamespace(p)")
table "$rows2"
# Count the P lines of one such run (standalone hook, spool made by hand).
U=00000000-0000-4000-8000-000000000000
lines=$(R_PROFILE=$HOOK XALT_RUN_UUID=$U SHM=$SHM sh -c \
	'd=$SHM/lines.$$ && mkdir -m 700 "$d" && XALT_SPOOL_DIR=$d exec "$0" "$@"' \
	"$R_SCRIPT" -e "for (p in $PKGS) loadNamespace(p)" && grep -c '^P' "$SHM"/lines.*/pkgs)
u2=$(col "$rows2" untracked); p2=$(col "$rows2" preload); t2=$(col "$rows2" tracked)
echo "tracked / untracked = $(ratio "$t2" "$u2"); tracked / preload = $(ratio "$t2" "$p2");" \
	"the run writes $lines P lines (the in-R figures below give the cost of each)."

# The wall medians above swing by tens of ms when the shared machine is busy.
# CPU time is steadier: each run reports its own user+sys (getrusage, which
# spans the Rscript -> sh -> R execs of the one process; ms resolution) just
# before it ends; variants interleaved, medians of N runs.
echo
echo "### CPU time of the same workload (user+sys reported by R at its end)"
echo
echo "Variants as above, interleaved; \`Rscript -e 'library(stats); library(utils); cat(sum(proc.time()[1:2]))'\`, $N runs."
echo
cpu_run() {
	local vars=$1
	env $(echo "$vars" | tr ',' ' ') "$R_SCRIPT" -e \
		'library(stats); library(utils); cat(sum(proc.time()[1:2]) * 1000)' 2>/dev/null
}
declare -A cpu
names=(untracked hook-off preload tracked)
vals=("" "R_PROFILE=$HOOK" "$TRK" "$TRK,R_PROFILE=$HOOK")
for ((r = 0; r < N; r++)); do
	for ((k = 0; k < 4; k++)); do
		i=$(((k + r) % 4))
		cpu[${names[$i]}]+="$(cpu_run "${vals[$i]}") "
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "| variant | median CPU ms | ratio |"
echo "|---|---|---|"
base=$(echo "${cpu[untracked]}" | median)
for n in "${names[@]}"; do
	m=$(echo "${cpu[$n]}" | median)
	echo "| $n | $m | $(ratio "$m" "$base") |"
done

# Inside one tracked R (standalone hook, spool made by hand): the wrapper's
# cost per loadNamespace() call and the cost of recording one namespace,
# from 2000 repetitions each (R's Sys.time, µs).
echo
echo "### Inside R: the wrapper per call, one record"
echo
R_PROFILE=$HOOK XALT_RUN_UUID=$U SHM=$SHM sh -c \
	'd=$SHM/micro.$$ && mkdir -m 700 "$d" && XALT_SPOOL_DIR=$d exec "$0" "$@"' "$R_SCRIPT" -e '
e <- environment(loadNamespace); n <- 2000
us <- function(expr) { t <- Sys.time(); for (i in seq_len(n)) eval(expr); round(1e6 * as.numeric(Sys.time() - t, units = "secs") / n, 1) }
a <- us(quote(loadNamespace("stats"))); b <- us(quote(e$orig("stats")))
r <- us(quote(e$note(asNamespace("stats"), "stats", 0.001)))
cat("| measure | µs |\n|---|---|\n")
cat("| loadNamespace() of a loaded namespace, through the wrapper |", a, "|\n")
cat("| the same, original function |", b, "|\n")
cat("| recording one namespace (escape, version, path, one cat append) |", r, "|\n")'
echo
echo "Hook start-up (evaluating site/Rprofile.site, chaining included) is in the"
echo "hook-off and tracked rows above; a run with k namespaces pays about k records."
