#!/bin/sh
# Example Slurm epilog for xalt (docs/deploy.md, "Recovering killed runs").
#
# Slurm runs the Epilog as root on each node of a job once the job has
# ended, after its processes were killed (SIGTERM, then SIGKILL after
# KillWait). Runs of the job that never reached their exit code (SIGKILL,
# the OOM killer, the time limit) left their spools; `xalt recover` sends
# their records, for every user of the node, with each user's own rights.
# It never fails the job: whatever happens, the epilog exits 0 (a failing
# epilog drains the node).
#
# Install: copy to /etc/slurm/epilog.d/xalt-recover, mode 755, set XALT
# below, and in slurm.conf: Epilog=/etc/slurm/epilog.d/xalt-recover
XALT=${XALT:-/opt/xalt/bin/xalt}

if test -x "$XALT"; then
	"$XALT" recover >/dev/null 2>&1 ||
		logger -t xalt-recover "xalt recover failed for job ${SLURM_JOB_ID:-?}; spools kept for the next try" 2>/dev/null
fi
exit 0
