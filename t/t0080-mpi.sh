#!/bin/bash
test_description='MPI: only rank 0 of a multi-task run records, with the task count'
. "$(dirname "$0")/test-lib.sh"

test_have_prereq JQ || { skip_all='jq is needed to read records'; test_done; }

xalt_setup

test_expect_success 'setup' '
	printf "int main(void) { return 0; }\n" >p.c && cc -o prog p.c
'

test_expect_success '8 PMI ranks: one record, ntasks 8' '
	for r in 0 1 2 3 4 5 6 7; do
		PMI_RANK=$r PMI_SIZE=8 xalt_tracked ./prog || return 1
	done &&
	rec=$(xalt_one_record) &&
	jq -c "[.job.ntasks, .job.rank]" "$rec" >actual &&
	echo "[8,0]" >expect && test_cmp expect actual
'

test_expect_success 'Open MPI variables, in a Slurm job' '
	rm -rf "$XALT_FILE_PREFIX" &&
	for r in 0 1 2 3; do
		SLURM_JOB_ID=77 SLURM_JOB_NUM_NODES=2 OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=4 \
			xalt_tracked ./prog || return 1
	done &&
	rec=$(xalt_one_record) &&
	jq -c .job "$rec" >actual &&
	echo "{\"scheduler\":\"slurm\",\"id\":\"77\",\"ntasks\":4,\"nnodes\":2,\"rank\":0}" >expect &&
	test_cmp expect actual
'

test_expect_success 'a bad rank value is ignored, never fatal' '
	rm -rf "$XALT_FILE_PREFIX" &&
	PMI_RANK=x PMI_SIZE=8 xalt_tracked ./prog &&
	test "$(jq -r .job.rank "$(xalt_one_record)")" = 0
'

test_expect_success 'PBS and LSF job ids' '
	rm -rf "$XALT_FILE_PREFIX" &&
	PBS_JOBID=12.pbs xalt_tracked ./prog &&
	test "$(jq -r ".job.scheduler + \" \" + .job.id" "$(xalt_one_record)")" = "pbs 12.pbs" &&
	rm -rf "$XALT_FILE_PREFIX" &&
	LSB_JOBID=99 xalt_tracked ./prog &&
	test "$(jq -r ".job.scheduler + \" \" + .job.id" "$(xalt_one_record)")" = "lsf 99"
'

test_done
