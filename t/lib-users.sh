# Two real users for the security tests (t4200, t4210), sourced after
# test-lib.sh by a test that runs as root and has setpriv(1):
#
#   VICTIM, ATTACKER   their names; VUID, AUID their uids
#
# They are system users made once and kept (useradd is slow and not ours to
# undo mid-suite: another test file may use them concurrently). The file is
# skipped when they cannot be made.

VICTIM=xalt-victim
ATTACKER=xalt-attacker
for u in $VICTIM $ATTACKER; do
	id "$u" >/dev/null 2>&1 || useradd -M -N -r -s /usr/sbin/nologin "$u" >/dev/null 2>&1
done
id $VICTIM >/dev/null 2>&1 && id $ATTACKER >/dev/null 2>&1 ||
	{ skip_all='useradd failed'; test_done; }
VUID=$(id -u $VICTIM)
AUID=$(id -u $ATTACKER)
