#!/bin/bash
# Ingest of one corpus into SQLite and PostgreSQL (--jobs 1 and 2), interleaved,
# fresh database each; then the same corpus again on PostgreSQL (all
# duplicates). Wall time, the client's CPU (user+sys), and the PostgreSQL
# server's CPU: the backends' time, which the postmaster collects as it reaps
# them (fields 16-17 of its /proc stat).
#
# usage: XALT_PREFIX=build/inst bench/ingest-engines.sh CORPUS [ROUNDS]
# (CORPUS from bench/gen-records.py, as bench/bench-ingest.sh builds it)
set -eu
cd "$(dirname "$0")/.."
: "${XALT_PREFIX:?the installed tree to measure}"
xalt=$XALT_PREFIX/bin/xalt
corpus=${1:?corpus directory}
rounds=${2:-3}
XALT_TEST_PREFIX=$XALT_PREFIX
. t/lib-pg.sh
tmp=$(mktemp -d /tmp/xalt-bench-engines.XXXXXX)
chmod 755 "$tmp"   # the server runs as nobody
pg_start "$tmp/pg"
psql() { pg_as "$PG_BIN/psql" -h "$PG_DIR/sock" -U xalt -d xalt -qAt -c "$1"; }
pm=$(head -1 "$PG_DIR/data/postmaster.pid")
tck=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tck" '{ print ($16 + $17) / t }' "/proc/$pm/stat"; }
timed() {   # label, command...
	local label=$1 s0
	shift
	s0=$(server_cpu)
	/usr/bin/time -o "$tmp/time" -f "%e %U %S" "$@"
	sleep 0.5
	read -r w u s <"$tmp/time"
	printf '%-10s wall %6.2f s  client cpu %5.2f s  server cpu %5.2f s\n' "$label" "$w" \
		"$(echo "$u + $s" | bc -l)" "$(echo "$(server_cpu) - $s0" | bc -l)"
}
for r in $(seq "$rounds"); do
	rm -f "$tmp/lite.db"*
	timed sqlite "$xalt" ingest -q --db "$tmp/lite.db" "$corpus"
	for j in 1 2; do
		psql "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null
		"$xalt" db init --db "$PG_URL" >/dev/null
		timed "pg-jobs$j" "$xalt" ingest -q --jobs "$j" --db "$PG_URL" "$corpus"
	done
	timed pg-again "$xalt" ingest -q --db "$PG_URL" "$corpus"
	echo "  $(uptime | sed 's/.*load/load/')"
done
pg_stop
rm -rf "$tmp"
