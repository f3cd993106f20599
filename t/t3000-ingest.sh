#!/bin/bash
test_description='xalt ingest: valid, duplicate, broken and hostile records'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

test_have_prereq JQ || { skip_all='jq is needed to write the records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader db.sqlite "$@"; }

test_expect_success 'help goes to stdout and exits 0' '
	xalt ingest --help >out 2>err &&
	grep "^usage: xalt ingest" out && grep -- "--reject-dir" out &&
	grep "exit status" out && test_must_be_empty err
'

test_expect_success 'misuse: exit 2, one error line and the usage on stderr' '
	xalt ingest >out 2>err; test $? = 2 && test_must_be_empty out &&
	grep "^error: no PATH" err && grep "^usage: xalt ingest" err &&
	xalt ingest --bogus x 2>err; test $? = 2 && grep "unknown option .--bogus" err &&
	xalt ingest --batch 0 x 2>err; test $? = 2 && grep "batch" err
'

test_expect_success '--delete and --archive conflict, naming both' '
	mkdir arch &&
	xalt ingest --delete --archive arch x 2>err; test $? = 2 &&
	grep -- "--delete and --archive" err
'

test_expect_success 'valid records load; summary counts them' '
	mkrec in/a/run.1.json 1 alice "$(pkgs "[[\"python\",\"numpy\",\"1.24.2\",0.08],[\"python\",\"yaml\",\"6.0\",0.01]]")" &&
	mkrec in/a/run.2.json 2 bob &&
	mkrec in/b/c/run.3.json 3 alice ".packages = []" &&
	echo "not a record name" >in/notes.txt &&
	mkrec in/.run.4.json.tmp 4 carol &&
	xalt ingest --db db.sqlite in >out 2>err &&
	echo "read 3, loaded 3, duplicate 0, rejected 0" >expect &&
	test_cmp expect out && test_must_be_empty err &&
	test "$(q "SELECT count(*) FROM runs")" = 3 &&
	expected=$(cat in/a/run.*.json in/b/c/run.*.json | jq -s "map(.packages | length) | add") &&
	test "$(q "SELECT count(*) FROM run_package")" = "$expected" &&
	test "$(q "SELECT count(*) FROM users")" = 2
'

test_expect_success 'fields are stored as given' '
	uuid=$(rec_uuid 1) &&
	q "SELECT u.name, h.syshost, h.host, e.path, r.start_time, r.exit_status, r.interp_kind,
		r.cmdline, r.origin FROM runs r JOIN users u ON u.id = r.user_id
		JOIN hosts h ON h.id = r.host_id JOIN executables e ON e.id = r.exec_id
		WHERE r.uuid = '\''$uuid'\''" >actual &&
	echo "alice|testhost|node1|/usr/bin/python3.11|1764090001.0|0|system|[\"python3\",\"x.py\"]|in/a/run.1.json" >expect &&
	test_cmp expect actual &&
	q "SELECT n.name, p.version, rp.import_us FROM run_package rp JOIN packages p ON p.id = rp.package_id
		JOIN package_names n ON n.id = rp.name_id JOIN runs r ON r.id = rp.run_id
		WHERE r.uuid = '\''$uuid'\'' ORDER BY n.name" >actual &&
	printf "numpy|1.24.2|80000\nyaml|6.0|10000\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'libraries are stored once per distinct set' '
	test "$(q "SELECT count(*) FROM libsets")" = 1 &&
	test "$(q "SELECT count(*) FROM libset_library")" = 2 &&
	test "$(q "SELECT count(DISTINCT libset_id) FROM runs")" = 1
'

test_expect_success 'the same records again are duplicates, stored once' '
	xalt ingest --db db.sqlite in >out &&
	echo "read 3, loaded 0, duplicate 3, rejected 0" >expect &&
	test_cmp expect out &&
	test "$(q "SELECT count(*) FROM runs")" = 3 &&
	test "$(q "SELECT count(*) FROM run_package")" = 3
'

test_expect_success 'one record under two names in one batch is stored once' '
	mkrec dup/run.10.json 10 dave && cp dup/run.10.json dup/run.11.json &&
	xalt ingest --db db.sqlite dup >out &&
	echo "read 2, loaded 1, duplicate 1, rejected 0" >expect &&
	test_cmp expect out &&
	test "$(q "SELECT count(*) FROM runs WHERE uuid = '\''$(rec_uuid 10)'\''")" = 1
'

test_expect_success 'broken files are rejected with path and reason; the batch goes on' '
	mkdir bad && mkrec bad/run.20.json 20 erin &&
	mkrec full.json 21 frank && head -c 200 full.json >bad/run.21.json &&
	echo "hello, world" >bad/run.22.json &&
	mkrec bad/run.23.json 23 gina ".schema = \"xalt-run/2\"" &&
	mkrec bad/run.24.json 24 hank "del(.run_uuid)" &&
	mkrec bad/run.25.json 25 ivan ".start_time = \"yesterday\"" &&
	mkrec bad/run.26.json 26 jack ".packages[0].name = 42" &&
	mkrec bad/run.27.json 27 kate ".run_uuid = \"not-a-uuid\"" &&
	mkrec bad/run.28.json 28 liam "$(pkgs "[[\"python\",\"numpy\",\"1\",0.1],[\"python\",\"numpy\",\"2\",0.2]]")" &&
	: >bad/run.29.json &&
	echo "[1,2,3]" >bad/run.30.json &&
	mkrec bad/run.31.json 31 mona &&
	test_must_fail xalt ingest --db db.sqlite bad >out 2>err &&
	echo "read 12, loaded 2, duplicate 0, rejected 10" >expect &&
	test_cmp expect out &&
	grep "^error: rejected .bad/run.21.json.: invalid JSON" err &&
	grep "^error: rejected .bad/run.22.json.: invalid JSON at line 1" err &&
	grep "^error: rejected .bad/run.23.json.: unknown schema .xalt-run/2." err &&
	grep "^error: rejected .bad/run.24.json.: missing field .run_uuid." err &&
	grep "^error: rejected .bad/run.25.json.: missing or non-numeric field .start_time." err &&
	grep "^error: rejected .bad/run.26.json.: field .packages\[0\].name. is not a string" err &&
	grep "^error: rejected .bad/run.27.json.: field .run_uuid. is not a lower-case UUID" err &&
	grep "^error: rejected .bad/run.28.json.: package .numpy. of .python. listed twice" err &&
	grep "^error: rejected .bad/run.29.json.: invalid JSON" err &&
	grep "^error: rejected .bad/run.30.json.: not a JSON object" err &&
	test $(wc -l <err) = 10 &&
	test "$(q "SELECT count(*) FROM runs WHERE uuid IN ('\''$(rec_uuid 20)'\'', '\''$(rec_uuid 31)'\'')")" = 2 &&
	test "$(q "SELECT count(*) FROM users WHERE name IN (\"gina\", \"hank\", \"liam\")")" = 0
'

test_expect_success '--reject-dir moves rejected files, leaves loaded ones' '
	mkdir rej &&
	test_must_fail xalt ingest --db db.sqlite --reject-dir rej bad >out 2>err &&
	echo "read 12, loaded 0, duplicate 2, rejected 10" >expect &&
	test_cmp expect out &&
	ls rej >actual &&
	printf "run.%s.json\n" 21 22 23 24 25 26 27 28 29 30 >expect &&
	test_cmp expect actual &&
	ls bad >actual && printf "run.20.json\nrun.31.json\n" >expect && test_cmp expect actual
'

test_expect_success '--delete removes files once committed, --archive moves them' '
	mkrec del/run.40.json 40 nina && mkrec del/run.41.json 41 omar &&
	xalt ingest -q --db db.sqlite --delete del >out &&
	test_must_be_empty out && ! ls del/run.* 2>/dev/null &&
	mkrec arc/run.42.json 42 pia &&
	xalt ingest -q --db db.sqlite --archive arch arc &&
	test -f arch/run.42.json && ! test -e arc/run.42.json &&
	test "$(q "SELECT count(*) FROM runs WHERE uuid IN ('\''$(rec_uuid 40)'\'','\''$(rec_uuid 41)'\'','\''$(rec_uuid 42)'\'')")" = 3
'

test_expect_success 'SQLite commits every 5000 records unless --batch says otherwise' '
	mkrec batch/run.46.json 46 sam && mkdir batch/empty &&
	xalt ingest -v --db db.sqlite batch 2>err.default >/dev/null &&
	grep "committing every 5000 records" err.default &&
	xalt ingest -v --batch 3 --db db.sqlite batch 2>err.three >/dev/null &&
	grep "committing every 3 records" err.three
'

strace -o /dev/null true 2>/dev/null && test_set_prereq STRACE

# WAL with synchronous=NORMAL syncs at checkpoints only; FULL syncs the WAL
# at every commit (one per record with --batch 1).
test_expect_success STRACE '--delete and --archive sync the WAL at every commit, plain ingest does not' '
	for i in 43 44 45; do mkrec sync/run.$i.json $i sam || return 1; done &&
	cp -r sync keep &&
	wal_syncs() { grep -c "$1-wal>" "$2"; } &&
	strace -f -y -e trace=fsync,fdatasync -o plain.tr "$XALT_PREFIX/bin/xalt" ingest -q --batch 1 --db plain.db sync &&
	strace -f -y -e trace=fsync,fdatasync -o del.tr "$XALT_PREFIX/bin/xalt" ingest -q --batch 1 --db del.db --delete sync &&
	mkdir archived &&
	strace -f -y -e trace=fsync,fdatasync -o arc.tr "$XALT_PREFIX/bin/xalt" ingest -q --batch 1 --db arc.db --archive archived keep &&
	plain=$(wal_syncs plain.db plain.tr) && del=$(wal_syncs del.db del.tr) && arc=$(wal_syncs arc.db arc.tr) &&
	test "$del" -ge $((plain + 3)) && test "$arc" -ge $((plain + 3))
'

test_expect_success 'a missing path is an error, others still load' '
	mkrec more/run.50.json 50 quinn &&
	test_must_fail xalt ingest --db db.sqlite nowhere more >out 2>err &&
	grep "^error: cannot access .nowhere." err &&
	echo "read 2, loaded 1, duplicate 0, rejected 1" >expect && test_cmp expect out
'

test_expect_success 'hostile: 64 KiB free-text fields are stored whole' '
	mkrec h1/run.60.json 60 rita ".cwd = (\"x\" * 65536) | .cmdline = [.cwd, .cwd] | .env = {X: .cwd}" &&
	xalt ingest -q --db db.sqlite h1 &&
	expect=$(jq -j "[(.cwd | length), (.cmdline | tojson | length), (.env | tojson | length)] | map(tostring) | join(\"|\")" h1/run.60.json) &&
	test "$(q "SELECT length(cwd), length(cmdline), length(env) FROM runs WHERE uuid = '\''$(rec_uuid 60)'\''")" = "$expect"
'

test_expect_success 'hostile: 64 KiB key strings are rejected with the field named' '
	mkrec h2/run.61.json 61 sam ".packages[0].name = (\"x\" * 65536)" &&
	mkrec h2/run.62.json 62 sam ".user = (\"u\" * 65536)" &&
	mkrec h2/run.63.json 63 tom ".libraries[1].path = (\"/\" * 65536)" &&
	mkrec h2/run.64.json 64 tom ".schema = (\"\\u001b[31m\" * 10)" &&
	test_must_fail xalt ingest --db db.sqlite h2 2>err &&
	grep "rejected .h2/run.61.json.: field .packages\[0\].name. is longer than 1024 bytes" err &&
	grep "rejected .h2/run.62.json.: field .user. is longer than 1024 bytes" err &&
	grep "rejected .h2/run.63.json.: field .libraries\[1\].path. is longer than 1536 bytes" err &&
	grep "rejected .h2/run.64.json.: unknown schema .\\\\x1b\[31m" err &&
	! grep "$(printf "\033")" err
'

test_expect_success 'hostile: SQL metacharacters and quotes are data, not SQL' '
	evil="x'\''); DROP TABLE runs; --" &&
	mkrec h3/run.70.json 70 "$evil" "$(pkgs "[[\"python\",\"a\\\"b'\''c;--\",\"1'\'' OR 1=1\",0.5],[\"R\",\"%_*\\\\\",null,null]]")" &&
	xalt ingest -q --db db.sqlite h3 &&
	test "$(q "SELECT count(*) FROM runs")" -gt 5 &&
	q "SELECT u.name FROM runs r JOIN users u ON u.id = r.user_id WHERE r.uuid = '\''$(rec_uuid 70)'\''" >actual &&
	printf "%s\n" "$evil" >expect && test_cmp expect actual &&
	q "SELECT n.program || \"|\" || n.name || \"|\" || p.version FROM run_package rp
		JOIN package_names n ON n.id = rp.name_id JOIN packages p ON p.id = rp.package_id
		JOIN runs r ON r.id = rp.run_id WHERE r.uuid = '\''$(rec_uuid 70)'\'' ORDER BY 1" >actual &&
	printf "%s\n" "R|%_*\\|" "python|a\"b'\''c;--|1'\'' OR 1=1" >expect &&
	test_cmp expect actual
'

test_expect_success 'hostile: escaped bytes load as UTF-8; raw invalid UTF-8, NUL and lone surrogates are rejected' '
	mkrec h4/run.80.json 80 "caf\\u00e9\\u00ff\\u00fe" &&
	sed "s/\\\\\\\\u00/\\\\u00/g" h4/run.80.json >tmp && mv tmp h4/run.80.json &&
	mkrec h4/run.81.json 81 uma && sed "s/\"uma\"/\"u\\xff\\xfema\"/" h4/run.81.json >tmp && mv tmp h4/run.81.json &&
	mkrec h4/run.82.json 82 vic && sed "s/\"vic\"/\"v\\\\u0000ic\"/" h4/run.82.json >tmp && mv tmp h4/run.82.json &&
	mkrec h4/run.83.json 83 wes && sed "s/\"wes\"/\"w\\\\ud800es\"/" h4/run.83.json >tmp && mv tmp h4/run.83.json &&
	test_must_fail xalt ingest --db db.sqlite h4 >out 2>err &&
	echo "read 4, loaded 1, duplicate 0, rejected 3" >expect && test_cmp expect out &&
	grep "run.81.json.: invalid JSON at line 6, column 12: unable to decode byte 0xff near .\"u.$" err &&
	grep "run.82.json.: invalid JSON.*\\\\u0000 is not allowed" err &&
	grep "run.83.json.: invalid JSON.*invalid Unicode" err &&
	q "SELECT u.name FROM runs r JOIN users u ON u.id = r.user_id WHERE r.uuid = '\''$(rec_uuid 80)'\''" >actual &&
	printf "caf\\303\\251\\303\\277\\303\\276\n" >expect && test_cmp expect actual
'

test_expect_success 'hostile: deep nesting and a huge array do not crash' '
	mkrec h5/run.90.json 90 xena &&
	{ printf "{\"schema\":\"xalt-run/1\",\"x\":"; for i in $(seq 5000); do printf "["; done;
	  for i in $(seq 5000); do printf "]"; done; printf "}"; } >h5/run.91.json &&
	mkrec h5/run.92.json 92 yan ".libraries = [range(20000) | {path: (\"/lib/l\" + tostring)}]" &&
	test_must_fail xalt ingest --db db.sqlite h5 >out 2>err &&
	echo "read 3, loaded 2, duplicate 0, rejected 1" >expect && test_cmp expect out &&
	grep "run.91.json.: invalid JSON" err &&
	test "$(q "SELECT nlibs FROM libsets ORDER BY nlibs DESC LIMIT 1")" = 20000
'

test_expect_success 'nothing lost: every run in a file is in the database exactly once' '
	find in dup bad more h1 h3 h4 h5 arch -name "run.*.json" -exec cat {} + 2>/dev/null |
		jq -r "select(type == \"object\") | .run_uuid? // empty" 2>/dev/null | sort -u >cand &&
	q "SELECT uuid FROM runs ORDER BY uuid" >stored &&
	comm -23 cand stored >missing &&
	grep -v -e "^$(rec_uuid 28)\$" -e "^$(rec_uuid 23)\$" -e "^$(rec_uuid 26)\$" -e "^$(rec_uuid 25)\$" missing >unexpected;
	test_must_be_empty unexpected || { cat unexpected; false; }
'

test_expect_success 'no progress bar when stderr is not a terminal; one on a terminal' '
	bench_dir=prog && for i in $(seq 100 120); do mkrec prog/run.$i.json $i zed; done &&
	xalt ingest --db db.sqlite prog >out 2>err && test_must_be_empty err &&
	rm -f db2.sqlite &&
	script -qec "$XALT_PREFIX/bin/xalt ingest --db db2.sqlite prog" /dev/null >tty.out &&
	grep "ingest \[" tty.out && grep "read 21, loaded 21" tty.out
'

test_expect_success 'an unusable database is a clear failure' '
	mkdir ro && chmod 500 ro &&
	if test "$(id -u)" = 0; then db=/proc/xalt.db; else db=ro/sub/xalt.db; fi &&
	test_must_fail xalt ingest --db "$db" in 2>err &&
	grep "^error: cannot" err
'

test_done
