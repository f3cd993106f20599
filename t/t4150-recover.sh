#!/bin/bash
test_description='xalt recover: the runs killed before their end become records

A tracked Python killed with SIGKILL leaves its spool with its start note;
`xalt recover` sends its record ("recovered", with its packages) and removes
the spool, once. Run by root it does so for each user with that user'"'"'s
rights: the record lands in the user'"'"'s own record dir, owned by the user;
a user dir that is a link or owned by someone else is never touched. A
destination that refuses the record keeps the spool for the next try.'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }

xalt_setup
xalt() { "$XALT_PREFIX/bin/xalt" "$@"; }
UDIR=$XALT_SPOOL_BASE/xalt-$(id -u)

# killed_py CODE: a tracked Python that runs CODE, writes its pid to ./pid,
# and is killed with SIGKILL; its spool is left in $UDIR.
killed_py() {
	rm -f pid &&
	{ xalt_tracked /usr/bin/python3 -c "import os; $1; open(\"pid\", \"w\").write(str(os.getpid())); import time; time.sleep(60)" & } &&
	for i in $(seq 600); do test -s pid && break; sleep 0.1; done &&
	kill -9 "$(cat pid)" && wait
	test -s pid
}

test_expect_success 'usage: a stray argument is exit 2, --help is exit 0' '
	{ xalt recover stray 2>err; test $? = 2; } &&
	grep "unexpected argument" err &&
	xalt recover --help >out && grep -q "dry-run" out
'

test_expect_success 'nothing to do: exit 0, no output' '
	xalt recover >out && test ! -s out
'

