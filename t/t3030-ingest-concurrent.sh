#!/bin/bash
test_description='SQLite: ingests at once over overlapping files store each run once, and none fails on another'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }
xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader "$1" "$2"; }

test_expect_success 'setup: 900 generated records in three sets of files' '
	gen_thirds 900 11
'

# A batch reads (entity ids) before it writes: begun deferred, it failed at
# once with "database is locked" whenever the other loader committed in
# between, instead of waiting its turn.
test_expect_success 'two ingests at once, overlapping files, small batches: both finish, each run once' '
	xalt db init --db lite.db >/dev/null &&
	ingest_overlapping lite.db 3 4 &&
	test "$(q lite.db "SELECT count(*), count(DISTINCT uuid) FROM runs")" = "900|900" &&
	read -r _ _ _ npkgs <gen.counts &&
	test "$(q lite.db "SELECT count(*) FROM run_package")" = "$npkgs"
'

test_expect_success 'the database equals one loaded by one ingest (every report)' '
	xalt ingest -q --db one.db gen &&
	for kind in packages conda import-time executables libraries summary unused; do
		xalt report $kind --db one.db --format csv >expect &&
		xalt report $kind --db lite.db --format csv >actual &&
		test_cmp expect actual || return 1
	done
'

# Each migration step reads the schema version under the write lock: read
# before it, two first loaders both saw an empty file and the second failed
# creating schema_version (about 1 round in 15 with four loaders).
test_expect_success 'four first ingests into a new database at once, ten times: all succeed' '
	head -40 a >few &&
	for round in 1 2 3 4 5 6 7 8 9 10; do
		rm -f new.db* &&
		pids= &&
		for k in 1 2 3 4; do
			{ xalt ingest -q --db new.db $(cat few) 2>err.$k & pids="$pids $!"; } || return 1
		done &&
		for p in $pids; do wait $p || return 1; done &&
		cat err.1 err.2 err.3 err.4 >err && test_must_be_empty err &&
		test "$(q new.db "SELECT count(*) FROM runs")" = 40 || return 1
	done
'

# A newer xalt migrating while this one loads. A migration waits for the
# batch being written (SQLite's write lock), so what a loader can meet is a
# version moved on between two of its batches; the first batch's trigger
# moves it, as such a migration would have. The next batch must not write.
test_expect_success JQ 'a migration between two batches stops the load before the next one: its files left' '
	xalt db init --db mig.db >/dev/null &&
	v=$(q mig.db "SELECT max(version) FROM schema_version") &&
	for i in 1 2 3 4; do mkrec mig/run.$i.json $i alice || return 1; done &&
	q mig.db "CREATE TRIGGER newer AFTER INSERT ON runs
		BEGIN UPDATE schema_version SET version = $((v + 1)); END" &&
	test_must_fail xalt ingest --db mig.db --batch 2 --delete mig >out 2>err &&
	grep "schema version $((v + 1)) now and this xalt writes version $v" err &&
	grep "nothing of the open batch was committed" err &&
	test "$(q mig.db "SELECT count(*) FROM runs")" = 2 &&
	test "$(q mig.db "SELECT sum(runs) FROM sum_kind WHERE lvl = 2")" = 2 &&
	ls mig >left && test "$(wc -l <left)" = 2 &&
	q mig.db "DROP TRIGGER newer; UPDATE schema_version SET version = $v" &&
	xalt ingest --db mig.db --delete mig >out &&
	echo "read 2, loaded 2, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	test "$(q mig.db "SELECT count(*), count(DISTINCT uuid) FROM runs")" = "4|4" &&
	ls mig >left && test_must_be_empty left
'

test_done
