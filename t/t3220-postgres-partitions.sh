#!/bin/bash
test_description='PostgreSQL: runs and run_package partitioned by month; migrate partitions a populated database'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
pg_start_or_skip_all

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
reports() {
	for kind in packages conda import-time executables libraries summary; do
		xalt report $kind --db "$PG_URL" --format csv || return 1
	done
}
# "name kind" of runs, run_package and their partitions, sorted
layout_sql="SELECT relname, relkind FROM pg_class WHERE relname ~ '^(runs|run_package)(_[0-9y]|$)'
	AND relkind IN ('r', 'p') ORDER BY 1"

test_expect_success 'setup: runs in November 2025, January 2026 and December 1969' '
	"$TEST_DIRECTORY/../bench/gen-records.py" --runs 300 --seed 3 gen >gen.counts &&
	mkrec gen/x/run.1.json 1 alice ".start_time = 1768435200.25" &&
	mkrec gen/x/run.2.json 2 bob ".start_time = -43200.5" &&
	mkrec gen/x/run.3.json 3 carol ".start_time = 1767225599.5"
'

test_expect_success 'a new database is partitioned: one partition per month of the loaded runs' '
	xalt ingest -q --db "$PG_URL" gen &&
	psql_q "$layout_sql" >actual &&
	{ echo "run_package|p" &&
	  for m in 1969_12 $(psql_q "SELECT DISTINCT to_char(to_timestamp(start_time) AT TIME ZONE '\''UTC'\'', '\''YYYY_MM'\'')
		FROM runs WHERE start_time > 0 ORDER BY 1"); do echo "run_package_$m|r"; done &&
	  echo "runs|p" &&
	  for m in 1969_12 $(psql_q "SELECT DISTINCT to_char(to_timestamp(start_time) AT TIME ZONE '\''UTC'\'', '\''YYYY_MM'\'')
		FROM runs WHERE start_time > 0 ORDER BY 1"); do echo "runs_$m|r"; done; } >expect &&
	test_cmp expect actual &&
	grep "^runs_2026_01|r" actual && grep "^runs_2025_12|r" actual &&
	test "$(psql_q "SELECT count(*) FROM runs_1969_12")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM runs_2025_12 WHERE uuid = '\''$(rec_uuid 3)'\''")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 303 &&
	test "$(psql_q "SELECT count(*) FROM runs r JOIN run_package rp ON rp.run_id = r.id
		WHERE rp.day <> r.day")" = 0
'

test_expect_success 'each month holds its rows only (the bounds are the calendar month, UTC)' '
	test "$(psql_q "SELECT count(*) FROM runs_2025_12 WHERE day < 20423 OR day >= 20454")" = 0 &&
	test "$(psql_q "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = '\''runs_2025_12'\''")" = \
		"FOR VALUES FROM ('\''20423'\'') TO ('\''20454'\'')"
'

test_expect_success 'loading again stores nothing; a different run under a stored uuid, in another month, is a conflict' '
	xalt ingest --db "$PG_URL" gen >out &&
	echo "read 303, loaded 0, duplicate 303, rejected 0" >expect && test_cmp expect out &&
	mkrec forged/run.1.json 1 alice ".start_time = 1700000000.5" &&
	test_must_fail xalt ingest --db "$PG_URL" forged >out 2>err &&
	grep "run_uuid already stored for another run" err &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE uuid = '\''$(rec_uuid 1)'\''")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE day < 20000")" = 1
'

test_expect_success 'migrate partitions a populated schema-3 database: same reports, loading goes on' '
	reports >expect &&
	# the months holding a run (the conflict above left its month empty:
	# months are made before the batch is checked)
	psql_q "$layout_sql" | grep -v _2023_11 >expect.layout &&
	psql_q "$pg_unpartition_sql" >/dev/null &&
	psql_q "$to_schema3_sql" &&
	psql_q "$layout_sql" >layout && test "$(cat layout)" = "run_package|r
runs|r" &&
	test_must_fail xalt report packages --db "$PG_URL" 2>err && grep "xalt db migrate" err &&
	xalt db migrate --db "$PG_URL" >out && grep "schema version 11" out &&
	psql_q "$layout_sql" >actual && test_cmp expect.layout actual &&
	reports >actual && test_cmp expect actual &&
	# every run once in run_uuids, which took over from runs_uuid_day
	pairs="SELECT count(*) FROM run_uuids u JOIN runs r
		ON r.id = u.id AND r.day = u.day AND r.uuid = CAST(u.uuid AS text)" &&
	test "$(psql_q "$pairs") $(psql_q "SELECT count(*) FROM run_uuids")" = "303 303" &&
	test "$(psql_q "SELECT count(*) FROM pg_constraint WHERE conname = '\''runs_uuid_day'\''")" = 0 &&
	mkrec more/run.4.json 4 dave ".start_time = 1772323200.5" &&
	xalt ingest --db "$PG_URL" more >out &&
	echo "read 1, loaded 1, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	test "$(psql_q "SELECT count(*), count(DISTINCT id) FROM runs")" = "304|304" &&
	test "$(psql_q "$pairs") $(psql_q "SELECT count(*) FROM run_uuids")" = "304 304" &&
	test "$(psql_q "SELECT count(*) FROM runs_2026_03")" = 1
'

test_done
