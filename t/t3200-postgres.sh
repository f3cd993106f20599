#!/bin/bash
test_description='xalt ingest and report on a real PostgreSQL 15 server: same rows as SQLite'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-corpus.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
pg_start_or_skip_all

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
CORPUS=$TRASH_DIRECTORY/corpus

test_expect_success 'setup: the same corpus into SQLite and PostgreSQL' '
	make_corpus corpus &&
	mkrec corpus/run.50.json 50 "o'\''brien; DROP TABLE runs" "$(pkgs "[[\"python\",\"q\\\"x\",null,0.5]]")" &&
	xalt db init --db "$PG_URL" >out && grep "(postgresql) at schema version 11" out &&
	xalt ingest --db "$PG_URL" corpus >out &&
	echo "read 9, loaded 9, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	xalt ingest -q --db lite.db corpus
'

test_expect_success 'the tables have the documented rows' '
	test "$(psql_q "SELECT count(*) FROM runs")" = 9 &&
	test "$(psql_q "SELECT count(*) FROM run_package")" = "$(corpus_json | jq "map(.packages | length) | add")" &&
	test "$(psql_q "SELECT max(version) FROM schema_version")" = 11 &&
	pg_run_package_types_are_narrow
'

test_expect_success 'sum_lib by level, the day rows indexed for the ranked reports (PostgreSQL only)' '
	psql_q "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = CAST(\$\$sum_lib\$\$ AS regclass) ORDER BY 1" >actual &&
	printf "%s\n" sum_lib_all sum_lib_block sum_lib_day >expect && test_cmp expect actual &&
	psql_q "SELECT tablename, indexname FROM pg_indexes ORDER BY 2" | grep "_days\$" >actual &&
	printf "%s\n" "pres_pkg|pres_pkg_days" "sum_lib_day|sum_lib_days" >expect &&
	test_cmp expect actual &&
	test "$(psql_q "SELECT count(*) FROM sum_lib_day")" -gt 0 &&
	test "$(psql_q "SELECT count(*) FROM sum_lib_day")" = \
		"$(psql_q "SELECT count(*) FROM sum_lib WHERE lvl = 0")" &&
	test "$(psql_q "SELECT count(DISTINCT lvl) FROM sum_lib_day")" = 1
'

test_expect_success 'ingest is idempotent on PostgreSQL too' '
	xalt ingest --db "$PG_URL" corpus >out &&
	echo "read 9, loaded 0, duplicate 9, rejected 0" >expect && test_cmp expect out &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 9
'

for kind in packages conda import-time executables libraries summary unused "unused --sort ratio" \
	"packages --direct" "deps numpy" "deps requests"; do
	test_expect_success "report $kind: same rows as SQLite" '
		xalt report '"$kind"' --db lite.db --format csv >expect &&
		xalt report '"$kind"' --db "$PG_URL" --format csv >actual &&
		test_cmp expect actual && test $(wc -l <actual) -gt 1
	'
done

test_expect_success 'report packages matches jq, with filters, on PostgreSQL' '
	expect_report packages >expect &&
	xalt report packages --db "$PG_URL" --format csv >actual && test_cmp expect actual &&
	since=$(corpus_json | jq ".[2].start_time") &&
	for args in "--user alice" "--host node1" "--syshost beta" "--program R" "--top 1" "--by users" "--since $since"; do
		xalt report packages $args --db lite.db --format csv >expect &&
		xalt report packages $args --db "$PG_URL" --format csv >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'report versions and json output agree' '
	xalt report versions numpy --db lite.db --format json >expect &&
	xalt report versions numpy --db "$PG_URL" --format json >actual &&
	test_cmp expect actual
'

test_expect_success 'hostile names survive the round trip' '
	psql_q "SELECT name FROM users WHERE name LIKE '\''o%'\''" >actual &&
	printf "%s\n" "o'\''brien; DROP TABLE runs" >expect && test_cmp expect actual
'

test_expect_success 'a batch larger than --batch commits in several transactions' '
	mkdir big && for i in $(seq 200 260); do mkrec big/run.$i.json $i "u$((i % 7))"; done &&
	xalt ingest --batch 7 --db "$PG_URL" big >out &&
	echo "read 61, loaded 61, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 70
'

test_expect_success 'PostgreSQL commits every 20000 records unless --batch says otherwise' '
	xalt ingest -v --db "$PG_URL" big 2>err.default >/dev/null &&
	grep "committing every 20000 records" err.default &&
	xalt ingest -v --batch 9 --db "$PG_URL" big 2>err.nine >/dev/null &&
	grep "committing every 9 records" err.nine
'

# The move of a batch joins its staged package rows to the runs it inserted
# and to packages. PostgreSQL guesses the join to packages (three columns)
# at one row: joined first, it looped over the inserted runs for each
# package row once it guessed the runs few (4.5 s for a batch of 2,000).
# With --batch 500 over a generated day, 8 of 12 moves did before.
psql_q "LOAD 'auto_explain'" >/dev/null 2>&1 && test_set_prereq AUTO_EXPLAIN
test_expect_success AUTO_EXPLAIN 'the batch move never loops over the inserted runs per package row (plans)' '
	GEN_YEAR_BUILD=$TRASH_DIRECTORY/bin "$TEST_DIRECTORY/../bench/gen-year" --first-day 0 \
		--days 1 --runs-per-day 5000 --out gy 2>gy.counts &&
	psql_q "CREATE DATABASE plans" &&
	url="postgresql:///plans?host=$PG_DIR/sock&user=xalt" &&
	xalt db init --db "$url" >/dev/null &&
	n=$(wc -l <"$PG_DIR/server.log") &&
	PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0" \
		xalt ingest -q --batch 500 --db "$url" gy &&
	tail -n +$((n + 1)) "$PG_DIR/server.log" >plans &&
	test "$(grep -c "Query Text: WITH uu" plans)" -ge 10 &&
	! grep -E "Join Filter: \((s\.run_id = i\.id|i\.id = s\.run_id)\)" plans
'

test_expect_success '--delete on PostgreSQL: commits are durable already, files go' '
	mkrec del/run.60.json 60 rita &&
	xalt ingest -q --db "$PG_URL" --delete del >out 2>err &&
	! test -s out && ! test -s err &&
	! test -e del/run.60.json &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE uuid = '\''$(rec_uuid 60)'\''")" = 1
'

# User ids make the summaries' user words, and user and package-name ids
# are 32 bits in run_package.
test_expect_success 'new runs of known users and package names spend no id' '
	mkrec more/run.70.json 70 alice && mkrec more/run.71.json 71 bob &&
	mkrec more/run.72.json 72 dora "$(pkgs "[[\"python\",\"numpy\",\"1.26\",0.1],[\"python\",\"brand_new\",\"1\",0.1]]")" &&
	xalt ingest -q --db "$PG_URL" more/run.70.json && xalt ingest -q --db "$PG_URL" more &&
	test "$(psql_q "SELECT count(*) FROM users WHERE name IN ('"'"'alice'"'"', '"'"'dora'"'"')")" = 2 &&
	test "$(psql_q "SELECT count(*) FROM package_names WHERE name = '"'"'brand_new'"'"'")" = 1 &&
	test "$(psql_q "SELECT max(id) = count(*) FROM users")" = t &&
	test "$(psql_q "SELECT max(id) = count(*) FROM package_names")" = t
'

test_expect_success 'an unreachable server is a clear failure' '
	test_must_fail xalt report packages --db "postgresql:///xalt?host=$TRASH_DIRECTORY/nosock" 2>err &&
	grep "^error: cannot connect to the postgresql server" err
'

pg_stop
test_done
