/*
 * Batch job and MPI task information from the environment (read at start:
 * the decision "only rank 0 of a multi-task run records" is made there, so
 * ranks 1..N-1 cost no more than a SKIP).
 *
 * Rank and size come from the first variable present, in this order: PMI
 * (MPICH, Intel MPI, srun --mpi=pmi2), Open MPI, PMIx, MVAPICH2, then
 * Slurm's own task variables. Values that are not plain non-negative
 * integers are ignored (xalt-env.h: a bad value is never fatal).
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>

static long env_long(const char *name)
{
	const char *v = getenv(name);
	long n = 0;

	if (!v || !*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > 100000000L)
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n;
}

static long first_long(const char *const *names)
{
	for (; *names; names++) {
		long v = env_long(*names);

		if (v >= 0)
			return v;
	}
	return -1;
}

void job_read(struct run_job *job)
{
	static const char *const rank_vars[] = {
		"PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK",
		"SLURM_PROCID", NULL,
	};
	static const char *const size_vars[] = {
		"PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE",
		"SLURM_NTASKS", "SLURM_NPROCS", NULL,
	};
	static const char *const node_vars[] = {
		"SLURM_JOB_NUM_NODES", "SLURM_NNODES", "PBS_NUM_NODES", NULL,
	};
	long v;

	job->scheduler = NULL;
	job->id = NULL;
	if ((job->id = getenv("SLURM_JOB_ID")) || (job->id = getenv("SLURM_JOBID")))
		job->scheduler = "slurm";
	else if ((job->id = getenv("PBS_JOBID")))
		job->scheduler = "pbs";
	else if ((job->id = getenv("LSB_JOBID")))
		job->scheduler = "lsf";
	v = first_long(rank_vars);
	job->rank = v < 0 ? 0 : v;
	v = first_long(size_vars);
	job->ntasks = v < 1 ? 1 : v;
	v = first_long(node_vars);
	job->nnodes = v < 0 ? 0 : v;
}
