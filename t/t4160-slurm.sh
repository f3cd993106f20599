#!/bin/bash
test_description='a real Slurm: jobs killed, cancelled, over their time limit, and srun -n 2

A private single-node cluster (t/lib-slurm.sh: munged, slurmctld, slurmd as
root; proctrack/linuxproc, task/none, KillWait=2) whose Epilog is the example
share/slurm-epilog.sh running `xalt recover`. Jobs run as a real unprivileged
user, tracked with `xalt run`; their records go to that user'"'"'s own record
dir. Set XALT_TEST_SKIP_SLOW=1 to skip the time-limit job (about 90 s).'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-slurm.sh"

why=$(slurm_have) || { skip_all="no Slurm cluster: $why"; test_done; }
test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }
test_have_prereq PYTHON || { skip_all='/usr/bin/python3 is needed'; test_done; }
command -v setpriv >/dev/null || { skip_all='setpriv (util-linux) is needed'; test_done; }
command -v "${CC:-cc}" >/dev/null || { skip_all='a C compiler is needed'; test_done; }

# A real unprivileged user, made once and kept (as in t4200).
U=xalt-victim
id $U >/dev/null 2>&1 || useradd -M -N -r -s /usr/sbin/nologin $U >/dev/null 2>&1
id $U >/dev/null 2>&1 || { skip_all='useradd failed'; test_done; }
UID_=$(id -u $U)

xalt_setup
chmod 755 "$TRASH_DIRECTORY"
chmod 1777 "$XALT_SPOOL_BASE"
chmod 644 "$XALT_CONFIG"
mkdir -m 700 uhome && chown $U uhome
UHOME=$TRASH_DIRECTORY/uhome
UREC=$UHOME/.xalt.d
export XALT_FILE_PREFIX=$UREC

# Programs the jobs run: KEEP under the test config (not in a system dir).
printf 'int main(void) { return 0; }\n' >prog.c &&
printf '#include <signal.h>\nint main(void) { raise(SIGTERM); return 0; }\n' >term.c &&
"${CC:-cc}" -o prog prog.c && "${CC:-cc}" -o term term.c ||
	{ skip_all='cannot build the test programs'; test_done; }

SLURM_EPILOG_CMD="XALT=$XALT_PREFIX/bin/xalt XALT_SPOOL_BASE=$XALT_SPOOL_BASE $SRC_DIRECTORY/share/slurm-epilog.sh"
slurm_start "$TRASH_DIRECTORY/slurm" 2>slurm-start.err ||
	{ skip_all="the cluster did not start: $(head -1 slurm-start.err)"; test_done; }

# as_user CMD...: as the test user, in its home, with the tracking environment.
as_user() {
	(cd "$UHOME" && HOME=$UHOME setpriv --reuid=$UID_ --regid="$(id -g $U)" --clear-groups \
		env LD_PRELOAD=${XALT_TEST_LIBASAN:-} "$@")
}
# submit ARGS... -- COMMAND: sbatch as the user; prints the job id.
submit() {
	as_user sbatch --parsable --output=/dev/null "$@"
}
user_records() { find "$UREC" -name "run.*.json" 2>/dev/null | sort; }
# wait_for FILE: until the job has started its program (60 s).
wait_for() {
	for i in $(seq 600); do test -e "$1" && return 0; sleep 0.1; done
	return 1
}
XALT=$XALT_PREFIX/bin/xalt
# The sleeper notes its pid in started (renamed into place: never read half written).
SLEEPER="import os, yaml, time; open(\"$UHOME/started.t\", \"w\").write(str(os.getpid())); os.rename(\"$UHOME/started.t\", \"$UHOME/started\"); time.sleep(300)"

# sleeper_job [SBATCH-ARGS...]: a job tracking the sleeper as the user;
# sets id, and returns once the sleeper runs.
sleeper_job() {
	rm -rf "$UREC" "$UHOME/started" &&
	id=$(submit "$@" --wrap "$XALT run -- /usr/bin/python3 -c '$SLEEPER'") &&
	wait_for "$UHOME/started"
}
# one_record: exactly one record, the user's own (mode 600); sets rec.
one_record() {
	rec=$(user_records) && test $(echo "$rec" | wc -l) = 1 &&
	test "$(stat -c "%U %a" "$rec")" = "$U 600" &&
	jq -e ".uid == $UID_" "$rec"
}
# job_record_of JQ-FILTER: the record's exit is as the filter says, it
# names the job and holds the sleeper's package.
job_record_of() {
	jq -e "$1" "$rec" &&
	jq -e ".job.scheduler == \"slurm\" and .job.id == \"$id\"" "$rec" &&
	jq -e "any(.packages[]; .name == \"yaml\")" "$rec"
}
no_spool_left() { test -z "$(ls "$XALT_SPOOL_BASE/xalt-$UID_")"; }

# SIGKILL as the OOM killer sends it, to the tracked process alone: scancel
# cannot stand in for it, since Slurm's cancel also sends SIGTERM to what is
# left of the job, and a SIGTERM is recorded at once (exit.how = signal).
test_expect_success 'SIGKILL (the OOM killer) in a job: the epilog recovers the record, the user'"'"'s own, with its packages' '
	sleeper_job &&
	kill -KILL "$(cat "$UHOME/started")" &&
	slurm_wait_job "$id" &&
	one_record &&
	job_record_of ".exit.how == \"recovered\" and .exit.status == null" &&
	no_spool_left
'

# scancel --full --signal=KILL: Slurm kills the batch shell, then ends what is
# left of the job with SIGTERM (and SIGKILL after KillWait). Whichever reaches
# the tracked Python first, exactly one record of the user's, with its packages.
test_expect_success 'scancel --full --signal=KILL: one record, the user'"'"'s own, signal or recovered, with its packages' '
	sleeper_job &&
	scancel --full --signal=KILL "$id" &&
	slurm_wait_job "$id" &&
	one_record &&
	job_record_of "(.exit.how == \"recovered\" or .exit.how == \"signal\") and .exit.status == null" &&
	no_spool_left
'

test_expect_success 'srun -n 2 of a tracked program: one record, job.ntasks = 2, no spool left' '
	rm -rf "$UREC" &&
	as_user srun -n 2 "$XALT" run -- "$TRASH_DIRECTORY/prog" &&
	one_record &&
	jq -e ".exit.how == \"exit\" and .exit.status == 0" "$rec" &&
	jq -e ".job.scheduler == \"slurm\" and .job.ntasks == 2 and .job.rank == 0" "$rec" &&
	no_spool_left
'

test_expect_success 'a program that raises SIGTERM in a job: exit.how signal 15' '
	rm -rf "$UREC" &&
	as_user srun "$XALT" run -- "$TRASH_DIRECTORY/term";
	one_record &&
	jq -e ".exit.how == \"signal\" and .exit.signal == 15" "$rec"
'

test_expect_success 'scancel (SIGTERM): a record with exit.how signal 15, the job'"'"'s id and packages' '
	sleeper_job &&
	scancel "$id" &&
	slurm_wait_job "$id" &&
	one_record &&
	job_record_of ".exit.how == \"signal\" and .exit.signal == 15" &&
	no_spool_left
'

test "${XALT_TEST_SKIP_SLOW:-}" = 1 || test_set_prereq SLOW
test_expect_success SLOW 'a job over --time=1: one record, signal or recovered' '
	sleeper_job --time=1 &&
	slurm_wait_job "$id" 180 &&
	one_record &&
	job_record_of ".exit.how == \"signal\" or .exit.how == \"recovered\""
'

test_done
