#!/bin/bash
test_description='summary tables: every report from them equals the raw rows answer (random corpora, both engines), however the runs were loaded'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader "$1" "$2"; }
PG=
if pg_start "$TRASH_DIRECTORY/pg" 2>pgstart.err; then
	PG=$PG_URL
	test_set_prereq PG
else
	say "PostgreSQL parts skipped: $(tr '\n' ' ' <pgstart.err)"
fi
psql_q() { pg_as "$PG_BIN/psql" -h "$PG_DIR/sock" -U xalt -d xalt -qAt -c "$1"; }


day() { date -u -d "@$(($1 * 86400))" +%F; }

# filters LO HI: one set of report options a line: none, each filter alone,
# random windows of whole days between days LO and HI (RANDOM seeded),
# some combined with the other filters, and windows on blocks' edges.
filters() {
	local lo=$1 hi=$2 i d0 d1
	printf '%s\n' "" "--syshost alpha --top 2" "--syshost beta --program R"
	for i in 1 2 3; do
		d0=$((lo - 2 + RANDOM % (hi - lo + 4))) && d1=$((d0 + 1 + RANDOM % 70))
		echo "--since $(day $d0) --until $(day $d1)"
		d0=$((20465 + RANDOM % 60)) && d1=$((d0 + 1 + RANDOM % 40))
		echo "--since $(day $d0) --until $(day $d1) --syshost alpha --top 3"
	done
	echo "--since $(day $((20470 + RANDOM % 50))) --program python"
	echo "--until $(day $((20470 + RANDOM % 50)))"
	echo "--since $(day -32) --until $(day 20480)"
	# whole blocks and no edge day; a block and an edge day each side
	echo "--since $(day 20480) --until $(day 20544)"
	echo "--since $(day 20479) --until $(day 20513) --syshost alpha --top 2"
	echo "--since $(day 20479) --until $(day 20513)"
}

# reports DB FILTERS: every report kind under every filter line, csv, one
# block each, headed by what was asked; all rows (--top 0), and the first
# few of those whose summaries rank before they count users (ties at the
# edge: a corpus of 400 runs has many). A filter line's own --top comes
# later on the command line, so it wins over the kind's.
reports() {
	local db=$1 line kind top
	while read -r line; do
		for kind in packages "packages --direct" "packages --by users" "versions numpy" \
			    "versions ggplot2" unused "unused --sort ratio" "deps numpy" "deps pandas" \
			    conda import-time executables libraries summary "packages --top 2" \
			    "packages --direct --top 1" "libraries --top 3"; do
			echo "== $kind $line"
			case $kind in *--top*) top= ;; *) top="--top 0" ;; esac
			# shellcheck disable=SC2086
			xalt report $kind $line $top --db "$db" --format csv 2>&1 || echo "exit $?"
		done
	done <"$2"
}

# same_answers DB: the summaries' answers equal the raw rows' (test_cmp).
same_answers() {
	reports "$1" filters.txt >from-summaries.txt &&
	XALT_REPORT_SOURCE=raw reports "$1" filters.txt >from-raw.txt &&
	test_cmp from-raw.txt from-summaries.txt &&
	! grep -q "^exit\|error" from-raw.txt
}

# dump DB: the summary tables' rows, sorted (SQLite); of sum_lib the words
# and each key's runs (how a key's runs spread over its words means nothing).
dump() {
	for t in $summary_tables; do
		echo "== $t" && q "$1" "SELECT * FROM $t" | sort || return 1
	done | if test "${dump_lib:-}" = sums; then
		sed "/^== sum_lib/,/^== /{/^== /!d}" &&
		q "$1" "SELECT lvl, p, syshost, library_id, w, bits FROM sum_lib" | sort &&
		q "$1" "SELECT lvl, p, syshost, library_id, SUM(runs) FROM sum_lib GROUP BY 1, 2, 3, 4" | sort
	else
		cat
	fi
}

