#!/bin/bash
test_description='ingest: another user cannot forge or displace a user'"'"'s records in a shared drop box (issue 12 item 2)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-records.sh"

test_have_prereq ROOT || { skip_all='needs root to create the test users'; test_done; }
test_have_prereq JQ || { skip_all='jq is needed to write records'; test_done; }
command -v setpriv >/dev/null || { skip_all='setpriv (util-linux) is needed'; test_done; }
command -v sqlite3 >/dev/null || { skip_all='sqlite3 CLI missing'; test_done; }

. "$TEST_DIRECTORY/lib-users.sh"
chmod 755 "$TRASH_DIRECTORY"

as() {
	u=$1; shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups "$@"
}
# drop USER DIR NAME N JQ: USER writes record N (jq filter JQ) as DIR/NAME.
drop() {
	mkrec "stage/$3" "$4" "$VICTIM" "$5" &&
	as "$1" sh -c 'umask 077 && cat >"$1"' - "$2/$3" <"stage/$3"
}
real() { printf 'run.20261130T100000.000000Z.%s.json' "$(rec_uuid "$1")"; }
forged() { printf 'run.20261130T090000.000000Z.%s.json' "$(rec_uuid "$1")"; }
q() { sqlite3 -batch -noheader "$1" "$2"; }
pkgs_of() { q "$1" "SELECT n.name FROM run_package rp JOIN runs r ON r.id = rp.run_id
	JOIN package_names n ON n.id = rp.name_id WHERE r.uuid = '$(rec_uuid "$2")' ORDER BY 1"; }

VICTIM_REC=".uid = $VUID | $(pkgs '[["python","yaml","6.0",0.01]]')"
EVIL=$(pkgs '[["python","evil","1",0.01]]')

test_expect_success 'a forgery claiming the victim'"'"'s uid: rejected with its reason; the real record is loaded and deleted (--delete)' '
	mkdir -m 1777 box1 &&
	drop $VICTIM box1 "$(real 1)" 1 "$VICTIM_REC" &&
	drop $ATTACKER box1 "$(forged 1)" 1 ".uid = $VUID | $EVIL" &&
	test_must_fail "$XALT_PREFIX/bin/xalt" ingest --delete --db d1.db box1 >out 2>err &&
	echo "read 2, loaded 1, duplicate 0, rejected 1" >expect && test_cmp expect out &&
	grep "rejected '\''box1/$(forged 1)'\'': record of uid $VUID in a file owned by uid $AUID" err &&
	echo yaml >expect && pkgs_of d1.db 1 >actual && test_cmp expect actual &&
	test "$(q d1.db "SELECT uid FROM runs")" = "$VUID" &&
	! test -e "box1/$(real 1)" && test -e "box1/$(forged 1)"
'

test_expect_success 'a forgery under the attacker'"'"'s own uid taking the victim'"'"'s uuid: the real record is a conflict, kept in place (--archive)' '
	mkdir -m 1777 box2 && mkdir arch2 &&
	drop $VICTIM box2 "$(real 2)" 2 "$VICTIM_REC" &&
	drop $ATTACKER box2 "$(forged 2)" 2 ".uid = $AUID | .cwd = \"/tmp\" | $EVIL" &&
	test_must_fail "$XALT_PREFIX/bin/xalt" ingest --archive arch2 --db d2.db box2 >out 2>err &&
	echo "read 2, loaded 1, duplicate 0, rejected 1" >expect && test_cmp expect out &&
	grep "rejected '\''box2/$(real 2)'\'': run_uuid already stored for another run" err &&
	test -e "box2/$(real 2)" && ! test -e "arch2/$(real 2)" &&
	test "$(stat -c %U "box2/$(real 2)")" = $VICTIM
'

test_expect_success 'the same run ingested again is a duplicate, deleted with --delete' '
	mkdir -m 1777 box3 &&
	drop $VICTIM box3 "$(real 3)" 3 "$VICTIM_REC" &&
	"$XALT_PREFIX/bin/xalt" ingest -q --db d3.db box3 &&
	"$XALT_PREFIX/bin/xalt" ingest --delete --db d3.db box3 >out &&
	echo "read 1, loaded 0, duplicate 1, rejected 0" >expect && test_cmp expect out &&
	! test -e "box3/$(real 3)"
'

test_expect_success 'a root-owned file (a site collector) may carry any uid' '
	mkdir -m 1777 box4 &&
	mkrec "box4/$(real 4)" 4 $VICTIM "$VICTIM_REC" &&
	"$XALT_PREFIX/bin/xalt" ingest -q --db d4.db box4 &&
	test "$(q d4.db "SELECT uid FROM runs")" = "$VUID"
'

# hash_users = yes: no uid in the record, so nothing ties it to a person but
# the file: accepted from root, or from the owner of the directory itself.
test_expect_success 'a record without uid: refused from a user'"'"'s file in a shared box, taken from root'"'"'s and from the user'"'"'s own dir' '
	mkdir -m 1777 box5 && mkdir -m 700 own5 && chown $VICTIM own5 &&
	drop $ATTACKER box5 "$(forged 5)" 5 "del(.uid) | .user = \"h:0123456789abcdef\"" &&
	mkrec "box5/$(real 6)" 6 $VICTIM "del(.uid)" &&
	drop $VICTIM own5 "$(real 7)" 7 "del(.uid)" &&
	test_must_fail "$XALT_PREFIX/bin/xalt" ingest --db d5.db box5 own5 >out 2>err &&
	echo "read 3, loaded 2, duplicate 0, rejected 1" >expect && test_cmp expect out &&
	grep "rejected '\''box5/$(forged 5)'\'': record without uid (hash_users) in a file owned by uid $AUID" err &&
	q d5.db "SELECT uuid FROM runs ORDER BY uuid" >actual &&
	{ rec_uuid 6 && rec_uuid 7; } >expect && test_cmp expect actual
'

test_done
