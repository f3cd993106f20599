#!/bin/bash
test_description='PostgreSQL: set-based batches; two ingests at once over overlapping files store each run once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
pg_start_or_skip_all

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
# Every report of lite.db (one SQLite load of gen) equals PostgreSQL's.
same_reports() {
	for kind in packages conda import-time executables libraries summary; do
		xalt report $kind --db lite.db --format csv >expect &&
		xalt report $kind --db "$PG_URL" --format csv >actual &&
		test_cmp expect actual || return 1
	done
}

test_expect_success 'setup: 1,200 generated records in three sets of files' '
	gen_thirds 1200 7
'

test_expect_success 'one record twice in one batch: stored once, counted once as duplicate; another run under its uuid a conflict' '
	mkrec one/run.1.json 1 alice &&
	cp one/run.1.json one/run.1-copy.json &&
	xalt ingest --db "$PG_URL" one >out &&
	echo "read 2, loaded 1, duplicate 1, rejected 0" >expect && test_cmp expect out &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM run_package")" = 1 &&
	mkrec other/run.1.json 1 alice ".cwd = \"/elsewhere\"" &&
	cp one/run.1.json other/run.0.json &&
	test_must_fail xalt ingest --delete --db "$PG_URL" other >out 2>err &&
	echo "read 2, loaded 0, duplicate 1, rejected 1" >expect && test_cmp expect out &&
	grep "rejected .other/run.1.json.: run_uuid already stored for another run" err &&
	ls other >actual && echo run.1.json >expect && test_cmp expect actual &&
	mkrec other2/run.0.json 2 alice && mkrec other2/run.1.json 2 alice ".cwd = \"/elsewhere\"" &&
	test_must_fail xalt ingest --delete --db "$PG_URL" other2 >out 2>err &&
	echo "read 2, loaded 1, duplicate 0, rejected 1" >expect && test_cmp expect out &&
	grep "rejected .other2/run.1.json.: run_uuid already stored for another run" err &&
	ls other2 >actual && echo run.1.json >expect && test_cmp expect actual &&
	psql_q "DELETE FROM run_package; DELETE FROM runs; DELETE FROM run_uuids" &&
	xalt db rebuild --db "$PG_URL" >out && echo "summary tables rebuilt" >expect && test_cmp expect out &&
	test "$(psql_q "SELECT count(*) FROM sum_pkg") $(psql_q "SELECT count(*) FROM pres_host")" = "0 0" &&
	test "$(psql_q "SELECT count(*) FROM lib_rank")" = 0
'

test_expect_success 'two ingests at once, overlapping files, small batches: each run stored once' '
	xalt db init --db "$PG_URL" >/dev/null &&
	ingest_overlapping "$PG_URL" 50 70 &&
	test "$(psql_q "SELECT count(*), count(DISTINCT uuid) FROM runs")" = "1200|1200" &&
	read -r _ _ _ npkgs <gen.counts &&
	test "$(psql_q "SELECT count(*) FROM run_package")" = "$npkgs" &&
	test "$(psql_q "SELECT count(*) FROM run_package rp LEFT JOIN runs r ON r.id = rp.run_id
		WHERE r.id IS NULL")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM (SELECT name_id, version, path FROM packages
		GROUP BY 1, 2, 3 HAVING count(*) > 1) d")" = 0
'

test_expect_success 'the database equals one loaded by one ingest (every report)' '
	xalt ingest -q --db lite.db gen &&
	same_reports
'

test_expect_success 'everything again, at once: all duplicates, nothing added' '
	{ xalt ingest --db "$PG_URL" gen >out1 & pid1=$!; } &&
	{ xalt ingest --db "$PG_URL" gen >out2 & pid2=$!; } &&
	wait $pid1 && wait $pid2 &&
	echo "read 1200, loaded 0, duplicate 1200, rejected 0" >expect &&
	test_cmp expect out1 && test_cmp expect out2 &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 1200
'

test_expect_success '--jobs 3: the same database as one loader' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	xalt ingest --jobs 3 --batch 100 --db "$PG_URL" gen >out &&
	echo "read 1200, loaded 1200, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	same_reports &&
	xalt ingest -j 2 --db "$PG_URL" gen >out &&
	echo "read 1200, loaded 0, duplicate 1200, rejected 0" >expect && test_cmp expect out
'