# ranks_are_sums DB: lib_rank holds each library's level-2 runs (summary.c)
# and nothing else; SQLite's file or $PG.
ranks_are_sums() {
	local diff="SELECT library_id, runs FROM lib_rank EXCEPT SELECT library_id, SUM(runs) FROM sum_lib
		WHERE lvl = 2 GROUP BY library_id" ranked="SELECT count(*) FROM lib_rank"
	local sums="SELECT count(DISTINCT library_id) FROM sum_lib WHERE lvl = 2" sql=(q "$1")
	test "$1" = "$PG" && sql=(psql_q)
	"${sql[@]}" "$diff" >rank.diff && test_must_be_empty rank.diff &&
	test "$("${sql[@]}" "$ranked")" = "$("${sql[@]}" "$sums")" && test "$("${sql[@]}" "$ranked")" -gt 0
}

# seed 13: 150 more users, so user ids fill three words (summary.h)
for seed in 11 12 13; do
	more_users=$(test $seed = 13 && echo 150 || echo 0)
	test_expect_success "seed $seed: SQLite, loaded in small batches and again: summaries answer as the raw rows" '
		rm -rf c$seed && "$TEST_DIRECTORY/helper/random-corpus.py" $seed 400 c$seed $more_users >days$seed &&
		read -r lo hi <days$seed && RANDOM=$seed && filters $lo $hi >filters.txt &&
		xalt ingest -q --batch 23 --db s$seed.db c$seed &&
		xalt ingest -q --batch 7 --db s$seed.db c$seed/d1 c$seed/d2 &&
		same_answers s$seed.db && ranks_are_sums s$seed.db &&
		test $(grep -c "^== " from-raw.txt) = 255 &&
		test $(grep -vc "^==\|^program\|^user\|^executable\|^library\|^runs" from-raw.txt) -gt 500
	'

	test_expect_success "seed $seed: SQLite, one batch: the same summary rows as small batches" '
		xalt ingest -q --db one$seed.db c$seed &&
		dump one$seed.db >expect && dump s$seed.db >actual && test_cmp expect actual &&
		test $(wc -l <expect) -gt 1000
	'

	test_expect_success PG "seed $seed: PostgreSQL, two loaders at once over overlapping files: the same answers" '
		psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
		xalt db init --db "$PG" >/dev/null &&
		{ xalt ingest -q --batch 17 --db "$PG" c$seed/d0 c$seed/d1 c$seed/d2 & p1=$!; } &&
		{ xalt ingest -q --batch 29 --db "$PG" c$seed/d3 c$seed/d2 c$seed/d1 & p2=$!; } &&
		wait $p1 && wait $p2 &&
		test "$(psql_q "SELECT count(*) FROM runs")" = 400 && ranks_are_sums "$PG" &&
		reports "$PG" filters.txt >from-summaries.txt &&
		XALT_REPORT_SOURCE=raw reports s$seed.db filters.txt >lite.txt &&
		test_cmp lite.txt from-summaries.txt
	'
done

test_expect_success 'the summaries are used when the filters allow, else the raw rows' '
	xalt report packages -v --db s11.db --since 2026-01-01 2>err >/dev/null &&
	grep "from summaries" err &&
	for f in "--user alice" "--host a1" "--since 2026-01-01T12:00"; do
		xalt report packages -v $f --db s11.db 2>err >/dev/null &&
		grep "from raw rows" err || return 1
	done &&
	XALT_REPORT_SOURCE=raw xalt report conda -v --db s11.db 2>err >/dev/null &&
	grep "from raw rows" err
'

test_expect_success 'the users of the first N keys: each day and block of a closed window named' '
	for kind in "libraries" "packages"; do
		XALT_TRACING=yes xalt report $kind --top 3 --since 2026-01-02 --until 2026-03-01 \
			--db s11.db 2>err >/dev/null &&
		grep "lvl = 0 AND p IN (20455, 20456, .*, 20479, 20512)" err &&
		grep "UNION ALL .*lvl = 1 AND p IN (640)" err &&
		XALT_TRACING=yes xalt report $kind --top 3 --since 2026-01-02 --db s11.db 2>err >/dev/null &&
		grep "report $kind from summaries" err && ! grep "p IN (" err || return 1
	done
