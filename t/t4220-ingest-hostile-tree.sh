#!/bin/bash
test_description='ingest: a hostile tree cannot lead the walk, the reads, the moves or the deletes outside it (issue 12 item 4)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

test_have_prereq JQ || { skip_all='jq is needed to write records'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
q() { sqlite3 -batch -noheader "$1" "SELECT uuid FROM runs ORDER BY uuid"; }
name() { printf 'run.20261130T100000.000000Z.%s.json' "$(rec_uuid "$1")"; }

# The races are made deterministic by a shim (t/helper/swap-shim.c): just
# before the Nth file-system call naming SWAP_TRIGGER, it renames SWAP_FROM
# to SWAP_TO (and with SWAP_SYMLINK puts a symlink in SWAP_FROM's place).
test_expect_success 'build the swap shim' '
	${CC:-cc} -shared -fPIC -o shim.so "$TEST_DIRECTORY/helper/swap-shim.c" -ldl
'
shimmed() {
	LD_PRELOAD="${XALT_TEST_LIBASAN:+$XALT_TEST_LIBASAN:}$TRASH_DIRECTORY/shim.so" "$@"
}

test_expect_success 'symbolic links inside the tree are not followed, to files or directories' '
	mkrec "outside/$(name 1)" 1 alice &&
	mkrec "tree/$(name 2)" 2 alice &&
	ln -s "$TRASH_DIRECTORY/outside" tree/linkdir &&
	ln -s "$TRASH_DIRECTORY/outside/$(name 1)" "tree/run.x.$(rec_uuid 3).json" &&
	ln -s ../outside tree/up &&
	xalt ingest --db d1.db tree >out &&
	echo "read 1, loaded 1, duplicate 0, rejected 0" >expect && test_cmp expect out &&
	rec_uuid 2 >expect && q d1.db >actual && test_cmp expect actual
'

test_expect_success 'a symbolic link named on the command line is refused, not followed' '
	ln -s "$TRASH_DIRECTORY/outside/$(name 1)" named-link.json &&
	test_must_fail xalt ingest --db d2.db named-link.json >out 2>err &&
	grep "rejected '\''named-link.json'\'': a symbolic link" err &&
	test "$(q d2.db)" = ""
'

# The walk saw tree3/sub; then, as the reader reaches sub/run.*.json, sub
# becomes a symlink to a directory outside holding another record of the
# same name. Reading by path followed it and loaded the outside record.
test_expect_success 'a directory swapped for a symlink while files are read: the record outside is never read' '
	mkrec "tree3/sub/$(name 4)" 4 alice &&
	mkrec "outside3/$(name 4)" 4 mallory &&
	SWAP_TRIGGER="$(name 4)" SWAP_FROM=tree3/sub SWAP_TO=tree3/sub.moved \
		SWAP_SYMLINK="$TRASH_DIRECTORY/outside3" shimmed xalt ingest --db d3.db tree3 &&
	test -L tree3/sub && test -d tree3/sub.moved &&
	echo alice >expect &&
	sqlite3 -batch -noheader d3.db "SELECT name FROM users" >actual && test_cmp expect actual
'

# The same swap, before the reader reopens sub: refused as replaced.
test_expect_success 'a directory swapped for a symlink between the walk and the reading: reported, nothing read' '
	mkrec "tree4/sub/$(name 5)" 5 alice &&
	mkrec "outside4/$(name 5)" 5 mallory &&
	SWAP_TRIGGER=sub SWAP_NTH=2 SWAP_FROM=tree4/sub SWAP_TO=tree4/sub.moved \
		SWAP_SYMLINK="$TRASH_DIRECTORY/outside4" \
		test_must_fail shimmed xalt ingest --db d4.db tree4 >out 2>err &&
	grep "rejected '\''tree4/sub/$(name 5)'\'': cannot open its directory: replaced since the walk" err &&
	test "$(q d4.db)" = ""
'

# After the read, before the delete, the record is replaced by another file:
# deleting by path removed the newcomer, unread.
test_expect_success 'a file replaced between its reading and --delete: left in place' '
	mkrec "tree5/$(name 6)" 6 alice &&
	echo newcomer >tree5/new &&
	SWAP_TRIGGER="$(name 6)" SWAP_NTH=2 SWAP_FROM=tree5/new SWAP_TO="tree5/$(name 6)" \
		shimmed xalt ingest --delete --db d5.db tree5 >out 2>err &&
	grep "cannot delete '\''tree5/$(name 6)'\'': replaced since it was read; left in place" err &&
	echo newcomer >expect && test_cmp expect "tree5/$(name 6)"
'

test_expect_success 'the same with --archive: the newcomer is not moved' '
	mkrec "tree6/$(name 7)" 7 alice && mkdir arch6 &&
	echo newcomer >tree6/new &&
	SWAP_TRIGGER="$(name 7)" SWAP_NTH=2 SWAP_FROM=tree6/new SWAP_TO="tree6/$(name 7)" \
		shimmed xalt ingest --archive arch6 --db d6.db tree6 >out 2>err &&
	grep "cannot move '\''tree6/$(name 7)'\'': replaced since it was read; left in place" err &&
	echo newcomer >expect && test_cmp expect "tree6/$(name 7)" &&
	test "$(ls arch6)" = ""
'

test_expect_success '--archive never replaces a file already in the archive' '
	mkrec "tree7/$(name 8)" 8 alice && mkdir arch7 &&
	echo older >"arch7/$(name 8)" &&
	xalt ingest -q --archive arch7 --db d7.db tree7 &&
	echo older >expect && test_cmp expect "arch7/$(name 8)" &&
	test -f "arch7/$(name 8).1" && ! test -e "tree7/$(name 8)"
'

# Writers create .run.<...>.tmp, then rename it; one that died leaves it.
test_expect_success 'stale writer temp files: removed by --delete/--archive once a day old, kept otherwise' '
	mkrec "tree8/$(name 9)" 9 alice &&
	echo partial >tree8/.run.old.tmp && touch -d "2 days ago" tree8/.run.old.tmp &&
	echo partial >tree8/.run.new.tmp && touch -d "2 hours ago" tree8/.run.new.tmp &&
	mkdir tree8/.run.dir.tmp && touch -d "2 days ago" tree8/.run.dir.tmp &&
	xalt ingest -q --db d8.db tree8 &&
	test -f tree8/.run.old.tmp &&
	xalt ingest -q --delete --db d8.db tree8 &&
	! test -e tree8/.run.old.tmp && test -f tree8/.run.new.tmp && test -d tree8/.run.dir.tmp
'

test_done
