#!/bin/bash
test_description='xalt db prune --before DATE on SQLite and PostgreSQL: old raw rows go, the kept range answers as before'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }
xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
# run a command, succeed when it exits with status $1
expect_code() { local want=$1; shift; "$@"; test $? = "$want"; }
GEN=$TEST_DIRECTORY/../bench/gen-records.py
DBS=lite.db
pg_start_or_say
test_have_prereq PG && DBS="$DBS $PG_URL"
# one value from database $1 (SQLite file or PostgreSQL URL)
q() {
	case $1 in
	postgres*) psql_q "$2" ;;
	*) sqlite3 -batch -noheader "$1" "$2" ;;
	esac
}
# every report over [since, ...) of database $1, csv
reports() {
	for kind in packages conda import-time executables libraries summary "versions numpy"; do
		xalt report $kind --db "$1" --since "$2" --format csv || return 1
		xalt report $kind --db "$1" --since "$2" --format csv --user user001 || return 1
	done 2>/dev/null
}
# every report of database $1 that the summaries answer: all time, and over
# November 2025 (pruned below), csv
summarized() {
	for kind in packages conda import-time executables libraries summary "versions numpy" unused; do
		xalt report $kind --db "$1" --format csv || return 1
		xalt report $kind --db "$1" --since 2025-11-01 --until 2025-12-01 --format csv || return 1
	done 2>/dev/null
}
entities_sql="SELECT (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM hosts) || ' ' ||
	(SELECT count(*) FROM executables) || ' ' || (SELECT count(*) FROM packages) || ' ' ||
	(SELECT count(*) FROM package_names) || ' ' || (SELECT count(*) FROM libsets)"
D=20437         # 2025-12-15
D2=20454        # 2026-01-01

test_expect_success 'setup: November to December 2025, and January-February 2026 for later' '
	"$GEN" --runs 800 --seed 5 --start 1761955200 --days 61 old >/dev/null &&
	"$GEN" --runs 600 --seed 9 --start 1767225600 --days 45 new >/dev/null &&
	for db in $DBS; do xalt ingest -q --db "$db" old || return 1; done &&
	test "$(q lite.db "SELECT count(*) FROM runs WHERE day < $D")" -gt 100 &&
	test "$(q lite.db "SELECT count(*) FROM runs WHERE day >= $D")" -gt 100
'

test_expect_success 'a bad DATE is refused, and so is prune without one' '
	for bad in 2025-13-01 2025-02-29 2025-12-15x 20251215 2025-1-15 "" -2025-12-1 -025-12-15 +025-12-15 " 2025-12-1"; do
		expect_code 2 xalt db prune --before "$bad" --db lite.db 2>err &&
		grep "YYYY-MM-DD" err || return 1
	done &&
	expect_code 2 xalt db prune --db lite.db 2>err && grep "needs --before" err &&
	expect_code 2 xalt db stats --before 2025-12-15 --db lite.db &&
	test "$(q lite.db "SELECT count(*) FROM runs WHERE day < $D")" -gt 100
'

test_expect_success 'prune: raw rows before DATE gone, the kept range answers byte for byte as before' '
	for db in $DBS; do
		reports "$db" 2025-12-15 >expect.reports &&
		q "$db" "SELECT count(*) FROM runs WHERE day >= $D" >expect.kept &&
		q "$db" "SELECT count(*) FROM run_package WHERE day >= $D" >>expect.kept &&
		q "$db" "$entities_sql" >expect.entities &&
		summarized "$db" >expect.summarized &&
		xalt db prune --before 2025-12-15 --db "$db" >out &&
		summarized "$db" >actual && test_cmp expect.summarized actual &&
		echo "raw rows of runs before 2025-12-15 pruned" >expect && test_cmp expect out &&
		reports "$db" 2025-12-15 >actual && test_cmp expect.reports actual &&
		test "$(q "$db" "SELECT count(*) FROM runs WHERE day < $D")" = 0 &&
		test "$(q "$db" "SELECT count(*) FROM run_package WHERE day < $D")" = 0 &&
		q "$db" "SELECT count(*) FROM runs" >actual &&
		q "$db" "SELECT count(*) FROM run_package" >>actual && test_cmp expect.kept actual &&
		q "$db" "$entities_sql" >actual && test_cmp expect.entities actual &&
		test "$(q "$db" "SELECT first_raw_day FROM retention")" = $D || return 1
	done
'

test_expect_success PG 'PostgreSQL: the months before DATE are dropped, the month holding it kept' '
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname IN (
		'\''runs_2025_11'\'', '\''run_package_2025_11'\'')")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM runs_2025_12")" -gt 0 &&
	test "$(psql_q "SELECT count(*) FROM run_uuids u JOIN runs r ON r.id = u.id AND r.day = u.day")" = \
		"$(psql_q "SELECT count(*) FROM runs")" &&
	test "$(psql_q "SELECT count(*) FROM run_uuids WHERE day < $D")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM run_uuids")" = "$(psql_q "SELECT count(*) FROM runs")"
'