'

test_expect_success 'libraries --top N from the summaries: the first N, ties at the edge by path' '
	mkrec ties/run.1.json 1 alice ".libraries = [{path: \"/l/a.so\"}, {path: \"/l/d.so\"}]" &&
	mkrec ties/run.2.json 2 bob ".libraries = [{path: \"/l/a.so\"}, {path: \"/l/c.so\"}]" &&
	mkrec ties/run.3.json 3 carol ".libraries = [{path: \"/l/b.so\"}]" &&
	xalt ingest -q --db ties.db ties &&
	printf "%s\n" "library,runs,users" "/l/a.so,2,2" "/l/b.so,1,1" >expect &&
	xalt report libraries --top 2 --db ties.db --format csv >actual && test_cmp expect actual &&
	for n in 1 2 3 4 5; do
		xalt report libraries --top $n --db ties.db --format csv >sum.csv &&
		XALT_REPORT_SOURCE=raw xalt report libraries --top $n --db ties.db --format csv >raw.csv &&
		test_cmp raw.csv sum.csv || return 1
	done &&
	test $(wc -l <sum.csv) = 5
'

test_expect_success PG 'libraries --top N on PostgreSQL: the same first N' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest -q --db "$PG" ties &&
	for n in 1 2 3 5; do
		xalt report libraries --top $n --db "$PG" --format csv >pg.csv &&
		XALT_REPORT_SOURCE=raw xalt report libraries --top $n --db ties.db --format csv >raw.csv &&
		test_cmp raw.csv pg.csv || return 1
	done
'

test_expect_success 'migrate from schema 7: lib_rank filled from sum_lib, the rows of a fresh load' '
	cp s12.db v7.db && q v7.db "DROP TABLE lib_rank; UPDATE schema_version SET version = 7" &&
	xalt db migrate --db v7.db >out && grep "schema version 11" out &&
	dump s12.db >expect && dump v7.db >actual && test_cmp expect actual &&
	q v7.db "SELECT name FROM sqlite_master WHERE tbl_name = '"'"'lib_rank'"'"' ORDER BY 1" >actual &&
	printf "%s\n" lib_rank lib_rank_runs >expect && test_cmp expect actual
'

test_expect_success PG 'migrate from schema 7 on PostgreSQL: lib_rank of a fresh load' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest -q --db "$PG" c12 && psql_q "SELECT * FROM lib_rank ORDER BY 1" >expect &&
	psql_q "$pg_to_schema9_sql DROP TABLE lib_rank; UPDATE schema_version SET version = 7" &&
	xalt db migrate --db "$PG" >out && grep "schema version 11" out &&
	psql_q "SELECT * FROM lib_rank ORDER BY 1" >actual && test_cmp expect actual &&
	test "$(psql_q "SELECT string_agg(indexname, '"'"' '"'"' ORDER BY indexname) FROM pg_indexes
		WHERE tablename = '"'"'lib_rank'"'"'")" = "lib_rank_pkey lib_rank_runs" &&
	ranks_are_sums "$PG"
'

test_expect_success 'a batch that fails leaves no summary row behind' '
	xalt ingest -q --db fail.db c11/d0 &&
	dump fail.db >expect &&
	q fail.db "CREATE TRIGGER no_more BEFORE INSERT ON sum_lib BEGIN SELECT RAISE(ABORT, '"'"'refused'"'"'); END" &&
	test_must_fail xalt ingest -q --db fail.db c11/d1 2>err && grep refused err &&
	dump fail.db >actual && test_cmp expect actual
'

