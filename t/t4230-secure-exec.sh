#!/bin/bash
test_description='setuid programs and root: the environment never makes the library act with rights it names'
. "$(dirname "$0")/test-lib.sh"

# Issue 12 item 1. Sites load the library through /etc/ld.so.preload, so it
# runs inside setuid programs too, with the calling user's XALT_* variables.
# In a secure-exec process (AT_SECURE) it must do nothing at all; as root it
# must never create a directory or file inside one another user owns. The
# /etc/ld.so.preload here is written into an overlay of /etc in a private
# mount namespace (unshare -m): the machine's own /etc is never touched.

test_have_prereq ROOT || { skip_all='needs root (a setuid program, other users, a mount namespace)'; test_done; }
test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
command -v unshare >/dev/null || { skip_all='unshare (util-linux) is needed'; test_done; }
. "$TEST_DIRECTORY/lib-users.sh"

xalt_setup
chmod 755 "$TRASH_DIRECTORY"
chmod 1777 "$XALT_SPOOL_BASE"
T=$TRASH_DIRECTORY
mkdir -m 700 vhome ahome && chown $VICTIM vhome && chown $ATTACKER ahome
mkdir -m 755 rootonly

# preloaded cmd...: cmd in a mount namespace whose /etc/ld.so.preload names
# the library (an overlay of /etc, its upper layer in the trash dir).
preloaded() {
	mkdir -p "$T/etc-upper" "$T/etc-work" &&
	echo "$XALT_LD_PRELOAD" | tr ":" "\n" >"$T/ld.so.preload" &&
	unshare -m sh -c '
		mount --make-rprivate / &&
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-upper,workdir=$1/etc-work" /etc &&
		cp "$1/ld.so.preload" /etc/ld.so.preload &&
		shift && exec "$@"' sh "$T" "$@"
}

test_expect_success 'setup: a setuid-root program and its plain twin, a config that tracks them' '
	echo "int main(void) { return 0; }" >prog.c &&
	cc -o suid prog.c && cp suid plain &&
	chown root:root suid plain && chmod 4755 suid && chmod 755 plain &&
	xalt_write_config "$T/user.conf" <<-\EOF &&
	path KEEP /suid$
	path KEEP /plain$
	path SKIP .*
	EOF
	chmod 644 "$T/user.conf"
'

if preloaded true 2>/dev/null; then
	test_set_prereq PRELOAD_NS
else
	say_err "no overlay of /etc in a private mount namespace here: the ld.so.preload tests are skipped"
fi

# attacker_runs PREFIX PROG: PROG as the attacker with their environment, as
# in the issue (their config, their places, tracing on), the library coming
# from /etc/ld.so.preload only.
attacker_runs() {
	preloaded setpriv --reuid="$(id -u $ATTACKER)" --regid="$(id -g $ATTACKER)" --clear-groups \
		env HOME="$T/ahome" XALT_EXECUTABLE_TRACKING=yes XALT_TRACING=yes XALT_SAMPLING=no \
		XALT_CONFIG="$T/user.conf" XALT_FILE_PREFIX="$1" XALT_SPOOL_BASE="$T/shm" "$2"
}

test_expect_success PRELOAD_NS 'through /etc/ld.so.preload, a plain program is tracked as the user' '
	rm -rf ahome/recs &&
	attacker_runs "$T/ahome/recs" ./plain 2>err &&
	rec=$(find ahome/recs -name "run.*.json") && test -n "$rec" &&
	test "$(stat -c %U "$rec")" = $ATTACKER
'

test_expect_success PRELOAD_NS 'a setuid program run by the user: nothing created, no record, not a word traced' '
	attacker_runs "$T/rootonly/made" ./suid 2>err &&
	test ! -e rootonly/made &&
	test ! -e "$T/shm/xalt-0" &&
	test_must_fail grep . err
'

test_expect_success PRELOAD_NS 'nor with a destination the user owns' '
	rm -rf ahome/recs2 &&
	attacker_runs "$T/ahome/recs2" ./suid 2>err &&
	test ! -e ahome/recs2 &&
	test_must_fail grep . err
'

test_expect_success 'root: no record dir made inside a directory another user owns' '
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes \
		XALT_FILE_PREFIX="$T/vhome/made/deeper" ./plain &&
	test ! -e vhome/made
'

test_expect_success 'root: no spool user dir made in a spool base another user owns' '
	mkdir -p vhome/shm && chown $VICTIM vhome/shm &&
	printf "path PKGS /plain\$\n" | xalt_write_config "$T/pkgs.conf" &&
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes XALT_CONFIG="$T/pkgs.conf" \
		XALT_SPOOL_BASE="$T/vhome/shm" XALT_FILE_PREFIX="$T/rootrecs" ./plain &&
	test ! -e vhome/shm/xalt-0
'

test_expect_success 'root: its own places still work (a record under a root-owned parent)' '
	rm -rf rootrecs &&
	LD_PRELOAD=$XALT_LD_PRELOAD XALT_EXECUTABLE_TRACKING=yes \
		XALT_FILE_PREFIX="$T/rootrecs" ./plain &&
	rec=$(find rootrecs -name "run.*.json") && test -n "$rec" &&
	jq -e ".uid == 0" "$rec" >/dev/null
'

test_done
