#!/bin/bash
# Instructions (callgrind) of a tracked Python start against the same start
# without XALT, for one or more installed trees (before and after a change):
# `-c pass` recorded and sampled out, and `tp30` recorded (30 packages of a
# site-packages dir, each importing json, as bench/bench-python.sh builds
# it). Instruction counts do not move with the machine's load, so two trees
# compare exactly. Prints a markdown table, one row per Python and tree.
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

# count VAR=VALUE... -- PY ARGS...: instructions of one run
count() {
	local e=()
	while [ "$1" != -- ]; do e+=("$1"); shift; done
	shift
	env "${e[@]}" PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "| python | tree | \`-c pass\` none | recorded | sampled out | \`tp30\` none | recorded |"
echo "|---|---|---|---|---|---|---|"
for py in $PYTHONS; do
	ver=$("$py" -c 'import sys; print(sys.version.split()[0])')
	n=$(count X=1 -- "$py" -c pass)
	tn=$(count PYTHONPATH="$TP" -- "$py" "$tmp/tp30.py")
	for prefix in "$@"; do
		p=$(cd "$prefix" && pwd)
		track=(LD_PRELOAD="$p/lib/libxalt_init.so" XALT_EXECUTABLE_TRACKING=yes
		       XALT_CONFIG="$p/etc/xalt.conf" XALT_FILE_PREFIX="$tmp/rec")
		r=$(count "${track[@]}" PYTHONPATH="$p/site" XALT_SAMPLING=no -- "$py" -c pass)
		o=$(count "${track[@]}" PYTHONPATH="$p/site" -- "$py" -c pass)
		tr=$(count "${track[@]}" PYTHONPATH="$p/site:$TP" XALT_SAMPLING=no -- "$py" "$tmp/tp30.py")
		rm -rf "$tmp/rec"
		echo "| $py ($ver) | $prefix | $n | $(ratio "$r" "$n") | $(ratio "$o" "$n") | $tn | $(ratio "$tr" "$tn") |"
	done
done
