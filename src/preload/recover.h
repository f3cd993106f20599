/*
 * Runs that never reached their exit code (SIGKILL, the OOM killer, _exit)
 * become records from their spool (issue 10 item 2; docs/design.md "Exit
 * paths"): the start note written when the run started (note.c) and the
 * packages its hooks appended (pkgs.c's reader) make a record with
 * exit.how = "recovered", sent where the run would have sent it.
 *
 * Recovery is called by `xalt recover` (src/cli/cmd-recover.c, for a user,
 * or as root once per user after dropping to that user's rights) and by the
 * preload library at the end of a tracked run (finish.c). Everything here
 * is libc only and never allocates; it is never called on a signal path.
 */
#ifndef XALT_PRELOAD_RECOVER_H
#define XALT_PRELOAD_RECOVER_H

#include <stddef.h>
#include <sys/types.h>

struct xalt_run;

/*
 * note.c: write r's start note into its run dir (r->spool), for a PKGS run
 * or a run of more than one MPI task. 0, or -1 with errno (the run goes on;
 * its spool, without a note, can only age out: docs/design.md).
 */
int note_write(struct xalt_run *r);

/* What became of one run dir (recover_dir's answer). */
enum recover_verdict {
	RECOVER_ALIVE = 0,      /* its process is running (same pid, same start time) */
	RECOVER_FOREIGN,        /* noted in another pid namespace: never judged here */
	RECOVER_BUSY,           /* another recovery holds it */
	RECOVER_WOULD,          /* dry run: it would be recovered */
	RECOVER_DONE,           /* a record was sent and the dir removed */
	RECOVER_NOT_SAMPLED,    /* gone, but the sample table dropped it: dir removed */
	RECOVER_UNRECORDABLE,   /* gone, and no record can ever be made (no destination,
	                         * unknown transmission): dir removed */
	RECOVER_FAILED,         /* gone, the record could not be sent: dir left for next time */
	RECOVER_NO_NOTE,        /* no valid start note: left, until it ages out */
	RECOVER_AGED_OUT,       /* no valid note, unchanged for RECOVER_NOTELESS_AGE: removed */
	RECOVER_NOT_OURS,       /* not a run dir of this user (name, type, owner): untouched */
	RECOVER_NVERDICTS
};

/* A run dir without a valid note is removed when unchanged this long (s). */
#define RECOVER_NOTELESS_AGE (7L * 24 * 3600)

/* The verdict's word for reports and traces ("alive", "recovered", ...). */
const char *recover_verdict_word(enum recover_verdict v);

struct recover_opts {
	int dry_run;            /* judge only: change nothing, send nothing */
	int max_sends;          /* stop after this many records sent (0: no limit) */
	int max_looks;          /* stop after judging this many run dirs (0: no limit) */
	/* Called once per run dir judged (may be NULL); why: errno-ish detail. */
	void (*report)(void *ctx, const char *dir, const char *name,
		       enum recover_verdict v, const char *why);
	void *ctx;
};

/*
 * Recover the run dirs in the caller's own user dir (spool_user_dir_check
 * of `base` for getuid(); base NULL: this process's spool base), except
 * `skip` (a run dir name, may be NULL: the caller's own run). Counts per
 * verdict are added to counts[RECOVER_NVERDICTS] (may be NULL). Returns
 * the number of records sent, or -1 with errno when the user dir cannot
 * be read (ENOENT: there is none, nothing to do).
 */
int recover_user_dir(const char *base, const char *skip, const struct recover_opts *o,
		     long *counts);

/*
 * The preload library's share (finish.c, at the end of a run that had a run
 * dir, never on a signal path): recover the same user's dead runs in this
 * process's spool base, at most RECOVER_REAP_SENDS records after looking at
 * most at RECOVER_REAP_LOOKS run dirs (each live one costs a 128-byte read
 * and a /proc read), the rest left for the next run or `xalt recover`;
 * traced. Can't fail.
 */
#define RECOVER_REAP_SENDS 4
#define RECOVER_REAP_LOOKS 64
void recover_reap(void);

#endif
