#!/bin/bash
test_description='faults: the spool base missing, read-only, out of space or inodes: the spool falls back, or the record says packages_lost'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='the Python hook writes the spool: /usr/bin/python3 needed'; test_done; }

xalt_setup

# Faults on /dev/shm itself are made in a private mount namespace (unshare
# -m: a tmpfs over /dev/shm there, never seen by the machine), so the
# default spool base is what is tested. Root only; as another user the
# read-only case uses chmod on XALT_SPOOL_BASE instead.
if test_have_prereq ROOT && unshare -m --propagation private true 2>/dev/null; then
	test_set_prereq NS
fi
cat >inns.sh <<\EOF
#!/bin/sh
# inns.sh MODE cmd...: mount a tmpfs on /dev/shm as MODE says, run cmd, list
# what it left in /dev/shm into $SHM_LEFT.
mode=$1; shift
case $mode in
ro)      mount -t tmpfs -o ro,size=64k tmpfs /dev/shm ;;
fresh)   mount -t tmpfs -o size=1m tmpfs /dev/shm ;;
full)    mount -t tmpfs -o size=16k tmpfs /dev/shm &&
	 { dd if=/dev/zero of=/dev/shm/fill bs=4k 2>/dev/null; true; } ;;
noinode) mount -t tmpfs -o size=1m,nr_inodes=2 tmpfs /dev/shm && : >/dev/shm/fill ;;
allro)   mount -t tmpfs -o ro,size=64k tmpfs /dev/shm &&
	 # not a tmpfs over /tmp itself: the build tree may be under /tmp
	 mkdir -p -m 0700 /tmp/xalt-$(id -u) &&
	 mount -t tmpfs -o ro,mode=0700,size=64k tmpfs /tmp/xalt-$(id -u) ;;
esac || exit 99
"$@"; rc=$?
find /dev/shm -mindepth 1 ! -name fill >"$SHM_LEFT" 2>/dev/null
exit $rc
EOF
chmod +x inns.sh
SHM_LEFT=$TRASH_DIRECTORY/shm-left
export SHM_LEFT

PROG='import json, yaml, sys; print("hello"); sys.stderr.write("warn\n"); sys.exit(3)'

# run_faulty MODE: the Python program, tracked, with /dev/shm as MODE says
# (none: the test's own spool base) and TMPDIR the test's own fallback
# place; it must behave exactly as untracked.
FALLBACK=$TRASH_DIRECTORY/tmpdir
mkdir -p "$FALLBACK"
run_faulty() {
	mode=$1
	rm -rf "$XALT_FILE_PREFIX"
	if test "$mode" = none; then
		xalt_tracked /usr/bin/python3 -c "$PROG" >out 2>err
	else
		(unset XALT_SPOOL_BASE; LD_PRELOAD=${XALT_TEST_LIBASAN:-} TMPDIR=$FALLBACK \
			unshare -m --propagation private \
			./inns.sh "$mode" "$XALT_PREFIX/bin/xalt" run -- /usr/bin/python3 -c "$PROG" >out 2>err)
	fi
	test $? = 3 &&
	echo hello >expect && test_cmp expect out &&
	echo warn >expect && test_cmp expect err
}

# The record's package names, sorted.
pkg_names() { jq -r ".packages[].name" "$(xalt_one_record)" | sort; }

test_expect_success 'baseline: yaml recorded' '
	run_faulty none &&
	pkg_names | grep -x yaml
'

# The fallback (issue 10 item 5): the spool goes to $TMPDIR, packages are
# kept, and the run dir is removed at the end.
fell_back() {
	pkg_names | grep -x yaml &&
	jq -e "has(\"packages_lost\") | not" "$(xalt_one_record)" >/dev/null &&
	test -d "$FALLBACK/xalt-$(id -u)" &&
	test -z "$(ls -A "$FALLBACK/xalt-$(id -u)")"
}

test_expect_success NS '/dev/shm read-only: same behaviour, the spool falls back to $TMPDIR' '
	rm -rf "$FALLBACK"/xalt-* &&
	run_faulty ro &&
	fell_back
'

test_expect_success !ROOT 'spool base not writable (chmod 500): the spool falls back (to /dev/shm)' '
	chmod 500 "$XALT_SPOOL_BASE" &&
	run_faulty none; rc=$?
	chmod 700 "$XALT_SPOOL_BASE" &&
	test $rc = 0 &&
	pkg_names | grep -x yaml
'

test_expect_success NS '/dev/shm out of space: same behaviour, the spool falls back, nothing left in /dev/shm' '
	rm -rf "$FALLBACK"/xalt-* &&
	run_faulty full &&
	fell_back &&
	! grep -v "^/dev/shm/xalt-[0-9]*$" "$SHM_LEFT"
'

test_expect_success NS '/dev/shm out of inodes: same behaviour, the spool falls back' '
	rm -rf "$FALLBACK"/xalt-* &&
	run_faulty noinode &&
	fell_back &&
	test_cmp /dev/null "$SHM_LEFT"
'

test_expect_success NS 'no place at all (/dev/shm and /tmp/xalt-UID read-only, no TMPDIR): the record says packages_lost' '
	rm -rf "$FALLBACK"/xalt-* "$XALT_FILE_PREFIX" &&
	(unset XALT_SPOOL_BASE TMPDIR; LD_PRELOAD=${XALT_TEST_LIBASAN:-} \
		unshare -m --propagation private ./inns.sh allro \
		"$XALT_PREFIX/bin/xalt" run -- /usr/bin/python3 -c "$PROG" >out 2>err; test $? = 3) &&
	echo hello >expect && test_cmp expect out &&
	echo warn >expect && test_cmp expect err &&
	jq -e ".packages == [] and .packages_lost == true and .exec.track == \"PKGS\"" \
		"$(xalt_one_record)"
'

test_expect_success NS 'XALT_SPOOL_BASE missing: falls back to /dev/shm, packages kept, spool removed' '
	rm -rf "$XALT_FILE_PREFIX" &&
	(LD_PRELOAD=${XALT_TEST_LIBASAN:-} XALT_SPOOL_BASE=$TRASH_DIRECTORY/no-such-dir \
		unshare -m --propagation private ./inns.sh fresh \
		"$XALT_PREFIX/bin/xalt" run -- /usr/bin/python3 -c "$PROG" >out 2>err; test $? = 3) &&
	echo hello >expect && test_cmp expect out &&
	pkg_names | grep -x yaml &&
	echo "/dev/shm/xalt-$(id -u)" >expect && test_cmp expect "$SHM_LEFT"
'

test_done
