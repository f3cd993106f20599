#!/bin/bash
test_description='security: another user cannot read, redirect or inject into a user'"'"'s records'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }
. "$TEST_DIRECTORY/lib-users.sh"

xalt_setup
chmod 755 "$TRASH_DIRECTORY"
# Shared places, as on a cluster: the spool base and a drop box are
# world-writable and sticky, like /dev/shm and /tmp.
chmod 1777 "$XALT_SPOOL_BASE"
mkdir -m 1777 pub
mkdir -m 700 vhome ahome && chown $VICTIM vhome && chown $ATTACKER ahome
VHOME=$TRASH_DIRECTORY/vhome
AHOME=$TRASH_DIRECTORY/ahome
SHM=$XALT_SPOOL_BASE

# as USER HOME cmd...: run cmd as USER (real and effective ids, no groups).
as() {
	u=$1 h=$2; shift 2
	HOME=$h setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups "$@"
}
# The victim's tracked Python run; records into $VREC (default ~/.xalt.d).
VREC=$VHOME/.xalt.d
victim_py() {
	as $VICTIM "$VHOME" env XALT_FILE_PREFIX="$VREC" LD_PRELOAD=${XALT_TEST_LIBASAN:-} \
		"$XALT_PREFIX/bin/xalt" run -- /usr/bin/python3 -c "$1"
}
victim_records() { find "$VREC" -name "run.*.json" 2>/dev/null; }

test_expect_success 'a normal victim run: record 0600 in a 0700 dir, packages kept' '
	victim_py "import yaml; print(\"ok\")" >out && echo ok >expect && test_cmp expect out &&
	rec=$(victim_records) && test -n "$rec" &&
	test "$(stat -c "%a %U" "$VREC")" = "700 $VICTIM" &&
	test "$(stat -c "%a %U" "$rec")" = "600 $VICTIM" &&
	jq -r ".packages[].name" "$rec" | grep -x yaml &&
	test "$(stat -c "%a %U" "$SHM/xalt-$VUID")" = "700 $VICTIM"
'

test_expect_success 'the attacker cannot read the records' '
	rec=$(victim_records) &&
	test_must_fail as $ATTACKER "$AHOME" cat "$rec" 2>/dev/null &&
	test_must_fail as $ATTACKER "$AHOME" ls "$VREC" 2>/dev/null
'

