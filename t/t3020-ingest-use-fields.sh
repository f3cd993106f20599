#!/bin/bash
test_description='xalt ingest: the fields of issues 10 and 11 (parent run, exit how, packages lost, direct/startup/used) on SQLite and PostgreSQL; migrate from schema 1'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader "${DB:-db.sqlite}" "$1"; }
pg_start_or_say
PG=$PG_URL

# A new record: its run has a parent and was recovered; numpy was chosen and
# used, pandas imported by numpy's user code but never called, mpl_toolkits
# came with a .pth file at start-up, yaml says nothing (null everywhere).
new_pkgs='.packages = [
	{program: "python", name: "numpy", version: "1.26.0", path: "/p/numpy", import_time: 0.1,
	 direct: true, imported_by: null, startup: false, used: true, functions_used: 7},
	{program: "python", name: "pandas", version: "2.0.3", path: "/p/pandas", import_time: 0.2,
	 direct: false, imported_by: "numpy", startup: false, used: false, functions_used: 0},
	{program: "python", name: "mpl_toolkits", version: null, path: "/p/mpl", import_time: 0.01,
	 direct: false, imported_by: null, startup: true, used: null, functions_used: null},
	{program: "python", name: "yaml", version: "6.0", path: "/p/yaml", import_time: 0.01,
	 direct: null, imported_by: null, startup: null, used: null, functions_used: null}]'

# What the run_package rows must say, per package name (from the record):
# name|direct|startup|used|functions_used|imported_by
cat >expect.pkgs <<-\EOT
mpl_toolkits|0|1|||
numpy|1|0|1|7|
pandas|0|0|0|0|numpy
yaml|||||
EOT
pkg_rows_sql="SELECT n.name, rp.direct, rp.startup, rp.used, rp.functions_used, b.name
	FROM run_package rp JOIN package_names n ON n.id = rp.name_id
	LEFT JOIN package_names b ON b.id = rp.imported_by_id
	JOIN runs r ON r.id = rp.run_id WHERE r.uuid = '$(rec_uuid 1)' ORDER BY n.name"
run_row_sql="SELECT exit_how, coalesce(exit_status, -1), parent_uuid, packages_lost FROM runs ORDER BY uuid"

test_expect_success 'setup: a new record, an old one, and a lost one' '
	mkrec in/run.1.json 1 alice ".parent_run_uuid = \"$(rec_uuid 9)\" | .exit = {how: \"recovered\", status: null, signal: 0} | $new_pkgs" &&
	mkrec in/run.2.json 2 bob &&
	mkrec in/run.3.json 3 carol ".exit = {how: \"signal\", status: null, signal: 15} | .packages = [] | .packages_lost = true" &&
	printf "recovered|-1|%s|\nexit|0||\nsignal|-1||1\n" "$(rec_uuid 9)" >expect.runs
'

test_expect_success 'SQLite: the new fields are stored, older records give NULL' '
	xalt ingest -q --db db.sqlite in &&
	q "$pkg_rows_sql" >actual && test_cmp expect.pkgs actual &&
	q "$run_row_sql" >actual && test_cmp expect.runs actual &&
	q "SELECT count(*) FROM run_package rp JOIN runs r ON r.id = rp.run_id WHERE r.uuid = '\''$(rec_uuid 2)'\''
		AND rp.direct IS NULL AND rp.startup IS NULL AND rp.used IS NULL
		AND rp.functions_used IS NULL AND rp.imported_by_id IS NULL" >actual &&
	echo 1 >expect && test_cmp expect actual
'

test_expect_success PG 'PostgreSQL: the same rows' '
	xalt ingest -q --db "$PG" in &&
	psql_q "$pkg_rows_sql" >actual && test_cmp expect.pkgs actual &&
	psql_q "$run_row_sql" >actual && test_cmp expect.runs actual
'

test_expect_success PG 'the largest functions_used a record may carry is stored on both engines' '
	mkrec big/run.18.json 18 x ".packages[0].functions_used = 2147483647" &&
	xalt ingest -q --db big.sqlite big && xalt ingest -q --db "$PG" big &&
	uuid18="SELECT max(rp.functions_used) FROM run_package rp JOIN runs r ON r.id = rp.run_id
		WHERE r.uuid = '\''$(rec_uuid 18)'\''" &&
	test "$(DB=big.sqlite q "$uuid18")" = 2147483647 && test "$(psql_q "$uuid18")" = 2147483647
'

test_expect_success 'malformed new fields reject the record, naming the field' '
	mkrec bad/run.11.json 11 x ".parent_run_uuid = \"../../etc\"" &&
	mkrec bad/run.12.json 12 x ".packages[0].direct = 1" &&
	mkrec bad/run.13.json 13 x ".packages[0].functions_used = -1" &&
	mkrec bad/run.14.json 14 x ".packages[0].imported_by = 5" &&
	mkrec bad/run.15.json 15 x ".packages_lost = \"yes\"" &&
	mkrec bad/run.16.json 16 x ".packages[0].used = \"true\"" &&
	mkrec bad/run.17.json 17 x ".packages[0].functions_used = 2147483648" &&
	test_must_fail xalt ingest -q --db db.sqlite bad 2>err &&
	grep "run.11.json.*parent_run_uuid. is not a lower-case UUID" err &&
	grep "run.12.json.*packages\[0\].direct. is not a boolean" err &&
	grep "run.13.json.*packages\[0\].functions_used. is out of range" err &&
	grep "run.17.json.*packages\[0\].functions_used. is out of range" err &&
	grep "run.14.json.*packages\[0\].imported_by. is not a string" err &&
	grep "run.15.json.*packages_lost. is not a boolean" err &&
	grep "run.16.json.*packages\[0\].used. is not a boolean" err &&
	test "$(q "SELECT count(*) FROM runs")" = 3
