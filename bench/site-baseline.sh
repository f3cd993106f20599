#!/bin/bash
# Site scale (issue 13): what today's schema costs on a large centre's data.
# Not part of `make bench` (a 10 % year takes about two hours here); run it by
# hand and copy the figures into bench/RESULTS.md:
#
#   bench/site-baseline.sh [WORK]          (WORK default /tmp/xalt-site)
#
# Knobs: XALT (the binary, default build/xalt), CHECKPOINTS ("4 11 37": days
# of data at which the reports are timed: 1 %, 3 % and 10 % of a year at
# 100,000 runs a day), RUNS_PER_DAY (100000), REPEAT (3; a report over 60 s
# runs once), SEED (1), INGEST_RUNS_DAY (0: the day used for the ingest
# throughput corpus), RESUME=1 (carry on an interrupted run in WORK: what
# WORK/raw.tsv.new already holds is not measured again).
#
# What it does:
#  1. ingest throughput: one day of bench/gen-year records as files, loaded
#     REPEAT times into a fresh SQLite file and a fresh PostgreSQL database;
#  2. growth: the days are generated one at a time as files, ingested into
#     one SQLite file and one PostgreSQL database (both at once), and deleted (a 10 % year
#     is 20 GB of files; a day is 0.3-0.6 GB); at each checkpoint every
#     report, without a window and with a one-week and a one-month
#     --since/--until window ending at the data's end, REPEAT times on each
#     engine, and the size of each database and table.
#
# PostgreSQL 15 runs privately (t/lib-pg.sh: unix socket only, fsync=off as
# in the tests) with shared_buffers=2GB, work_mem=64MB, max_wal_size=8GB.
# Server CPU is the postmaster's children's CPU (backends are reaped by it;
# each measurement waits until its backend is gone).
# Every measurement is a line of WORK/raw.tsv:
#   what <TAB> engine <TAB> days <TAB> arg <TAB> wall_s <TAB> client_cpu_s <TAB> server_cpu_s <TAB> load1
# and the summary tables are printed from it at the end (bench/site-tables.py).
set -eu
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/xalt-site}
XALT=${XALT:-$PWD/build/xalt}
CHECKPOINTS=${CHECKPOINTS:-4 11 37}
RUNS_PER_DAY=${RUNS_PER_DAY:-100000}
REPEAT=${REPEAT:-3}
SEED=${SEED:-1}
START=1767225600                 # 2026-01-01, gen-year's day 0
RAW=$WORK/raw.tsv

mkdir -p "$WORK"
chmod 755 "$WORK"                 # the server runs as nobody
test "${RESUME:-}" = 1 || : >"$RAW.new"
touch "$RAW.new"

XALT_TEST_PREFIX=unused
# shellcheck source=../t/lib-pg.sh
. t/lib-pg.sh
if test "${RESUME:-}" = 1 && test -d "$WORK/pg/data"; then
	PG_DIR=$WORK/pg
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-k $PG_DIR/sock -c listen_addresses= -c fsync=off -p 5432" start >/dev/null
	trap pg_stop EXIT
