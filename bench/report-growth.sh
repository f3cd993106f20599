#!/bin/bash
# How report costs grow with the history: DAYS days of bench/gen-year (100,000
# runs a day), loaded day by day into SQLite and PostgreSQL (each day
# generated, ingested into both, deleted: the disk holds one day's files),
# every report timed when a tenth of the days is loaded and again at the end
# (the budget: at most 2x from a tenth of the data to all of it). Median of
# ROUNDS runs of `xalt report KIND [WINDOW] --top 20`, without a window, over
# the last week and over the last 30 days. Also each day's ingest time.
#
# usage: XALT_PREFIX=build/inst [KEEP=DIR [FROM=DAY]] [CHECK="D..."] [TOGETHER=1] [RUNS_PER_DAY=N]
#            bench/report-growth.sh DAYS [ROUNDS]
#        XALT_PREFIX=build/inst bench/report-growth.sh --again DIR [ROUNDS]
# KEEP=DIR keeps the databases in DIR (the PostgreSQL server stopped); --again
# times the reports on such a DIR once more (after a change to them). FROM=DAY
# goes on loading a KEEP directory from that day (ingest skips the runs a
# stopped load had stored already). CHECK lists the numbers of loaded days
# after which the reports are timed (default: a tenth, and all DAYS).
# TOGETHER=1 ingests each day into both engines at once (a long load in
# less time; each day's ingest times then include the other's load).
set -eu
cd "$(dirname "$0")/.."
: "${XALT_PREFIX:?the installed tree to measure}"
xalt=$XALT_PREFIX/bin/xalt
XALT_TEST_PREFIX=$XALT_PREFIX
. t/lib-pg.sh

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
timeit() {   # seconds of one run of the command, its output dropped
	local t0
	t0=$(now)
	"$@" >/dev/null
	echo "$(now) - $t0" | bc -l
}
day() { date -u -d "@$(($1 * 86400))" +%F; }

# time_reports LABEL: every report on both engines into $dir/times.LABEL
# (lines "kind|window|engine seconds")
time_reports() {
	local label=$1 last week month kind w db e
	last=$(sqlite3 "$dir/y.db" "SELECT max(day) + 1 FROM runs")
	week="--since $(day $((last - 7))) --until $(day "$last")"
	month="--since $(day $((last - 30))) --until $(day "$last")"
	: >"$dir/times.$label"
	for kind in packages "versions numpy" conda import-time executables libraries; do
		for w in all week month; do
			for e in sqlite postgresql; do
				db=$dir/y.db
				test $e = sqlite || db=$PG_URL
				for r in $(seq "$rounds"); do
					# shellcheck disable=SC2086 # $kind and the window hold several words
					timeit "$xalt" report $kind \
						$([ $w = week ] && echo "$week"; [ $w = month ] && echo "$month"; :) \
						--top 20 --db "$db"
				done | median | sed "s/^/${kind// /_}|$w|$e /" >>"$dir/times.$label"
				echo >>"$dir/times.$label"
			done
		done
	done
}

# table A B: the two timings side by side, with B / A
table() {
	printf '| report | window | engine | %s (s) | %s (s) | ratio |\n|---|---|---|---|---|---|\n' "$1" "$2"
	join -t ' ' <(sort "$dir/times.$1") <(sort "$dir/times.$2") |
		awk '{ split($1, k, "|"); gsub("_", " ", k[1]); printf "| %s | %s | %s | %.3f | %.3f | %.2f |\n", k[1], k[2], k[3], $2, $3, $3 / $2 }' |
		sort -t '|' -k 2,2 -k 3,3 -k 4,4
}

start_pg() {   # the server on $dir/pg, created when new
	if test -d "$dir/pg/data"; then
		PG_DIR=$dir/pg
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
			-o "-k $PG_DIR/sock -c listen_addresses= -c fsync=off -p 5432" start >/dev/null
		PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
		PG_URL="postgresql:///xalt?host=$PG_DIR/sock&user=xalt"
	else
		pg_start "$dir/pg"
		"$xalt" db init --db "$PG_URL" >/dev/null
	fi
}

if test "${1:-}" = --again; then
	dir=${2:?the KEEP directory}
	rounds=${3:-3}
	trap 'pg_stop' EXIT
	start_pg
	label=again.$(date +%H%M%S)
	time_reports "$label"
	sed 's/ /: /' "$dir/times.$label" | grep .
	exit 0
fi

days=${1:?number of days}
rounds=${2:-3}
tenth=$(( (days + 9) / 10 ))
if test -n "${KEEP:-}"; then
	dir=$KEEP
	mkdir -p "$dir"
	trap 'pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w stop >/dev/null 2>&1 || :; rm -rf "$dir/day"' EXIT
else
	dir=$(mktemp -d "${BENCH_TMP:-/tmp}/xalt-bench-growth.XXXXXX")
	trap 'pg_stop >/dev/null 2>&1 || :; rm -rf "$dir"' EXIT
fi
chmod 755 "$dir"   # the server runs as nobody
start_pg
echo "| day | package records | sqlite ingest (s) | postgresql ingest (s) |"
echo "|---|---|---|---|"
for d in $(seq "${FROM:-0}" $((days - 1))); do
	bench/gen-year --first-day "$d" --days 1 ${RUNS_PER_DAY:+--runs-per-day "$RUNS_PER_DAY"} --out "$dir/day" 2>"$dir/gen.counts"
	if test -n "${TOGETHER:-}"; then
		timeit "$xalt" ingest -q --db "$dir/y.db" "$dir/day" >"$dir/lite.time" &
		lite_pid=$!
		# on failure, the SQLite ingest ends before the exit trap cleans up
		pg=$(timeit "$xalt" ingest -q --db "$PG_URL" "$dir/day") || { wait $lite_pid; exit 1; }
		wait $lite_pid
		lite=$(cat "$dir/lite.time")
	else
		lite=$(timeit "$xalt" ingest -q --db "$dir/y.db" "$dir/day")
		pg=$(timeit "$xalt" ingest -q --db "$PG_URL" "$dir/day")
	fi
	rm -rf "$dir/day"
	printf '| %d | %s | %.2f | %.2f |\n' "$d" "$(awk '{ print $6 }' "$dir/gen.counts")" "$lite" "$pg"
	if [[ " ${CHECK:-$tenth $days} " = *" $((d + 1)) "* ]]; then
		# analyzed, as autovacuum would have it by then
		pg_as "$PG_BIN/psql" -h "$PG_DIR/sock" -U xalt -d xalt -qc "VACUUM ANALYZE" >/dev/null
		time_reports "day$((d + 1))"
	fi
done
for db in "$dir/y.db" "$PG_URL"; do
	"$xalt" db stats --db "$db"
done
# the first and the last timing of this load (of CHECK's days)
# shellcheck disable=SC2086 # the list of days
set -- ${CHECK:-$tenth $days}
test -s "$dir/times.day$1" && test -s "$dir/times.day${!#}" && table "day$1" "day${!#}"
echo "$(uptime | sed 's/.*load/load/')"