# Each migration step reads the schema version under an advisory lock, in
# READ COMMITTED: read before it, every loader but one failed creating the
# schema of an empty database.
test_expect_success 'four first ingests into an empty database at once: all succeed, each run once' '
	psql_q "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null &&
	psql_q "ALTER ROLE xalt SET default_transaction_isolation = '\''repeatable read'\''" &&
	pids= &&
	for k in 1 2 3 4; do
		{ xalt ingest -q --db "$PG_URL" $(cat a) 2>err.$k & pids="$pids $!"; } || return 1
	done &&
	for p in $pids; do wait $p || return 1; done &&
	psql_q "ALTER ROLE xalt RESET default_transaction_isolation" &&
	cat err.1 err.2 err.3 err.4 >err && test_must_be_empty err &&
	test "$(psql_q "SELECT count(*) FROM runs")" = 400 &&
	test "$(psql_q "SELECT max(version) FROM schema_version")" = \
		"$(sqlite3 -batch -noheader lite.db "SELECT max(version) FROM schema_version")"
'

test_expect_success '--jobs on SQLite loads with its one writer; misuse is a usage error' '
	xalt ingest -v --jobs 4 --db lite2.db gen >out 2>err &&
	echo "read 1200, loaded 1200, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	grep "SQLite has one writer" err &&
	{ xalt ingest --jobs 0 gen 2>err; test $? = 2; } && grep "jobs wants a number" err &&
	{ xalt ingest --syslog --jobs 2 x 2>err; test $? = 2; } &&
	grep "syslog cannot be used with --jobs" err
'

test_expect_success 'one batch of new, duplicate and conflicting records: each file handled as the commit found it' '
	mkrec pre/run.101.json 101 alice && mkrec pre/run.102.json 102 bob &&
	xalt ingest -q --db "$PG_URL" pre &&
	mkdir box && cp pre/run.101.json box/ &&
	mkrec box/run.102.json 102 bob ".cwd = \"/tmp/evil\"" &&
	mkrec box/run.103.json 103 carol &&
	mkrec box/run.104.json 104 carol ".start_time = 1700000000.5" &&
	mkrec box/run.105.json 101 mallory ".start_time = 1600000000.5" &&
	mkdir rej &&
	test_must_fail xalt ingest --delete --reject-dir rej --db "$PG_URL" box >out 2>err &&
	echo "read 5, loaded 2, duplicate 1, rejected 2" >expect && test_cmp expect out &&
	test "$(grep -c "run_uuid already stored for another run" err)" = 2 &&
	grep "rejected '\''box/run.102.json'\''" err && grep "rejected '\''box/run.105.json'\''" err &&
	ls rej >actual && printf "%s\n" run.102.json run.105.json >expect && test_cmp expect actual &&
	ls box >actual && test_must_be_empty actual &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE uuid IN ('\''$(rec_uuid 101)'\'', '\''$(rec_uuid 102)'\'')")" = 2 &&
	test "$(psql_q "SELECT cwd FROM runs WHERE uuid = '\''$(rec_uuid 102)'\''")" = /home/bob &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE uuid IN ('\''$(rec_uuid 103)'\'', '\''$(rec_uuid 104)'\'')")" = 2
'

# A newer xalt's migration step running now: a psql session holds the
# migrators' lock (DB_MIGRATE_LOCK, 2019650677) with the version moved on,
# and commits once someone waits for that lock. migrating_now returns when
# the lock is held (fails if it never is); wait for the session afterwards.
MIGRATE_LOCK="locktype = 'advisory' AND classid = 0 AND objid = 2019650677"
migrating_now() {
	psql_q "BEGIN; SELECT pg_advisory_xact_lock(2019650677);
		UPDATE schema_version SET version = $1;
		DO \$\$BEGIN FOR i IN 1..1200 LOOP
			EXIT WHEN EXISTS (SELECT 1 FROM pg_locks WHERE $MIGRATE_LOCK AND NOT granted);
			PERFORM pg_sleep(0.05); END LOOP; END\$\$;
		COMMIT" >migrator.out 2>&1 &
	for i in $(seq 1200); do
		test "$(psql_q "SELECT count(*) FROM pg_locks WHERE $MIGRATE_LOCK
			AND mode = 'ExclusiveLock' AND granted")" = 1 && return 0
		sleep 0.05
	done
	return 1
}

