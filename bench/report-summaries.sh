#!/bin/bash
# Reports over DAYS days of bench/gen-year (100,000 runs a day), from the
# summary tables and from the raw rows, on SQLite and PostgreSQL: the
# median wall time of ROUNDS runs of each report, without a window, over the
# last week and over the last 30 days (dates, so the summaries answer). Also
# the ingest time of the corpus and `xalt db stats`' totals.
#
# usage: XALT_PREFIX=build/inst [RUNS_PER_DAY=N] [ENGINES=sqlite] [SOURCES=auto]
#        bench/report-summaries.sh DAYS [ROUNDS]
# (keeps nothing: corpus, databases and server live in a temp directory)
set -eu
cd "$(dirname "$0")/.."
: "${XALT_PREFIX:?the installed tree to measure}"
xalt=$XALT_PREFIX/bin/xalt
days=${1:?number of days}
rounds=${2:-3}
XALT_TEST_PREFIX=$XALT_PREFIX
. t/lib-pg.sh
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/xalt-bench-sum.XXXXXX")
chmod 755 "$tmp"   # the server runs as nobody
trap 'pg_stop >/dev/null 2>&1 || :; rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
timeit() {   # seconds of one run of the command, its output dropped
	local t0
	t0=$(now)
	"$@" >/dev/null
	echo "$(now) - $t0" | bc -l
}

bench/gen-year --days "$days" ${RUNS_PER_DAY:+--runs-per-day "$RUNS_PER_DAY"} --out "$tmp/corpus" 2>"$tmp/gen.counts"
echo "corpus: $days days: $(tail -1 "$tmp/gen.counts")"
dbs=("$tmp/y.db")
echo "ingest sqlite: $(timeit "$xalt" ingest -q --db "$tmp/y.db" "$tmp/corpus") s"
if [ "${ENGINES:-sqlite postgresql}" != sqlite ]; then
	pg_start "$tmp/pg"
	dbs+=("$PG_URL")
	"$xalt" db init --db "$PG_URL" >/dev/null
	echo "ingest postgresql: $(timeit "$xalt" ingest -q --db "$PG_URL" "$tmp/corpus") s"
fi
rm -rf "$tmp/corpus"
for db in "${dbs[@]}"; do
	"$xalt" db stats --db "$db"
done
last=$(sqlite3 "$tmp/y.db" "SELECT max(day) + 1 FROM runs")
day() { date -u -d "@$(($1 * 86400))" +%F; }
week="--since $(day $((last - 7))) --until $(day "$last")"
month="--since $(day $((last - 30))) --until $(day "$last")"

printf '| report | window | engine | summaries (s) | raw rows (s) |\n|---|---|---|---|---|\n'
for kind in packages "versions numpy" conda import-time executables libraries; do
	for label in all week month; do
		w=$( [ $label = week ] && echo "$week"; [ $label = month ] && echo "$month"; :)
		for e in "${!dbs[@]}"; do
			db=${dbs[$e]}
			echo n/a >"$tmp/raw"
			for src in ${SOURCES:-auto raw}; do
				for r in $(seq "$rounds"); do
					# shellcheck disable=SC2086 # $kind and $w hold several words
					XALT_REPORT_SOURCE=$src timeit "$xalt" report $kind $w --top 20 --db "$db"
				done | median >"$tmp/$src"
			done
			printf '| %s | %s | %s | %s | %s |\n' "$kind" "$label" \
				"$([ $e = 0 ] && echo sqlite || echo postgresql)" "$(cat "$tmp/auto")" "$(cat "$tmp/raw")"
		done
	done
done
echo "$(uptime | sed 's/.*load/load/')"
