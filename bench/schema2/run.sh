#!/bin/bash
# Schema 2 prototype, the whole measurement (docs/database.md, "Schema 2
# (proposed)"; figures in bench/RESULTS.md "Site scale (issue 13)"):
#
#   bench/schema2/run.sh [WORK]            (WORK default /tmp/xalt-schema2)
#
# 1. stage 37 days of bench/gen-year (10 % of a year at 100,000 runs a day)
#    with stage.py --delta-only (not timed; skipped when WORK/stage is there);
# 2. load them into a private PostgreSQL 15 (as bench/site-baseline.sh) and a
#    SQLite file, with the delta path of load.py, in three steps ending at 4,
#    11 and 37 days (1 %, 3 %, 10 %); after each: compact (timed), the day
#    presence table for the "day"/"blkday" candidates, table sizes, and
#    reports.py (REPEAT runs each).
# Knobs: JOBS (PostgreSQL connections, default 2), REPEAT (3), CHECKPOINTS;
# FAST=1 loads PostgreSQL batches straight into their tables (load.py).
# Output: WORK/run.log (everything), one line per measurement.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
WORK=${1:-/tmp/xalt-schema2}
JOBS=${JOBS:-2}
REPEAT=${REPEAT:-3}
CHECKPOINTS=${CHECKPOINTS:-4 11 37}
L="python3 $here/load.py"
R="python3 $here/reports.py"
START_DAY=20454                  # 2026-01-01, gen-year's day 0
mkdir -p "$WORK"
chmod 755 "$WORK"
log=$WORK/run.log

if ! test -f "$WORK/stage/.done"; then
	rm -rf "$WORK/stage"
	last=${CHECKPOINTS##* }
	for d in $(seq 0 $((last - 1))); do
		bench/gen-year --days 1 --first-day "$d" 2>/dev/null |
			python3 "$here/stage.py" --delta-only "$WORK/stage"
		find "$WORK/stage" -maxdepth 1 -name 'b*' | wc -l >"$WORK/stage/.day$d"
	done
	touch "$WORK/stage/.done"
fi

XALT_TEST_PREFIX=unused
# shellcheck source=../../t/lib-pg.sh
. t/lib-pg.sh
rm -rf "$WORK/pg"
pg_start "$WORK/pg" || { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }
pg_as tee -a "$WORK/pg/data/postgresql.auto.conf" >/dev/null <<-\EOF
	shared_buffers = '2GB'
	work_mem = '64MB'
	maintenance_work_mem = '512MB'
	max_wal_size = '8GB'
	effective_cache_size = '8GB'
	EOF
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 restart >/dev/null
export PG_PIDFILE=$PG_DIR/data/postmaster.pid
PGU=$PG_URL
SQ=$WORK/s2.db
rm -f "$SQ" "$SQ-wal" "$SQ-shm"
$L init pg "$PGU"
$L init sqlite "$SQ"

sizes() {
	psql -X -A -t -F ' ' -d "$PGU" -c "SELECT c.relname, pg_total_relation_size(c.oid) +
		coalesce((SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i
			WHERE i.inhparent = c.oid), 0) AS bytes
		FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
		AND NOT c.relispartition ORDER BY bytes DESC" | sed "s/^/size pg $1 /" >>"$log"
	sqlite3 "$SQ" "SELECT coalesce(t.tbl_name, d.name), sum(d.pgsize) AS bytes FROM dbstat d
		LEFT JOIN sqlite_master t ON t.name = d.name GROUP BY 1 ORDER BY bytes DESC" |
		tr '|' ' ' | sed "s/^/size sqlite $1 /" >>"$log"
}

first=0
for cp in $CHECKPOINTS; do
	last=$(cat "$WORK/stage/.day$((cp - 1))")
	$L ents pg "$PGU" "$WORK/stage"
	$L ents sqlite "$SQ" "$WORK/stage"
	out=$($L load pg "$PGU" "$WORK/stage" "$first" "$last" --jobs "$JOBS")
	echo "load pg $cp jobs=$JOBS $out" >>"$log"
	out=$($L compact pg "$PGU")
	echo "compact pg $cp $out" >>"$log"
	out=$($L load sqlite "$SQ" "$WORK/stage" "$first" "$last")
	echo "load sqlite $cp $out" >>"$log"
	out=$($L compact sqlite "$SQ")
	echo "compact sqlite $cp $out" >>"$log"
	first=$last
	psql -X -q -d "$PGU" -c "DROP TABLE IF EXISTS pres_pkg_day" -c "VACUUM ANALYZE"
	sqlite3 "$SQ" "DROP TABLE IF EXISTS pres_pkg_day; PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;" >/dev/null
	sizes "$cp"
	end=$((START_DAY + cp))
	$R pg "$PGU" "$end" "$REPEAT" --explode >"$WORK/rep.out"
	sed "s/^/report $cp /" "$WORK/rep.out" >>"$log"
	$R sqlite "$SQ" "$end" "$REPEAT" --explode >"$WORK/rep.out"
	sed "s/^/report $cp /" "$WORK/rep.out" >>"$log"
done
echo done >>"$log"