# While the victim's run is alive: its spool dir and pkgs file are private,
# and neither a uuid nor a spool path lets the attacker write into it. The
# run stays alive until the test is done with it (vhome/release), not for a
# fixed time: a loaded machine took longer than that for the attacks.
test_expect_success 'a live run: spool unreadable, no injection by uuid or by path' '
	rm -rf "$VREC" vhome/pid vhome/release &&
	{ victim_py "import os, sys, time, yaml
open(\"$VHOME/pid\", \"w\").write(os.environ[\"XALT_RUN_UUID\"] + \" \" + os.environ[\"XALT_SPOOL_DIR\"] + \"\\n\")
end = time.time() + 120
while not os.path.exists(\"$VHOME/release\") and time.time() < end:
    time.sleep(0.02)" & } &&
	{
	for i in $(seq 600); do test -s vhome/pid && break; sleep 0.1; done &&
	read uuid spool <vhome/pid &&
	test "$(stat -c "%a %U" "$spool")" = "700 $VICTIM" &&
	test_must_fail as $ATTACKER "$AHOME" cat "$spool/pkgs" 2>/dev/null &&
	test_must_fail as $ATTACKER "$AHOME" ls "$SHM/xalt-$VUID" 2>/dev/null &&
	as $ATTACKER "$AHOME" env XALT_RUN_UUID=$uuid XALT_SPOOL_BASE="$SHM" \
		"$XALT_PREFIX/libexec/xalt_record_pkg" -u "$uuid" program python package_name evil1 \
		path /site-packages/evil1 &&
	as $ATTACKER "$AHOME" env XALT_RUN_UUID=$uuid XALT_SPOOL_DIR="$spool" XALT_SPOOL_BASE="$SHM" \
		PYTHONPATH="$XALT_PREFIX/site" /usr/bin/python3 -c "import csv"
	}; rc=$?
	: >vhome/release; wait
	test $rc = 0 &&
	rec=$(victim_records) &&
	! jq -r ".packages[].name" "$rec" | grep -E "^(evil1|csv)$" &&
	jq -r ".packages[].name" "$rec" | grep -x yaml
'

# A spool user dir that cannot be trusted is passed over: the spool goes to
# the next base (/dev/shm here: issue 10 item 5), the packages are kept.
test_expect_success 'planted symlink as the victim'"'"'s spool user dir: refused, nothing written there, the spool falls back' '
	rm -rf "$VREC" "$SHM/xalt-$VUID" &&
	as $ATTACKER "$AHOME" mkdir -m 777 "$AHOME/trap" &&
	as $ATTACKER "$AHOME" ln -s "$AHOME/trap" "$SHM/xalt-$VUID" &&
	victim_py "import yaml; print(\"ok\")" >out && echo ok >expect && test_cmp expect out &&
	test -z "$(ls -A ahome/trap)" &&
	jq -r ".packages[].name" "$(victim_records)" | grep -x yaml
'

test_expect_success 'pre-created spool user dir owned by the attacker: refused, the spool falls back' '
	rm -rf "$VREC" "$SHM/xalt-$VUID" &&
	as $ATTACKER "$AHOME" mkdir -m 777 "$SHM/xalt-$VUID" &&
	victim_py "import yaml" &&
	test -z "$(ls -A "$SHM/xalt-$VUID")" &&
	jq -r ".packages[].name" "$(victim_records)" | grep -x yaml &&
	rm -rf "$SHM/xalt-$VUID"
'

test_expect_success 'the victim'"'"'s own dir with loose modes (0777): refused, never chmod-ed, the spool falls back' '
	rm -rf "$VREC" &&
	as $VICTIM "$VHOME" mkdir -m 777 "$SHM/xalt-$VUID" &&
	as $VICTIM "$VHOME" chmod 777 "$SHM/xalt-$VUID" &&
	victim_py "import yaml" &&
	test "$(stat -c %a "$SHM/xalt-$VUID")" = 777 &&
	test -z "$(ls -A "$SHM/xalt-$VUID")" &&
	jq -r ".packages[].name" "$(victim_records)" | grep -x yaml &&
	rm -rf "$SHM/xalt-$VUID"
'

# The record dir in a shared place: the attacker plants it first.
VREC_SHARED=$TRASH_DIRECTORY/pub/records-victim
test_expect_success 'record dir planted as a symlink to the attacker'"'"'s dir: nothing lands there' '
	as $ATTACKER "$AHOME" mkdir -m 777 "$AHOME/catch" &&
	as $ATTACKER "$AHOME" ln -s "$AHOME/catch" "$VREC_SHARED" &&
	VREC=$VREC_SHARED victim_py "print(\"ok\")" >out && echo ok >expect && test_cmp expect out &&
	test -z "$(ls -A ahome/catch)"
'

test_expect_success 'record dir pre-created by the attacker (0777): nothing lands there' '
	rm -f "$VREC_SHARED" &&
	as $ATTACKER "$AHOME" mkdir -m 777 "$VREC_SHARED" &&
	VREC=$VREC_SHARED victim_py "print(\"ok\")" >out && echo ok >expect && test_cmp expect out &&
	test -z "$(ls -A "$VREC_SHARED")" &&
	rm -rf "$VREC_SHARED"
'

test_expect_success 'a root-owned sticky drop box is accepted; files stay private' '
	mkdir -m 1777 pub/dropbox &&
	VREC=$TRASH_DIRECTORY/pub/dropbox victim_py "print(\"ok\")" >out &&
	rec=$(find pub/dropbox -name "run.*.json") && test -n "$rec" &&
	test "$(stat -c "%a %U" "$rec")" = "600 $VICTIM" &&
	test_must_fail as $ATTACKER "$AHOME" cat "$rec" 2>/dev/null &&
	test_must_fail as $ATTACKER "$AHOME" rm -f "$rec" 2>/dev/null && test -e "$rec"
'

test_expect_success 'the attacker cannot plant the victim'"'"'s temp or record name in the victim'"'"'s dir' '
	rm -rf "$VREC" && victim_py "pass" &&
	test_must_fail as $ATTACKER "$AHOME" touch "$VREC/.run.x.tmp" 2>/dev/null &&
	test_must_fail as $ATTACKER "$AHOME" ln -s /etc/passwd "$VREC/run.x.json" 2>/dev/null
'

test_done