'

# A populated schema-1 database: this version's tables without the columns
# versions 2 to 5 added (the migrations add exactly these).
to_schema1_sql="$to_schema3_sql ALTER TABLE runs DROP COLUMN day; ALTER TABLE run_package DROP COLUMN day;
	ALTER TABLE runs DROP COLUMN parent_uuid; ALTER TABLE runs DROP COLUMN packages_lost;
	ALTER TABLE run_package DROP COLUMN direct; ALTER TABLE run_package DROP COLUMN startup;
	ALTER TABLE run_package DROP COLUMN used; ALTER TABLE run_package DROP COLUMN functions_used;
	ALTER TABLE run_package DROP COLUMN imported_by_id; UPDATE schema_version SET version = 1;"

# Each run's day and its package rows' days: the loader's (db_day) and the
# migration's (SQL) must agree, also before 1970 and just before midnight.
days_sql="SELECT r.uuid, r.day, (SELECT count(*) FROM run_package rp WHERE rp.run_id = r.id AND rp.day = r.day)
	FROM runs r ORDER BY r.uuid"

test_expect_success 'migrate from a populated schema 1: reports as a fresh load, NULL for the unknown' '
	mkrec old/run.21.json 21 alice "$(pkgs "[[\"python\",\"numpy\",\"1.24.2\",0.08],[\"python\",\"yaml\",\"6.0\",0.01]]")" &&
	mkrec old/run.22.json 22 bob ".exit = {how: \"unknown\", status: null, signal: 0}" &&
	mkrec old/run.23.json 23 carol "$(pkgs "[[\"python\",\"numpy\",\"1.24.2\",0.08]]") | .start_time = -86400.5" &&
	mkrec old/run.24.json 24 carol ".start_time = 86399.75" &&
	xalt ingest -q --db v1.sqlite old && DB=v1.sqlite q "$to_schema1_sql" &&
	test_must_fail xalt report packages --db v1.sqlite 2>err && grep "xalt db migrate" err &&
	xalt db migrate --db v1.sqlite >out && grep "schema version 11" out &&
	xalt ingest -q --db fresh.sqlite old &&
	for kind in packages conda import-time executables libraries summary; do
		xalt report $kind --db fresh.sqlite --format csv >expect &&
		xalt report $kind --db v1.sqlite --format csv >actual &&
		test_cmp expect actual || return 1
	done &&
	test "$(DB=v1.sqlite q "SELECT count(*) FROM run_package WHERE direct IS NULL AND used IS NULL")" = "$(DB=v1.sqlite q "SELECT count(*) FROM run_package")" &&
	DB=fresh.sqlite q "$days_sql" >expect.days &&
	printf "%s\n" -2 0 20417 >expect && cut -d"|" -f2 expect.days | sort -n | uniq >actual &&
	test_cmp expect actual &&
	DB=v1.sqlite q "$days_sql" >actual && test_cmp expect.days actual &&
	xalt ingest -q --db v1.sqlite in &&
	DB=v1.sqlite q "$pkg_rows_sql" >actual && test_cmp expect.pkgs actual
'

test_expect_success PG 'migrate from a populated schema 1 on PostgreSQL' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" &&
	xalt ingest -q --db "$PG" old && psql_q "$pg_unpartition_sql" >/dev/null &&
	psql_q "$to_schema1_sql" &&
	test_must_fail xalt report packages --db "$PG" 2>err && grep "xalt db migrate" err &&
	xalt db migrate --db "$PG" >out && grep "schema version 11" out &&
	pg_run_package_types_are_narrow &&
	psql_q "$days_sql" >actual && test_cmp expect.days actual &&
	for kind in packages conda import-time executables libraries summary; do
		xalt report $kind --db fresh.sqlite --format csv >expect &&
		xalt report $kind --db "$PG" --format csv >actual &&
		test_cmp expect actual || return 1
	done &&
	xalt ingest -q --db "$PG" in &&
	psql_q "$pkg_rows_sql" >actual && test_cmp expect.pkgs actual
'

# "rows bytes" of table $2 in the stats output $1
stat_of() { awk -v t="$2" '$1 == t { print $2, $3 }' "$1"; }

test_expect_success 'db stats: exact rows, bytes of every table, bytes per package record' '
	xalt db stats --db db.sqlite >stats &&
	read -r rows bytes <<-EOT &&
	$(stat_of stats runs)
	EOT
	test "$rows" = "$(q "SELECT count(*) FROM runs")" && test "$bytes" -gt 0 &&
	read -r rows bytes <<-EOT &&
	$(stat_of stats run_package)
	EOT
	test "$rows" = "$(q "SELECT count(*) FROM run_package")" &&
	test $(grep -c . stats) = 25 && ! grep "^run_uuids " stats &&
	grep "^bytes per package record: [0-9]*\.[0-9]$" stats &&
	xalt db stats --db empty.sqlite 2>err; test $? = 1 && grep "empty" err
'

test_expect_success PG 'db stats on PostgreSQL' '
	xalt db stats --db "$PG" >stats &&
	read -r rows bytes <<-EOT &&
	$(stat_of stats run_package)
	EOT
	test "$rows" = "$(psql_q "SELECT count(*) FROM run_package")" && test "$bytes" -gt 8000 &&
	for t in users packages runs run_uuids sum_pkg pres_pkg; do
		test "$(stat_of stats $t | cut -d" " -f2)" -gt 0 || return 1
	done &&
	test "$(stat_of stats run_uuids | cut -d" " -f1)" = "$(psql_q "SELECT count(*) FROM runs")" &&
	test $(grep -c . stats) = 26 &&
	grep "^bytes per package record: " stats
'

test_done
