# Two real system users for the tests of what one user can do to another
# (t4200 and the t42x0 tests): source after test-lib.sh, as root. Made once and
# kept (useradd is slow, and not ours to undo mid-suite: another test file
# may use them concurrently). Skips the whole file when they cannot be made
# or setpriv is missing.
#
#   $VICTIM, $ATTACKER    their names;  $VUID, $AUID  their uids

test_have_prereq ROOT || { skip_all='needs root to create the test users'; test_done; }
command -v setpriv >/dev/null || { skip_all='setpriv (util-linux) is needed'; test_done; }

VICTIM=xalt-victim
ATTACKER=xalt-attacker
for u in $VICTIM $ATTACKER; do
	id "$u" >/dev/null 2>&1 || useradd -M -N -r -s /usr/sbin/nologin "$u" >/dev/null 2>&1
done
id $VICTIM >/dev/null 2>&1 && id $ATTACKER >/dev/null 2>&1 ||
	{ skip_all='useradd failed'; test_done; }
VUID=$(id -u $VICTIM)
AUID=$(id -u $ATTACKER)
