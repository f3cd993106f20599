#!/bin/bash
# Instructions (callgrind) of a tracked Python start against the same start
# without XALT, for one or more installed trees (before and after a change):
# `-c pass` recorded and sampled out, and `tp30` recorded (30 packages of a
# site-packages dir, each importing json, as bench/bench-python.sh builds
# it). Instruction counts do not move with the machine's load, so two trees
# compare exactly. Prints a markdown table, one row per Python and tree.
#
# Per recorded import, two ways:
#  - stdlib line: bench/python/per-import.py's 30 stdlib imports (some 100
#    modules), done again in one process with the hook recording and with
#    it returning at once; the difference over the lines written. Mostly
#    submodules, in a process whose caches are warm.
#  - third-party package: the first import of one of tp30's packages in a
#    process (each one line, and a package of its own), tracked minus not
#    tracked at all: the slope from tp10 to tp30, so the start and json's
#    lines drop out. Attribution, the version lookup, usage tracking (3.12+),
#    the spool write and the preload library's work on the line at exit
#    included: what a program pays per package.
# The microseconds are those counts at the rate this machine runs the stdlib
# imports untracked (their instructions over the fastest CPU time of 100
# repetitions in 5 processes, so load can only raise the figure). The
# kernel's part of the spool writes is not in them: about 1.3 µs per
# open/write/close on tmpfs (docs/python.md), one per package imported from
# the user's code.
#
# usage: bench/python-instructions.sh PREFIX... (installed trees, e.g. build/inst)
#        PYTHONS="/usr/bin/python3 ..." to choose the interpreters
set -eu
cd "$(dirname "$0")/.."
test $# -gt 0 || { echo "usage: $0 PREFIX..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: valgrind is needed" >&2; exit 1; }
: "${PYTHONS:=$(ls /usr/bin/python3 "$HOME"/.pyenv/versions/3.1[1-9]*/bin/python3 2>/dev/null || :)}"
tmp=$(mktemp -d /tmp/xalt-bench-icount.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
TP=$(bench/python/make-tp30.sh "$tmp")

# A command prefix counting a run's instructions (stderr: collected), with
# the same dict and set layouts in every run
CALLGRIND=(env PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null)
collected() { sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
# count VAR=VALUE... -- PY ARGS...: instructions of one run
count() {
	local e=()
	while [ "$1" != -- ]; do e+=("$1"); shift; done
	shift
	env "${e[@]}" "${CALLGRIND[@]}" "$@" 2>&1 >/dev/null | collected
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# inproc SITE PY ARGS...: PY tracked by the hook alone, its spool $tmp/pi.PID
# (the hook records only into a spool named after its own process)
inproc() {
	rm -rf "$tmp"/pi.*
	bash -c 'd=$1/pi.$$; mkdir -m 700 "$d"; XALT_RUN_UUID=u XALT_SPOOL_DIR=$d PYTHONPATH=$2 \
		exec "${@:3}"' x "$tmp" "$@"
}
# inproc_count SITE PY ARGS...: instructions of one such run
inproc_count() {
	inproc "$1" "${CALLGRIND[@]}" "${@:2}" 2>&1 >/dev/null | collected
}
# per_import SITE PY: "instructions µs rate" per recorded stdlib import, and
# the rate (instructions per µs) the machine ran the untracked imports at
per_import() {
	local site=$1 py=$2 i0 ioff ion l0 l1 best
	i0=$(inproc_count "$site" "$py" bench/python/per-import.py 0 off)
	ioff=$(inproc_count "$site" "$py" bench/python/per-import.py 5 off)
	# P lines only: the recording run also writes U lines at exit (3.12+)
	l0=$(grep -c '^P' "$tmp"/pi.*/pkgs)
	ion=$(inproc_count "$site" "$py" bench/python/per-import.py 5 on)
	l1=$(grep -c '^P' "$tmp"/pi.*/pkgs)
	best=$(for i in 1 2 3 4 5; do
		inproc "$site" "$py" bench/python/per-import.py 20 off |
			sed -n 's/.*import30 \([0-9]*\) us/\1/p'
	done | sort -n | head -1)
	test -n "$best" && test -n "$i0" && test -n "$ioff" && test -n "$ion" ||
		{ echo "$0: per-import.py failed with $py" >&2; return 1; }
	awk -v i0="$i0" -v ioff="$ioff" -v ion="$ion" -v n=$((l1 - l0)) -v best="$best" 'BEGIN {
		per = (ion - ioff) / n; rate = (ioff - i0) / 5 / best
		printf "%.0f %.1f %.1f", per, per / rate, rate }'
}

head -10 "$tmp/tp30.py" >"$tmp/tp10.py"
echo "| python | tree | \`-c pass\` none | recorded | sampled out | \`tp30\` none | recorded | stdlib line: instructions | µs | third-party package: instructions | µs |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for py in $PYTHONS; do
	ver=$("$py" -c 'import sys; print(sys.version.split()[0])')
	"$py" -m compileall -q "$TP" >/dev/null  # byte code, as an installed package has
	n=$(count X=1 -- "$py" -c pass)
	tn=$(count PYTHONPATH="$TP" -- "$py" "$tmp/tp30.py")
	tn10=$(count PYTHONPATH="$TP" -- "$py" "$tmp/tp10.py")
	for prefix in "$@"; do
		p=$(cd "$prefix" && pwd)
		track=(LD_PRELOAD="$p/lib/libxalt_init.so" XALT_EXECUTABLE_TRACKING=yes
		       XALT_CONFIG="$p/etc/xalt.conf" XALT_FILE_PREFIX="$tmp/rec")
		r=$(count "${track[@]}" PYTHONPATH="$p/site" XALT_SAMPLING=no -- "$py" -c pass)
		o=$(count "${track[@]}" PYTHONPATH="$p/site" -- "$py" -c pass)
		tr=$(count "${track[@]}" PYTHONPATH="$p/site:$TP" XALT_SAMPLING=no -- "$py" "$tmp/tp30.py")
		tr10=$(count "${track[@]}" PYTHONPATH="$p/site:$TP" XALT_SAMPLING=no -- "$py" "$tmp/tp10.py")
		rm -rf "$tmp/rec"
		pi=$(per_import "$p/site" "$py") || exit 1
		read -r pi piu rate <<<"$pi"
		# tpkg11..30's first imports in a process: tracked minus untracked
		tp=$(( ((tr - tr10) - (tn - tn10)) / 20 ))
		echo "| $py ($ver) | $prefix | $n | $(ratio "$r" "$n") | $(ratio "$o" "$n") | $tn | $(ratio "$tr" "$tn") | $pi | $piu | $tp | $(awk -v a=$tp -v r="$rate" 'BEGIN { printf "%.1f", a / r }') |"
	done
done