test_expect_success 'migrate from a populated schema 3 builds the summaries; rebuild gives them again' '
	cp one11.db v3.db &&
	q v3.db "$to_schema3_sql" &&
	test_must_fail xalt report packages --db v3.db 2>err && grep "xalt db migrate" err &&
	xalt db migrate --db v3.db >out && grep "schema version 11" out &&
	dump one11.db >expect && dump v3.db >actual && test_cmp expect actual &&
	q v3.db "DELETE FROM sum_pkg; UPDATE pres_pkg SET dbits = bits - dbits" &&
	xalt db rebuild --db v3.db >out && echo "summary tables rebuilt" >expect.out &&
	test_cmp expect.out out && dump v3.db >actual && test_cmp expect actual
'

test_expect_success PG 'migrate from schema 3 on PostgreSQL: the answers of a fresh load' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest -q --db "$PG" c11 &&
	psql_q "$pg_unpartition_sql" >/dev/null && psql_q "$to_schema3_sql" &&
	xalt db migrate --db "$PG" >out && grep "schema version 11" out &&
	RANDOM=11 && read -r lo hi <days11 && filters $lo $hi >filters.txt &&
	reports "$PG" filters.txt >actual &&
	XALT_REPORT_SOURCE=raw reports s11.db filters.txt >expect &&
	test_cmp expect actual
'

# SQL taking a database of this version back to schema version 6, where a
# presence table kept a row per user: the words' bits as rows (both engines);
# libraries' users into pres_lib, and sum_lib a key's runs.
to_schema6_sql=
for spec in "pres_pkg:pres_pkg:name_id, syshost, version:, CASE WHEN ((dbits >> n) & 1) = 1 THEN 1 ELSE 0 END" \
	    "pres_dep:pres_dep:name_id, syshost, by_id:" "pres_exec:pres_exec:syshost, exec_id:" \
	    "sum_lib:pres_lib:syshost, library_id:"; do
	IFS=: read -r t to cols direct <<<"$spec"
	to_schema6_sql+="CREATE TABLE ${to}_users AS WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL
		SELECT n + 1 FROM i WHERE n < 63) SELECT lvl, p, $cols, w * 64 + n AS user_id
		${direct:+$direct AS direct} FROM $t, i WHERE ((bits >> n) & 1) = 1;
		$(test $t = $to && echo "DROP TABLE $t;") ALTER TABLE ${to}_users RENAME TO $to; "
done
to_schema6_sql+="CREATE TABLE sum_lib_runs AS SELECT lvl, p, syshost, library_id,
	CAST(SUM(runs) AS BIGINT) AS runs FROM sum_lib GROUP BY lvl, p, syshost, library_id;
	DROP TABLE sum_lib; ALTER TABLE sum_lib_runs RENAME TO sum_lib;
	DROP TABLE lib_rank; UPDATE schema_version SET version = 6;"
# and on PostgreSQL the keys version 6 had, under their names
pg_schema6_keys="ALTER TABLE pres_pkg ADD PRIMARY KEY (lvl, p, name_id, syshost, version, user_id);
	ALTER TABLE pres_dep ADD PRIMARY KEY (lvl, p, name_id, syshost, by_id, user_id);
	ALTER TABLE pres_exec ADD PRIMARY KEY (lvl, p, syshost, exec_id, user_id);
	ALTER TABLE pres_lib ADD PRIMARY KEY (lvl, p, syshost, library_id, user_id);
	ALTER TABLE sum_lib ADD PRIMARY KEY (lvl, p, syshost, library_id);"

# SQL taking a database of version 6 back to schema version 5, where
# libraries were summarised per library set: those tables rebuilt from the
# raw rows by this test's own SQL (both engines). Run after $to_schema6_sql.
per='CASE lv WHEN 0 THEN r.day WHEN 1 THEN (r.day - ((r.day % 32) + 32) % 32) / 32 ELSE 0 END'
from_runs='FROM runs r JOIN hosts h ON h.id = r.host_id CROSS JOIN (SELECT 0 AS lv UNION ALL SELECT 1 UNION ALL SELECT 2) l WHERE r.libset_id IS NOT NULL'
to_schema5_sql="CREATE TABLE sum_libset (lvl BIGINT NOT NULL, p BIGINT NOT NULL, syshost TEXT NOT NULL,
	libset_id BIGINT NOT NULL, runs BIGINT NOT NULL, PRIMARY KEY (lvl, p, syshost, libset_id));
	CREATE TABLE pres_libset (lvl BIGINT NOT NULL, p BIGINT NOT NULL, syshost TEXT NOT NULL,
	libset_id BIGINT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY (lvl, p, syshost, libset_id, user_id));
	INSERT INTO sum_libset SELECT lv, $per, h.syshost, r.libset_id, COUNT(*) $from_runs GROUP BY 1, 2, 3, 4;
	INSERT INTO pres_libset SELECT DISTINCT lv, $per, h.syshost, r.libset_id, r.user_id $from_runs;
	DROP TABLE sum_lib; DROP TABLE pres_lib; UPDATE schema_version SET version = 5;"