test_expect_success 'SQLite: the freed pages went back (auto_vacuum incremental)' '
	test "$(q lite.db "PRAGMA auto_vacuum")" = 2 &&
	test "$(q lite.db "PRAGMA freelist_count")" = 0
'

test_expect_success 'prune again, or before an earlier day: nothing changes' '
	for db in $DBS; do
		reports "$db" 2025-12-15 >expect.reports &&
		xalt db prune --before 2025-12-15 --db "$db" >/dev/null &&
		xalt db prune --before 2025-11-20 --db "$db" >/dev/null &&
		reports "$db" 2025-12-15 >actual && test_cmp expect.reports actual &&
		test "$(q "$db" "SELECT first_raw_day FROM retention")" = $D || return 1
	done
'

# the files of old whose run started before day $D: those a prune at $D rejects
test_expect_success 'ingest of pruned runs again: rejected with the first day kept, counted once, files kept' '
	(cd old && for f in $(find . -name "run.*.json" | sort); do
		jq -r --arg f "$f" "select(.start_time < $D * 86400) | \$f" "$f" || exit 1
	done) >pruned.files &&
	test "$(wc -l <pruned.files)" -gt 100 &&
	for db in $DBS; do
		summarized "$db" >expect.summarized &&
		kept=$(q "$db" "SELECT count(*) FROM runs") &&
		rm -rf again && cp -r old again &&
		test_must_fail xalt ingest --delete --db "$db" again >out 2>err &&
		echo "read 800, loaded 0, duplicate $kept, rejected $((800 - kept))" >expect &&
		test_cmp expect out &&
		test "$(grep -c "the run started before 2025-12-15, the first day whose raw rows are kept" err)" = $((800 - kept)) &&
		(cd again && find . -name "run.*.json" | sort) >left &&
		test_cmp pruned.files left &&
		summarized "$db" >actual && test_cmp expect.summarized actual &&
		test "$(q "$db" "SELECT count(*) FROM runs")" = $kept || return 1
	done
'

test_expect_success PG 'PostgreSQL: no month before the first day kept is made again' '
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname LIKE '\''run%_2025_11'\''")" = 0
'

# A prune can drop a month after a loader read retention for its batch: the
# loader then creates no month before the first day kept, as it creates its
# months under the lock prune takes (db_part_ensure). Here a session holds
# that lock until the loader waits for it, then moves retention as a prune
# would, past March 2026, the month of the batch's runs.
test_expect_success PG 'PostgreSQL: a month a prune drops while a batch stages is not made again' '
	"$GEN" --runs 20 --seed 3 --start 1772323200 --days 5 march >/dev/null &&
	lock="locktype = '\''advisory'\'' AND objid = 2019650676" &&
	pg_hold "SELECT pg_advisory_lock(2019650676)" \
		"SELECT count(*) FROM pg_locks WHERE $lock AND granted" \
		"SELECT count(*) FROM pg_locks WHERE $lock AND NOT granted" 1 \
		"UPDATE retention SET first_raw_day = $D2 + 90; SELECT pg_advisory_unlock(2019650676)" &&
	expect_code 1 xalt ingest --db "$PG_URL" march >out 2>err &&
	wait $PG_HOLD && test_must_be_empty err.hold &&
	echo "read 20, loaded 0, duplicate 0, rejected 20" >expect && test_cmp expect out &&
	test "$(grep -c "the run started before 2026-04-01" err)" = 20 &&
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname LIKE '\''run%_2026_03'\''")" = 0 &&
	psql_q "UPDATE retention SET first_raw_day = $D"
'

test_expect_success 'rebuild refuses a pruned database: the pruned months would lose their summaries' '
	for db in $DBS; do
		summarized "$db" >expect &&
		test_must_fail xalt db rebuild --db "$db" 2>err &&
		grep "raw rows before 2025-12-15 were pruned" err &&
		summarized "$db" >actual && test_cmp expect actual || return 1
	done
'

test_expect_success '--user and --host warn that the runs before the first kept day are gone' '
	xalt report packages --db lite.db --user user001 >/dev/null 2>err &&
	grep "warning: runs before 2025-12-15 were pruned" err &&
	xalt report packages --db lite.db --user user001 --since 2025-12-20 >/dev/null 2>err &&
	test_must_be_empty err &&
	xalt report packages --db lite.db >/dev/null 2>err && test_must_be_empty err
'

test_expect_success 'prune during an ingest: the ingest loses no row' '
	for db in $DBS; do
		{ xalt ingest --batch 5 --db "$db" new >out.ingest 2>err.ingest & pid=$!; } &&
		for d in 2025-12-18 2025-12-21 2025-12-24 2025-12-27 2025-12-30 2026-01-01; do
			xalt db prune --before $d --db "$db" >/dev/null || { kill $pid; wait $pid; return 1; }
		done &&
		wait $pid &&
		echo "read 600, loaded 600, duplicate 0, rejected 0" >expect && test_cmp expect out.ingest &&
		test "$(q "$db" "SELECT count(*) FROM runs WHERE day >= $D2")" = 600 &&
		test "$(q "$db" "SELECT count(*) FROM runs WHERE day < $D2")" = 0 &&
		test "$(q "$db" "SELECT count(*) FROM run_package rp WHERE NOT EXISTS
			(SELECT 1 FROM runs r WHERE r.id = rp.run_id)")" = 0 || return 1
	done &&
	xalt ingest -q --db fresh.db new &&
	for db in $DBS; do
		test "$(q fresh.db "SELECT count(*) FROM run_package")" = \
			"$(q "$db" "SELECT count(*) FROM run_package")" || return 1
	done
