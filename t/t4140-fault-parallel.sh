#!/bin/bash
test_description='200 tracked Python runs in parallel under one user: every record exactly once'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }

xalt_setup
N=200
# All at once; under ASan 50 at a time (each process carries the ASan
# runtime's allocator: 200 of them would crowd the shared machine's memory).
P=$N
test_have_prereq ASAN && P=50

test_expect_success "$N parallel runs: all succeed, $N distinct uuids printed" '
	seq $N | xargs -P $P -I{} sh -c "
		LD_PRELOAD=\${XALT_TEST_LIBASAN:-} \"$XALT_PREFIX/bin/xalt\" run -- /usr/bin/python3 -c \"import json, os; print(os.environ[\\\"XALT_RUN_UUID\\\"])\" >out.{} || echo fail {}
	" >failures 2>&1 &&
	test_cmp /dev/null failures &&
	cat out.* | sort >printed &&
	test "$(wc -l <printed)" = $N &&
	test "$(sort -u printed | wc -l)" = $N
'

test_expect_success 'every record present exactly once, valid, with json' '
	n=$(xalt_records | wc -l) &&
	say_err "records: $n of $N" &&
	test $n = $N &&
	for f in $(xalt_records); do
		jq -r "select(.packages | map(.name) | index(\"json\")) | .run_uuid" "$f" || return 1
	done | sort >recorded &&
	say_err "distinct uuids in records: $(sort -u recorded | wc -l), with json: $(wc -l <recorded)" &&
	test_cmp printed recorded
'

test_expect_success 'no temp file and no spool left' '
	test -z "$(find "$XALT_FILE_PREFIX" -name ".*")" &&
	test -z "$(ls -A "$XALT_SPOOL_BASE"/xalt-*)"
'

test_expect_success 'ingest: all loaded once' '
	"$XALT_PREFIX/bin/xalt" ingest --db db.sqlite "$XALT_FILE_PREFIX" >summary &&
	grep "^read $N, loaded $N, duplicate 0, rejected 0$" summary
'

test_done