test_expect_success 'migrate from schema 5 (libraries per set): the per-library rows of a fresh load' '
	cp s13.db v5.db && q v5.db "$to_schema6_sql" && q v5.db "$to_schema5_sql" &&
	test "$(q v5.db "SELECT count(*) FROM pres_libset")" -gt 100 &&
	test "$(q v5.db "SELECT count(DISTINCT user_id / 64) FROM pres_pkg")" = 3 &&
	xalt db migrate --db v5.db >out && grep "schema version 11" out &&
	dump_lib=sums dump s13.db >expect && dump_lib=sums dump v5.db >actual && test_cmp expect actual &&
	! q v5.db "SELECT 1 FROM sum_libset" 2>/dev/null &&
	RANDOM=13 && read -r lo hi <days13 && filters $lo $hi >filters.txt &&
	same_answers v5.db
'

test_expect_success PG 'migrate from schema 5 on PostgreSQL: the answers of a fresh load' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest -q --db "$PG" c13 && psql_q "$pg_to_schema9_sql" &&
	psql_q "$to_schema6_sql" && psql_q "$to_schema5_sql" &&
	xalt db migrate --db "$PG" >out && grep "schema version 11" out &&
	RANDOM=13 && read -r lo hi <days13 && filters $lo $hi >filters.txt &&
	reports "$PG" filters.txt >actual &&
	XALT_REPORT_SOURCE=raw reports s13.db filters.txt >expect &&
	test_cmp expect actual
'

test_expect_success 'migrate from schema 6 (a presence row per user): the words of a fresh load' '
	cp s13.db v6.db && q v6.db "$to_schema6_sql" &&
	test "$(q v6.db "SELECT count(DISTINCT user_id / 64) FROM pres_pkg")" = 3 &&
	test "$(q v6.db "SELECT count(*) FROM pres_pkg WHERE direct = 1")" -gt 100 &&
	test "$(q v6.db "SELECT count(*) FROM pres_lib")" -gt 100 &&
	xalt db migrate --db v6.db >out && grep "schema version 11" out &&
	dump_lib=sums dump s13.db >expect && dump_lib=sums dump v6.db >actual && test_cmp expect actual &&
	! q v6.db "SELECT 1 FROM pres_lib" 2>/dev/null
'

test_expect_success PG 'migrate from schema 6 on PostgreSQL: the answers of a fresh load' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest -q --db "$PG" c13 && psql_q "$pg_to_schema9_sql" &&
	psql_q "$to_schema6_sql" && psql_q "$pg_schema6_keys" &&
	xalt db migrate --db "$PG" >out && grep "schema version 11" out &&
	test "$(psql_q "SELECT string_agg(indexname, '"'"' '"'"' ORDER BY indexname) FROM pg_indexes
		WHERE tablename LIKE '"'"'pres%'"'"' OR tablename = '"'"'sum_lib'"'"'")" = "pres_dep_pkey pres_exec_pkey pres_host_pkey pres_pkg_days pres_pkg_pkey sum_lib_pkey" &&
	RANDOM=13 && read -r lo hi <days13 && filters $lo $hi >filters.txt &&
	reports "$PG" filters.txt >actual &&
	XALT_REPORT_SOURCE=raw reports s13.db filters.txt >expect &&
	test_cmp expect actual
'

test_done