else
	rm -rf "$WORK/pg"
	pg_start "$WORK/pg" || { echo "site-baseline: PostgreSQL did not start" >&2; exit 1; }
	pg_as tee -a "$WORK/pg/data/postgresql.auto.conf" >/dev/null <<-\EOF
		shared_buffers = '2GB'
		work_mem = '64MB'
		maintenance_work_mem = '512MB'
		max_wal_size = '8GB'
		effective_cache_size = '8GB'
		EOF
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 restart >/dev/null
fi
PGSOCK=$PG_DIR/sock
psql_() { pg_as "$PG_BIN/psql" -h "$PGSOCK" -U xalt -X -q -A -t "$@"; }
pg_url() { echo "postgresql:///$1?host=$PGSOCK&user=xalt"; }
postmaster_cpu() {   # utime+stime+cutime+cstime of the postmaster, seconds
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' \
		"/proc/$(head -1 "$PG_DIR/data/postmaster.pid")/stat"
}
pm_children() { cat /proc/"$(head -1 "$PG_DIR/data/postmaster.pid")"/task/*/children | wc -w; }
sleep 1
PM_AUX=$(pm_children)   # checkpointer, background writer, ...: no client backend
# until the last client backend is gone (and its CPU counted), at most 10 s
wait_backends() {
	local i
	for i in $(seq 1000); do
		test "$(pm_children)" -le "$PM_AUX" && return 0
		sleep 0.01
	done
}
# have WHAT ENGINE DAYS ARG: how many measurements the raw file already holds
# (a slow report counts as all of its repeats)
have() {
	awk -F '\t' -v w="$1" -v e="$2" -v d="$3" -v a="$4" -v r="$REPEAT" '
		$1 == w && $2 == e && $3 == d && $4 == a { n += ($5 > 60 ? r : 1) }
		END { print n + 0 }' "$RAW.new"
}
# measure WHAT ENGINE DAYS ARG -- COMMAND...: one raw line
measure() {
	local what=$1 engine=$2 days=$3 arg=$4 s0 s1 wall usr sys
	shift 5
	s0=$(postmaster_cpu)
	/usr/bin/time -o "$WORK/time.$engine" -f "%e %U %S" "$@" >/dev/null
	wait_backends
	s1=$(postmaster_cpu)
	read -r wall usr sys <"$WORK/time.$engine"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$what" "$engine" "$days" "$arg" "$wall" \
		"$(echo "$usr + $sys" | bc -l)" \
		"$(echo "$s1 - $s0" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RAW.new"
}

day_name() { date -u -d "@$((START + $1 * 86400))" +%F; }

# --- 1. ingest throughput on one day ------------------------------------------
d0=${INGEST_RUNS_DAY:-0}
corpus=$WORK/corpus
if test "$(have ingest-dup pg 1 "$(awk -F '\t' '$1 == "ingest-dup" { print $4; exit }' "$RAW.new")")" = 0; then
rm -rf "$corpus"
bench/gen-year --seed "$SEED" --runs-per-day "$RUNS_PER_DAY" --first-day "$d0" --days 1 \
	--out "$corpus" 2>"$WORK/corpus.counts"
find "$corpus" -name "run.*.json" -exec cat {} + >/dev/null    # page cache warm
read -r _ _ _ nruns _ npkgs _ <"$WORK/corpus.counts"
printf 'corpus\t-\t1\truns=%s packages=%s\t0\t0\t0\t%s\n' "$nruns" "$npkgs" \
	"$(cut -d' ' -f1 /proc/loadavg)" >>"$RAW.new"
for i in $(seq "$REPEAT"); do
	rm -f "$WORK/t.db" "$WORK/t.db-wal" "$WORK/t.db-shm"
	measure ingest sqlite 1 "$nruns/$npkgs" -- "$XALT" ingest -q --db "$WORK/t.db" "$corpus"
	psql_ -d postgres -c "DROP DATABASE IF EXISTS xalt_t" -c "CREATE DATABASE xalt_t"
	measure ingest pg 1 "$nruns/$npkgs" -- "$XALT" ingest -q --db "$(pg_url xalt_t)" "$corpus"
done
measure ingest-dup sqlite 1 "$nruns/$npkgs" -- "$XALT" ingest -q --db "$WORK/t.db" "$corpus"
measure ingest-dup pg 1 "$nruns/$npkgs" -- "$XALT" ingest -q --db "$(pg_url xalt_t)" "$corpus"
rm -rf "$corpus" "$WORK/t.db"*
psql_ -d postgres -c "DROP DATABASE xalt_t"
fi

# --- 2. growth: a day at a time, reports at each checkpoint --------------------
SQ=$WORK/site.db
if test "${RESUME:-}" != 1; then
	rm -f "$SQ" "$SQ-wal" "$SQ-shm"
	psql_ -d postgres -c "DROP DATABASE IF EXISTS xalt_site" -c "CREATE DATABASE xalt_site"
fi
PGU=$(pg_url xalt_site)
last=0
for cp in $CHECKPOINTS; do
	for d in $(seq "$last" $((cp - 1))); do
		test "$(awk -F '\t' -v d=$((d + 1)) '$1 == "day-ingest" && $2 == "pg" && $3 == d' "$RAW.new")" && continue
		dir=$WORK/days/$(day_name "$d")
		rm -rf "$WORK/days"
		bench/gen-year --seed "$SEED" --runs-per-day "$RUNS_PER_DAY" --first-day "$d" --days 1 \
			--out "$WORK/days" 2>"$WORK/day.counts"
		read -r _ _ _ nr _ np _ <"$WORK/day.counts"
		# both engines at once (these per-day figures show growth; the
		# throughput is phase 1's); the server CPU of the SQLite line
		# then holds PostgreSQL's
		measure day-ingest sqlite $((d + 1)) "$nr/$np" -- "$XALT" ingest -q --db "$SQ" "$dir" &
		measure day-ingest pg $((d + 1)) "$nr/$np" -- "$XALT" ingest -q --db "$PGU" "$dir" &
		wait
	done
	rm -rf "$WORK/days"
	last=$cp
	end=$((START + cp * 86400))
	if test "$(awk -F '\t' -v d="$cp" '$1 == "size" && $2 == "pg" && $3 == d' "$RAW.new")"; then
		sed -i "/^size\t[a-z]*\t$cp\t/d; /^rows\t[a-z]*\t$cp\t/d" "$RAW.new"
	fi
	psql_ -d xalt_site -c "VACUUM ANALYZE"
	sqlite3 "$SQ" "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;" >/dev/null
	# sizes: whole database, and per table with its indexes
	printf 'size\tsqlite\t%s\tdb\t%s\t0\t0\t0\n' "$cp" "$(stat -c %s "$SQ")" >>"$RAW.new"
	sqlite3 "$SQ" "SELECT coalesce(t.tbl_name, d.name), sum(d.pgsize) FROM dbstat d
		LEFT JOIN sqlite_master t ON t.name = d.name GROUP BY 1" |
		while IFS='|' read -r t b; do
			printf 'size\tsqlite\t%s\t%s\t%s\t0\t0\t0\n' "$cp" "$t" "$b"
		done >>"$RAW.new"
	printf 'size\tpg\t%s\tdb\t%s\t0\t0\t0\n' "$cp" \
		"$(psql_ -d xalt_site -c "SELECT pg_database_size('xalt_site')")" >>"$RAW.new"
	psql_ -F '|' -d xalt_site -c "SELECT relname, pg_total_relation_size(oid) FROM pg_class
		WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace" |
		while IFS='|' read -r t b; do
			printf 'size\tpg\t%s\t%s\t%s\t0\t0\t0\n' "$cp" "$t" "$b"
		done >>"$RAW.new"
	for t in runs run_package packages package_names executables libraries libsets libset_library users hosts; do
		printf 'rows\tsqlite\t%s\t%s\t%s\t0\t0\t0\n' "$cp" "$t" \
			"$(sqlite3 "$SQ" "SELECT count(*) FROM $t")" >>"$RAW.new"
	done
	for q in "packages" "versions numpy" "conda" "import-time" "executables" "libraries"; do
		for win in all week month; do
			case $win in
			all) w= ;;
			week) w="--since $((end - 7 * 86400)) --until $end" ;;
			month) w="--since $((end - 30 * 86400)) --until $end" ;;
			esac
			# shellcheck disable=SC2086 # $q and $w are word lists
			for e in sqlite pg; do
				db=$SQ
				test $e = pg && db=$PGU
				while test "$(have report $e "$cp" "$q $win")" -lt "$REPEAT"; do
					measure report $e "$cp" "$q $win" -- timeout 600 "$XALT" report $q $w --db "$db"
				done
			done
		done
	done
done
mv "$RAW.new" "$RAW"
bench/site-tables.py "$RAW"
