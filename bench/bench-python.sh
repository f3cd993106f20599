#!/bin/bash
# Benchmark of the Python hook (issue 3 budgets), standalone: the hook
# without the preload library, so the figures are the hook's own cost.
#
#   bench/bench-python.sh [RUNS]        (make install first; see bench/RESULTS.md)
#
# Variants, run interleaved by a C fork/exec/wait timer (median of RUNS):
#   untracked   no hook at all
#   hook-off    PYTHONPATH has our site dir, the run is not tracked
#   tracked     PYTHONPATH + XALT_RUN_UUID + a fresh spool dir <base>/<uuid>.<pid>
#               on /dev/shm made by the timer's child before exec (as the preload does)
#   xalt        the whole product: preload library + hook, default config (a
#               short run is almost never sampled: spool written, then removed)
#   xalt-rec    the same with XALT_SAMPLING=no: a record written for every run
#   spawn       the seed talk's design: one process per import
#               (bench/python/spawn-hook: subprocess.call of /bin/true)
# Workloads: `-c pass`, and bench/python/import30.py (30 stdlib packages).
# Cost per recorded import, two ways: from the C timings, (import30 tracked -
# hook-off) minus (pass tracked - hook-off), divided by the lines the finder
# wrote for import30 (noisy: a difference of medians of ~60 ms runs); and
# in-process (bench/python/per-import.py: the same imports with the finder
# on and off, CPU time, best of N).
#
# Environment: TIMER (default $XALT_TEST_BUILD/bench/timer, else bench/timer
# built from bench/timer.c), PYTHONS (default /usr/bin/python3 and pyenv 3.12).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-150}
PREFIX=${XALT_TEST_PREFIX:-$PWD/build/inst}
SITE=$PREFIX/site
SPAWN=$PWD/bench/python/spawn-hook
WORK=$PWD/bench/python/import30.py
TIMER=${TIMER:-${XALT_TEST_BUILD:-$PWD/build}/bench/timer}
PYTHONS=${PYTHONS:-"/usr/bin/python3 $(ls -d "$HOME"/.pyenv/versions/3.12*/bin/python3 2>/dev/null | head -1)"}
SPOOL=/dev/shm/xalt-bench-python.$$
test -x "$TIMER" || { echo "no timer at $TIMER" >&2; exit 1; }
test -f "$SITE/sitecustomize.py" || { echo "no hook in $SITE: make install" >&2; exit 1; }
unset PYTHONDONTWRITEBYTECODE PYTHONPATH LD_PRELOAD $(env | sed -n 's/^\(XALT_[A-Za-z0-9_]*\)=.*/\1/p')
mkdir -m 700 "$SPOOL"
trap 'rm -rf "$SPOOL"' EXIT
for py in $PYTHONS; do $py -m compileall -q "$SPAWN" >/dev/null; done
ENV="LD_PRELOAD=$PREFIX/lib/libxalt_init.so XALT_EXECUTABLE_TRACKING=yes PYTHONPATH=$SITE XALT_FILE_PREFIX=$SPOOL/records"
XALT="xalt $ENV"
XALT_REC="xalt-rec $ENV XALT_SAMPLING=no"

med() { awk -v l="$1" '$1 == l { print $3 }'; }

for py in $PYTHONS; do
	echo "### $py ($($py -c 'import sys; print(sys.version.split()[0])'), $RUNS runs)"
	echo '```'
	p=$("$TIMER" "$RUNS" untracked "hook-off PYTHONPATH=$SITE" \
		"tracked PYTHONPATH=$SITE SPOOL=$SPOOL" "$XALT" "$XALT_REC" \
		"spawn PYTHONPATH=$SPAWN SPOOL=$SPOOL" -- "$py" -c pass)
	rm -rf "${SPOOL:?}"/*
	echo "-c pass"; echo "$p"
	i=$("$TIMER" $((RUNS / 2)) untracked "hook-off PYTHONPATH=$SITE" \
		"tracked PYTHONPATH=$SITE SPOOL=$SPOOL" "$XALT" "$XALT_REC" \
		"spawn PYTHONPATH=$SPAWN SPOOL=$SPOOL" -- "$py" "$WORK")
	rm -rf "${SPOOL:?}"/*
	echo "import30.py"; echo "$i"
	# lines the finder writes for import30 (beyond those of -c pass)
	n1=$(bash -c 'd=$1.$$; mkdir $d; XALT_RUN_UUID=u XALT_SPOOL_DIR=$d PYTHONPATH=$2 exec $3 -c pass' x "$SPOOL/u" "$SITE" "$py"; cat "$SPOOL"/u.*/pkgs | wc -l)
	rm -rf "${SPOOL:?}"/*
	n2=$(bash -c 'd=$1.$$; mkdir $d; XALT_RUN_UUID=u XALT_SPOOL_DIR=$d PYTHONPATH=$2 exec $3 $4' x "$SPOOL/u" "$SITE" "$py" "$WORK"; cat "$SPOOL"/u.*/pkgs | wc -l)
	rm -rf "${SPOOL:?}"/*
	awk -v pu="$(echo "$p" | med hook-off)" -v pt="$(echo "$p" | med tracked)" \
		-v iu="$(echo "$i" | med hook-off)" -v it="$(echo "$i" | med tracked)" \
		-v n=$((n2 - n1)) 'BEGIN { printf "from the timer: %d lines recorded by import30; cost per recorded import %.1f us\n", n, ((it - iu) - (pt - pu)) / n }'
	bash -c 'd=$1.$$; mkdir $d; XALT_RUN_UUID=u XALT_SPOOL_DIR=$d PYTHONPATH=$2 exec $3 $4 60' \
		x "$SPOOL/u" "$SITE" "$py" bench/python/per-import.py
	rm -rf "${SPOOL:?}"/*
	echo '```'
done
