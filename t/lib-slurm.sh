# A private single-node Slurm cluster for a test. Source after test-lib.sh.
#
#   slurm_start DIR   start munged (as the munge user), slurmctld and slurmd
#                     (as root, SlurmUser=root) with every state file, socket,
#                     log and pid file under DIR, on two free TCP ports, one
#                     node (this host, all its CPUs), one partition;
#                     ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
#                     KillWait=2 s, Epilog=DIR/epilog (SLURM_EPILOG_CMD, see
#                     below). Exports SLURM_CONF, so srun, sbatch, scancel and
#                     squeue talk to it. Returns 1 with the reason on stderr
#                     when it cannot start (then nothing is left running).
#   slurm_stop        stop what slurm_start started, by pid (also run at exit,
#                     whatever the tests did)
#   slurm_wait_job ID [SECS]   wait until job ID has left the queue and its
#                     epilog has run on the node (default 60 s); 1 on timeout
#   slurm_log         the daemons' logs (for a failing test's output)
#
# Set SLURM_EPILOG_CMD before slurm_start to the command the epilog runs
# (as root, after each job, on the node); it is wrapped in a script that
# also writes DIR/epilog.done.<job id>, which slurm_wait_job waits for.
# slurm_have says why a cluster cannot be had here (not root, not installed).

SLURM_DIR=
SLURM_PIDS=

slurm_have() {
	local c
	test "$(id -u)" = 0 || { echo "not root (slurmd must run as root)"; return 1; }
	for c in munged slurmctld slurmd srun sbatch scancel squeue scontrol; do
		command -v $c >/dev/null || { echo "$c missing (scripts/deps.sh: slurm-wlm munge)"; return 1; }
	done
	id munge >/dev/null 2>&1 || { echo "no munge user (package munge)"; return 1; }
	return 0
}

# A TCP port nobody listens on.
slurm_free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return 0; }
	done
	return 1
}

slurm_start() {
	local d=$1 host cpus p1 p2 i
	SLURM_DIR=$d
	host=$(hostname -s)
	cpus=$(nproc)
	mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" || return 1
	trap slurm_stop EXIT

	# munge: a fresh key, its own socket; owned by munge, as munged requires.
	dd if=/dev/urandom of="$d/munge/key" bs=1024 count=1 2>/dev/null &&
	chown -R munge: "$d/munge" && chmod 700 "$d/munge" && chmod 400 "$d/munge/key" || return 1
	runuser -u munge -- munged --force --key-file="$d/munge/key" --socket="$d/munge/sock" \
		--pid-file="$d/munge/pid" --log-file="$d/munge/log" --seed-file="$d/munge/seed" ||
		{ echo "munged did not start" >&2; cat "$d/munge/log" >&2; return 1; }
	SLURM_PIDS="$(cat "$d/munge/pid")"
	chmod 755 "$d/munge"     # clients (users' srun) reach the socket

	p1=$(slurm_free_port) && p2=$(slurm_free_port) || { echo "no free port" >&2; return 1; }
	cat >"$d/epilog" <<-EOS
	#!/bin/sh
	${SLURM_EPILOG_CMD:-:}
	: >"$d/epilog.done.\$SLURM_JOB_ID"
	exit 0
	EOS
	chmod 755 "$d/epilog"
	cat >"$d/slurm.conf" <<-EOS
	ClusterName=xalttest
	SlurmctldHost=$host
	SlurmctldPort=$p1
	SlurmdPort=$p2
	SlurmUser=root
	SlurmdUser=root
	AuthType=auth/munge
	AuthInfo=socket=$d/munge/sock
	CredType=cred/munge
	StateSaveLocation=$d/state
	SlurmdSpoolDir=$d/spool
	SlurmctldPidFile=$d/slurmctld.pid
	SlurmdPidFile=$d/slurmd.pid
	SlurmctldLogFile=$d/log/slurmctld.log
	SlurmdLogFile=$d/log/slurmd.log
	SlurmctldDebug=info
	SlurmdDebug=info
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	SchedulerType=sched/builtin
	SelectType=select/linear
	MpiDefault=none
	ReturnToService=2
	KillWait=2
	InactiveLimit=0
	MinJobAge=2
	OverTimeLimit=0
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	JobCompType=jobcomp/none
	PlugStackConfig=$d/plugstack.conf
	Epilog=$d/epilog
	NodeName=$host CPUs=$cpus State=UNKNOWN
	PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
	EOS
	: >"$d/plugstack.conf"
	chmod -R go+rX "$d/slurm.conf" "$d/plugstack.conf"
	export SLURM_CONF=$d/slurm.conf

	slurmctld -f "$SLURM_CONF" -i >/dev/null 2>&1 ||
		{ echo "slurmctld did not start" >&2; slurm_log >&2; return 1; }
	for i in $(seq 50); do test -s "$d/slurmctld.pid" && break; sleep 0.1; done
	SLURM_PIDS="$SLURM_PIDS $(cat "$d/slurmctld.pid" 2>/dev/null)"
	slurmd -f "$SLURM_CONF" >/dev/null 2>&1 ||
		{ echo "slurmd did not start" >&2; slurm_log >&2; return 1; }
	for i in $(seq 50); do test -s "$d/slurmd.pid" && break; sleep 0.1; done
	SLURM_PIDS="$SLURM_PIDS $(cat "$d/slurmd.pid" 2>/dev/null)"
	# The node is up when sinfo says idle.
	for i in $(seq 300); do
		sinfo -h -o %t 2>/dev/null | grep -qx idle && return 0
		sleep 0.1
	done
	echo "the node never became idle" >&2
	slurm_log >&2
	return 1
}

slurm_wait_job() {
	local id=$1 secs=${2:-60} i
	for i in $(seq $((secs * 10))); do
		test -e "$SLURM_DIR/epilog.done.$id" && return 0
		sleep 0.1
	done
	echo "job $id: no epilog after $secs s" >&2
	return 1
}

slurm_log() {
	tail -n 20 "$SLURM_DIR"/log/*.log "$SLURM_DIR/munge/log" 2>/dev/null
}

slurm_stop() {
	local p
	test -n "$SLURM_PIDS" || return 0
	for p in $SLURM_PIDS; do kill "$p" 2>/dev/null; done
	for _ in $(seq 50); do
		local alive=
		for p in $SLURM_PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		test -z "$alive" && break
		sleep 0.1
	done
	for p in $SLURM_PIDS; do kill -9 "$p" 2>/dev/null; done
	SLURM_PIDS=
	return 0
}
