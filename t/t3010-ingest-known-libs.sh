#!/bin/bash
test_description='xalt ingest: a library array seen before is not parsed twice, yet every record is validated'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader db.sqlite "$@"; }
libset() { q "SELECT libset_id FROM runs WHERE uuid = '$(rec_uuid "$1")'"; }
members() { q "SELECT group_concat(path, ' ') FROM (SELECT l.path FROM runs r JOIN libset_library m ON m.libset_id = r.libset_id JOIN libraries l ON l.id = m.library_id WHERE r.uuid = '$(rec_uuid "$1")' ORDER BY m.position)"; }
# compact records, so the library array is the same bytes in each
crec() { local f=$1; shift; mkrec "$f.tmp" "$@" && jq -c . "$f.tmp" >"$f" && rm "$f.tmp"; }

test_expect_success 'records sharing a library array load with the same set' '
	crec k/run.01.json 1 alice &&
	crec k/run.02.json 2 bob &&
	crec k/run.03.json 3 carol ".env = {libraries: .libraries} | .libraries = [{path: \"/lib/other.so\"}]" &&
	xalt ingest --db db.sqlite k >out 2>err &&
	echo "read 3, loaded 3, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	test "$(libset 1)" = "$(libset 2)" &&
	test "$(members 2)" = "/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6" &&
	test "$(members 3)" = "/lib/other.so"
'

test_expect_success 'a known array does not hide errors elsewhere; reasons are unchanged' '
	mkdir bad && crec bad/run.10.json 10 dan &&
	crec r.json 11 erin && sed "s/}\$/,\"libraries\":[]}/" r.json >bad/run.11.json &&
	crec r.json 12 fay && sed "s/}\$/,\"librar\\\\u0069es\":[]}/" r.json >bad/run.12.json &&
	crec r.json 13 gus && head -c -2 r.json >bad/run.13.json &&
	crec bad/run.14.json 14 hal ".packages[0].name = 42" &&
	crec r.json 15 ivy && sed "s/\"libraries\"/\"librar\\\\u0069es\"/" r.json >bad/run.15.json &&
	test_must_fail xalt ingest --db db.sqlite bad >out 2>err &&
	echo "read 6, loaded 2, duplicate 0, rejected 4" >expect && test_cmp expect out &&
	grep "rejected .bad/run.11.json.: invalid JSON.*duplicate object key" err &&
	grep "rejected .bad/run.12.json.: invalid JSON.*duplicate object key" err &&
	grep "rejected .bad/run.14.json.: field .packages\[0\].name. is not a string" err &&
	grep "rejected .bad/run.13.json.: invalid JSON" err >with-known &&
	test "$(members 15)" = "/lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6" &&
	mkdir alone && cp bad/run.13.json alone/ &&
	test_must_fail xalt ingest --db db2.sqlite alone 2>err2 &&
	sed "s|alone/|bad/|" err2 | grep "rejected" >unknown &&
	test_cmp unknown with-known
'

test_done