'

# Loaders lock runs, then run_package; a report on raw rows (--host) locks
# run_package, then runs. A prune dropping a month in either fixed order
# deadlocked with one of them: here a transaction holding runs that then
# writes run_package (a loader's move, slowed down), the prune waiting for
# runs, and a report taking run_package meanwhile.
test_expect_success PG 'PostgreSQL: a prune dropping a month between a loader and a report deadlocks with neither' '
	host=$(psql_q "SELECT host FROM hosts ORDER BY id LIMIT 1") &&
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname = '\''runs_2026_01'\''")" = 1 &&
	{ psql_q "BEGIN; SELECT count(*) FROM runs; SELECT pg_sleep(2);
		INSERT INTO run_package SELECT * FROM run_package WHERE false; COMMIT" \
		>out.hold 2>err.hold & hold=$!; } &&
	sleep 0.5 &&
	{ xalt db prune --before 2026-02-01 --db "$PG_URL" >out.prune 2>err.prune & prune=$!; } &&
	sleep 0.5 &&
	xalt report packages --host "$host" --db "$PG_URL" >out.report 2>err.report &&
	wait $prune && wait $hold &&
	test_must_be_empty err.hold && test_must_be_empty err.prune &&
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname = '\''runs_2026_01'\''")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE day < $D2 + 31")" = 0
'

# A prune that drops no month deletes rows; a rebuild locks runs, then
# run_package, in SHARE mode (cmd-db.c, rebuild). Prune deleting run_package
# first deadlocked with it: here a transaction taking the rebuild's locks in
# its order, slowly, and a prune of half of February meanwhile.
test_expect_success PG 'PostgreSQL: a prune deleting rows while a rebuild takes its locks deadlocks with neither' '
	before=$(psql_q "SELECT count(*) FROM runs WHERE day >= $D2 + 38") &&
	test "$before" -gt 0 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE day < $D2 + 38")" -gt 0 &&
	{ psql_q "BEGIN; LOCK TABLE runs IN SHARE MODE; SELECT pg_sleep(2);
		LOCK TABLE run_package IN SHARE MODE; COMMIT" >out.hold 2>err.hold & hold=$!; } &&
	sleep 0.5 &&
	xalt db prune --before 2026-02-08 --db "$PG_URL" >out.prune 2>err.prune &&
	wait $hold &&
	test_must_be_empty err.hold && test_must_be_empty err.prune &&
	test "$(psql_q "SELECT count(*) FROM pg_class WHERE relname = '\''runs_2026_02'\''")" = 1 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE day < $D2 + 38")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM run_package WHERE day < $D2 + 38")" = 0 &&
	test "$(psql_q "SELECT count(*) FROM runs WHERE day >= $D2 + 38")" = "$before"
'

# SQLite prunes in many transactions. One stopped between two of them (here
# a newer xalt's migration, which the next transaction finds: the trigger
# moves the version as the first window's delete commits) has deleted some
# old rows and not others; the first day kept was recorded before any went,
# so a rebuild still refuses and pruning again finishes the work.
test_expect_success 'SQLite: a prune stopped partway leaves retention set; rebuild refuses, prune again finishes' '
	xalt ingest -q --db stop.db old &&
	v=$(q stop.db "SELECT max(version) FROM schema_version") &&
	summarized stop.db >expect.summarized &&
	q stop.db "CREATE TRIGGER newer AFTER DELETE ON run_package
		BEGIN UPDATE schema_version SET version = $((v + 1)); END" &&
	test_must_fail xalt db prune --before 2025-12-15 --db stop.db 2>err &&
	grep "schema version $((v + 1)) now and this xalt writes version $v" err &&
	grep "stopped partway: raw rows before 2025-12-15 may be partly deleted" err &&
	test "$(q stop.db "SELECT count(*) FROM run_package WHERE day < $D")" = 0 &&
	test "$(q stop.db "SELECT count(*) FROM runs WHERE day < $D")" -gt 0 &&
	test "$(q stop.db "SELECT first_raw_day FROM retention")" = $D &&
	q stop.db "DROP TRIGGER newer; UPDATE schema_version SET version = $v" &&
	test_must_fail xalt db rebuild --db stop.db 2>err &&
	grep "raw rows before 2025-12-15 were pruned" err &&
	xalt db prune --before 2025-12-15 --db stop.db >/dev/null &&
	test "$(q stop.db "SELECT count(*) FROM runs WHERE day < $D")" = 0 &&
	summarized stop.db >actual && test_cmp expect.summarized actual
'

test_done