test_expect_success '--dry-run says what it would do and changes nothing' '
	rm -rf "$XALT_FILE_PREFIX" &&
	killed_py "import yaml" &&
	spool=$(ls -d "$UDIR"/*.$(cat pid)) &&
	xalt recover --dry-run >out &&
	printf "would-recover\t%s\n" "$spool" >expect && test_cmp expect out &&
	test -d "$spool" && test -z "$(xalt_records)"
'

test_expect_success 'the killed run becomes one recovered record, with its packages; twice is once' '
	spool=$(ls -d "$UDIR"/*.$(cat pid)) &&
	xalt recover >out &&
	printf "recovered\t%s\n" "$spool" >expect && test_cmp expect out &&
	! test -e "$spool" &&
	rec=$(xalt_one_record) &&
	jq -e ".exit.how == \"recovered\" and .exit.status == null and .exit.signal == 0" "$rec" &&
	jq -e "any(.packages[]; .name == \"yaml\")" "$rec" &&
	jq -e ".end_time >= .start_time and (.run_time - (.end_time - .start_time) | fabs) < 1e-5" "$rec" &&
	xalt recover >out && test ! -s out &&
	xalt_one_record
'

test_expect_success 'xalt ingest loads the recovered record' '
	"$XALT_PREFIX/bin/xalt" ingest --db db.sqlite "$XALT_FILE_PREFIX" >out 2>err &&
	echo "read 1, loaded 1, duplicate 0, rejected 0" >expect && test_cmp expect out
'

test_expect_success 'a live run is left alone (listed with --verbose)' '
	rm -rf "$XALT_FILE_PREFIX" && rm -f pid &&
	{ xalt_tracked /usr/bin/python3 -c "import os, time; open(\"pid\", \"w\").write(str(os.getpid())); time.sleep(60)" & } &&
	for i in $(seq 600); do test -s pid && break; sleep 0.1; done &&
	spool=$(ls -d "$UDIR"/*.$(cat pid)) &&
	xalt recover --verbose >out 2>/dev/null &&
	printf "alive\t%s\n" "$spool" >expect && test_cmp expect out &&
	test -d "$spool" && test -z "$(xalt_records)" &&
	kill -9 $(cat pid) && wait;
	rm -rf "$spool"
'

test_expect_success 'a run dir with garbage for a note is kept, never judged' '
	rm -rf "$XALT_FILE_PREFIX" &&
	killed_py "import yaml" &&
	spool=$(ls -d "$UDIR"/*.$(cat pid)) &&
	printf "xalt-start 1\npid 1\n\377garbage" >"$spool/start" &&
	xalt recover >out &&
	printf "no-note\t%s\tno valid start note\n" "$spool" >expect && test_cmp expect out &&
	test -d "$spool" && rm -rf "$spool"
'

# A real unprivileged user, made once and kept (as in t4200).
U=xalt-victim
if test_have_prereq ROOT && command -v setpriv >/dev/null; then
	id $U >/dev/null 2>&1 || useradd -M -N -r -s /usr/sbin/nologin $U >/dev/null 2>&1
	id $U >/dev/null 2>&1 && test_set_prereq USER
fi
test_have_prereq USER || {
	say "# the rest needs root, setpriv and useradd: skipped"
	test_done
}
UUID_=$(id -u $U)
chmod 755 "$TRASH_DIRECTORY"
chmod 1777 "$XALT_SPOOL_BASE"
mkdir -m 700 uhome && chown $U uhome
UHOME=$TRASH_DIRECTORY/uhome
UREC=$UHOME/.xalt.d
as_user() {
	HOME=$UHOME setpriv --reuid=$UUID_ --regid="$(id -g $U)" --clear-groups "$@"
}
user_killed_py() {
	rm -f "$UHOME/pid" &&
	{ as_user env XALT_FILE_PREFIX="$UREC" LD_PRELOAD=${XALT_TEST_LIBASAN:-} \
		"$XALT_PREFIX/bin/xalt" run -- /usr/bin/python3 -c \
		"import os, yaml; open(\"$UHOME/pid\", \"w\").write(str(os.getpid())); import time; time.sleep(60)" & } &&
	for i in $(seq 600); do test -s "$UHOME/pid" && break; sleep 0.1; done &&
	kill -9 "$(cat "$UHOME/pid")" && wait
	test -s "$UHOME/pid"
}

test_expect_success USER 'root recovers a user'"'"'s run with the user'"'"'s rights: the record is the user'"'"'s' '
	user_killed_py &&
	spool=$(ls -d "$XALT_SPOOL_BASE/xalt-$UUID_"/*.$(cat "$UHOME/pid")) &&
	(unset XALT_FILE_PREFIX && xalt recover >out) &&
	printf "recovered\t%s\n" "$spool" >expect && test_cmp expect out &&
	rec=$(find "$UREC" -name "run.*.json") && test -n "$rec" &&
	test "$(stat -c "%U %a" "$rec")" = "$U 600" &&
	test "$(stat -c "%U" "$UREC")" = "$U" &&
	jq -e ".exit.how == \"recovered\" and .uid == $UUID_ and any(.packages[]; .name == \"yaml\")" "$rec" &&
	! test -e "$spool"
'

test_expect_success USER 'a destination the user cannot write keeps the spool: exit 1, then recovered' '
	rm -rf "$UREC" &&
	user_killed_py &&
	spool=$(ls -d "$XALT_SPOOL_BASE/xalt-$UUID_"/*.$(cat "$UHOME/pid")) &&
	as_user mkdir -m 500 "$UREC" &&
	{ xalt recover >out; test $? = 1; } &&
	grep "^failed	$spool	" out &&
	test -d "$spool" &&
	chmod 700 "$UREC" &&
	xalt recover >out &&
	printf "recovered\t%s\n" "$spool" >expect && test_cmp expect out &&
	test $(find "$UREC" -name "run.*.json" | wc -l) = 1
'

test_expect_success USER 'a user dir that is a link, or owned by another user, is never touched' '
	rm -rf "$UREC" &&
	user_killed_py &&
	mv "$XALT_SPOOL_BASE/xalt-$UUID_" real &&
	ln -s "$TRASH_DIRECTORY/real" "$XALT_SPOOL_BASE/xalt-$UUID_" &&
	xalt recover >out &&
	printf "not-ours\t%s\tnot a private directory of that uid\n" "$XALT_SPOOL_BASE/xalt-$UUID_" >expect &&
	test_cmp expect out &&
	rm "$XALT_SPOOL_BASE/xalt-$UUID_" &&
	mv real "$XALT_SPOOL_BASE/xalt-$UUID_" &&
	chown root "$XALT_SPOOL_BASE/xalt-$UUID_" &&
	xalt recover >out &&
	test_cmp expect out &&
	test -z "$(find "$UREC" -name "run.*.json" 2>/dev/null)" &&
	chown $U "$XALT_SPOOL_BASE/xalt-$UUID_" &&
	xalt recover >out && grep "^recovered	" out
'

test_done
