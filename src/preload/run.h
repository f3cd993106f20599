/*
 * The state of one tracked run, shared by the preload library's modules:
 * filled at start (start.c), read at exit (finish.c, record.c, pkgs.c).
 *
 * Everything is fixed-size plain data: the library never allocates on the
 * exit or signal path, so what the record needs from the start of the run is
 * copied here (command line, cwd, executable identity) and the config text
 * lives here too, because the parsed config points into it.
 */
#ifndef XALT_PRELOAD_RUN_H
#define XALT_PRELOAD_RUN_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "spool.h"

#define RUN_ARGS_MAX 16384        /* bytes of argv kept; later args are dropped */

/* How the run ended. */
enum run_how { RUN_EXIT = 0, RUN_SIGNAL = 1, RUN_UNKNOWN = 2, RUN_RECOVERED = 3 };

struct run_job {
	const char *scheduler;    /* "slurm", "pbs", "lsf" or NULL */
	const char *id;           /* job id (points into the environment) or NULL */
	long ntasks;              /* MPI/job task count; 1 when unknown */
	long nnodes;              /* 0 when unknown */
	long rank;                /* this task's rank; 0 when unknown */
};

struct xalt_run {
	/*
	 * Field order follows use: every exec with tracking on touches the
	 * first members, the config and its text; tracked runs the rest. Each
	 * page first touched costs a page fault of 1-3 us in this VM
	 * (bench/RESULTS.md), a visible part of the SKIP budget: a SKIP touches
	 * two pages here with the shipped config. The first holds these
	 * members, the config's settings and its patterns (the struct is page
	 * aligned because cfgtext is); cfgtext starts a page, so a config under
	 * 4 KB is read into one. xalt_dir is filled only once a SKIP is ruled
	 * out: until then `prefix` names the install prefix in place.
	 */
	int tracked;                  /* 1 once start decided to track */
	enum xalt_action track;       /* KEEP or PKGS */
	pid_t pid;                    /* the pid that ran the constructor */
	int forced;                   /* XALT_SAMPLING=no */
	int nargs;                    /* how many strings are in args */
	const char *program;          /* "python", "R" or NULL */
	long long exe_size, exe_mtime, exe_inode;
	struct timespec start_rt;     /* CLOCK_REALTIME at start */
	struct timespec start_mono;   /* CLOCK_MONOTONIC at start */
	struct run_job job;           /* batch job and MPI task info */
	char uuid[40];                /* run uuid, NUL-terminated */
	char parent_uuid[40];         /* the inherited XALT_RUN_UUID when well-formed, else "" */
	const char *prefix;           /* the install prefix: its first prefix_len bytes */
	size_t prefix_len;            /* (< PATH_MAX; init.c, from the loader's name of us) */
	struct xalt_config cfg;       /* parsed site config (points into cfgtext) */
	_Alignas(4096) char cfgtext[CONFIG_MAX_BYTES];
	char xalt_dir[PATH_MAX];      /* install prefix, NUL-terminated (see prefix) */
	/* tracked runs only */
	char self[PATH_MAX];          /* this library's file name (not a record library);
	                               * copied once tracked: one page less per SKIP */
	char exe[PATH_MAX];           /* resolved executable path */
	char cwd[PATH_MAX];           /* working directory at start ("" if unknown) */
	char spool[SPOOL_PATH_MAX];   /* PKGS: this run's spool dir ("" if none) */
	int packages_lost;            /* PKGS, but no spool could be made anywhere */
	char args[RUN_ARGS_MAX];      /* argv strings, NUL-separated */
};

/*
 * start.c: decide whether to track this run and prepare it. r->prefix and
 * r->prefix_len must be set by the caller (init.c, from dladdr), and r->self once tracked. `opted_out`: XALT_EXECUTABLE_TRACKING is
 * set but not "yes"; the run is then tracked only if the site's own config
 * ($XALT_DIR/etc/xalt.conf, never $XALT_CONFIG) says allow_opt_out = no.
 * Returns 1 when tracked (r filled, env set), 0 when not (nothing changed
 * but r). Never fails otherwise.
 */
int run_start(struct xalt_run *r, int opted_out, int argc, char **argv);

/*
 * finish.c: end a tracked run: sampling, the record, transmission, spool
 * removal. `status` is the exit status (RUN_EXIT), `sig` the signal
 * (RUN_SIGNAL). Async-signal-safe when `how` is RUN_SIGNAL. Returns 1 if a
 * record was sent, 0 if not sampled, -1 on failure (traced).
 */
int run_finish(struct xalt_run *r, enum run_how how, int status, int sig);

/* job.c: MPI rank / task count and batch job ids from the environment. */
void job_read(struct run_job *job);

/* sample.c: probability for a run time, from the table (no row: 1.0). */
double sample_probability(const struct xalt_config *cfg, double run_time);
/* Keep the run? `u` is a uniform random 64-bit number. */
int sample_keep(double prob, uint64_t u);

/* program.c: "python", "R" or NULL from an executable path. */
const char *program_kind(const char *exe);

#endif