# runs is partitioned by month, so its key cannot hold a uuid alone;
# run_uuids keeps a uuid once whatever its day. Two loaders with one uuid in
# two months (two start times: a conflict when loaded in turn), held by a
# lock on packages after both checked the uuid was new, then let go at once:
# one loads it, the other finds it inserted meanwhile, and then that the
# stored run is another: a conflict, its file kept under --delete. Without
# run_uuids both stored a run; without the check after the move the second
# was a duplicate, its file deleted.
test_expect_success 'one new uuid under two months in two loaders at once: stored once' '
	mkrec two1/run.1.json 300 alice ".start_time = 1772323200.5" &&
	mkrec two2/run.1.json 300 alice ".start_time = 1775001600.5 | .packages[0].version = \"9.9\"" &&
	lock="SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = '\''packages'\''" &&
	pg_hold "BEGIN; LOCK TABLE packages IN EXCLUSIVE MODE" \
		"$lock AND l.mode = '\''ExclusiveLock'\'' AND l.granted" "$lock AND NOT l.granted" 2 \
		"COMMIT" &&
	{ xalt ingest --delete --db "$PG_URL" two1 >out1 2>err1 & pid1=$!; } &&
	{ xalt ingest --delete --db "$PG_URL" two2 >out2 2>err2 & pid2=$!; } &&
	{ wait $pid1; rc1=$?; wait $pid2; rc2=$?; } && wait $PG_HOLD &&
	echo 2 >expect && test_cmp expect out.hold &&
	{ test "$rc1$rc2" = 01 || test "$rc1$rc2" = 10; } &&
	cat out1 out2 | sort >actual &&
	printf "%s\n" "read 1, loaded 0, duplicate 0, rejected 1" "read 1, loaded 1, duplicate 0, rejected 0" >expect &&
	test_cmp expect actual &&
	cat err1 err2 >err && test "$(grep -c "already stored for another run" err)" = 1 &&
	test "$(ls two1 two2 | grep -c "run\.1\.json")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE uuid = '\''$(rec_uuid 300)'\''")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM run_uuids u JOIN runs r ON r.id = u.id AND r.day = u.day
		WHERE u.uuid = '\''$(rec_uuid 300)'\''")" = 1
'

# The loader must wait for the migration, then stop before writing anything.
test_expect_success 'a loader waits for a migration running now, then stops: nothing stored, files left' '
	v=$(psql_q "SELECT max(version) FROM schema_version") &&
	before=$(psql_q "SELECT count(*) FROM runs") &&
	for i in 201 202; do mkrec mig/run.$i.json $i alice || return 1; done &&
	migrating_now $((v + 1)) &&
	test_must_fail xalt ingest --db "$PG_URL" --delete mig >out 2>err &&
	wait &&
	grep "schema version $((v + 1)) now and this xalt writes version $v" err &&
	grep "nothing of the open batch was committed" err &&
	test "$(psql_q "SELECT count(*) FROM runs")" = "$before" &&
	ls mig >left && test "$(wc -l <left)" = 2 &&
	psql_q "UPDATE schema_version SET version = $v" &&
	xalt ingest --db "$PG_URL" --delete mig >out &&
	echo "read 2, loaded 2, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	ls mig >left && test_must_be_empty left
'

# Rebuild and prune write too: each waits, then stops with nothing done.
test_expect_success 'a rebuild and a prune wait for a migration running now, then stop: nothing changed' '
	v=$(psql_q "SELECT max(version) FROM schema_version") &&
	state="SELECT (SELECT count(*) FROM runs) || '\'' '\'' || (SELECT sum(runs) FROM sum_kind)
		|| '\'' '\'' || (SELECT coalesce(first_raw_day, -1) FROM retention)" &&
	psql_q "$state" >expect &&
	migrating_now $((v + 1)) &&
	test_must_fail xalt db rebuild --db "$PG_URL" 2>err &&
	wait &&
	grep "schema version $((v + 1)) now and this xalt writes version $v" err &&
	psql_q "UPDATE schema_version SET version = $v" &&
	psql_q "$state" >actual && test_cmp expect actual &&
	migrating_now $((v + 1)) &&
	test_must_fail xalt db prune --before 2099-01-01 --db "$PG_URL" 2>err &&
	wait &&
	grep "schema version $((v + 1)) now and this xalt writes version $v" err &&
	psql_q "UPDATE schema_version SET version = $v" &&
	psql_q "$state" >actual && test_cmp expect actual
'

test_done
