#!/bin/bash
test_description='SQLite: ingests at once over overlapping files store each run once, and none fails on another'
. "$(dirname "$0")/test-lib.sh"

command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }
xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader "$1" "$2"; }
test_must_be_empty() { test -f "$1" && ! test -s "$1"; }
# "read N, loaded N, duplicate N, rejected N" -> "N N N N"
counts() { sed -n 's/^read \([0-9]*\), loaded \([0-9]*\), duplicate \([0-9]*\), rejected \([0-9]*\)$/\1 \2 \3 \4/p' "$1"; }

test_expect_success 'setup: 900 generated records in three sets of files' '
	"$TEST_DIRECTORY/../bench/gen-records.py" --runs 900 --seed 11 gen >gen.counts &&
	find gen -name "run.*.json" | sort >all &&
	sed -n 1,300p all >a && sed -n 301,600p all >b && sed -n 601,900p all >c &&
	read -r _ nruns _ npkgs <gen.counts && test "$nruns" = 900
'

# A batch reads (entity ids) before it writes: begun deferred, it failed at
# once with "database is locked" whenever the other loader committed in
# between, instead of waiting its turn.
test_expect_success 'two ingests at once, overlapping files, small batches: both finish, each run once' '
	xalt db init --db lite.db >/dev/null &&
	{ xalt ingest --batch 3 --db lite.db $(cat a b) >out1 2>err1 & pid1=$!; } &&
	{ xalt ingest --batch 4 --db lite.db $(cat c b) >out2 2>err2 & pid2=$!; } &&
	wait $pid1 && wait $pid2 &&
	test_must_be_empty err1 && test_must_be_empty err2 &&
	read -r r1 l1 d1 x1 <<-EOT &&
	$(counts out1)
	EOT
	read -r r2 l2 d2 x2 <<-EOT &&
	$(counts out2)
	EOT
	test "$r1 $r2 $x1 $x2" = "600 600 0 0" &&
	test $((l1 + l2)) = 900 && test $((d1 + d2)) = 300 &&
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

test_done
