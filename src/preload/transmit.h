/*
 * How a finished record leaves the process. A transmission is three calls:
 * open (prepare, before the record is built), flush (the json_out callback,
 * called with each full buffer and at the end) and finish (commit when ok,
 * discard otherwise). Each lives in its own transmit-<name>.c and is listed
 * in the table in transmit.c; all of them must be async-signal-safe and
 * allocation-free (they run in the fatal-signal handler).
 */
#ifndef XALT_PRELOAD_TRANSMIT_H
#define XALT_PRELOAD_TRANSMIT_H

#include <stddef.h>
#include <time.h>

struct xalt_run;

struct transmit_ops {
	const char *name;    /* as in the config's transmission = NAME */
	/* Prepare to send r's record (end_rt: the end time, for names). 0 or -1. */
	int (*open)(void **ctx, const struct xalt_run *r, const struct timespec *end_rt);
	/* Send len more bytes of the record. 0 or -1 (json_out then stops). */
	int (*flush)(void *ctx, const char *data, size_t len);
	/* ok: the record is complete, commit it; !ok: discard. 0 or -1. */
	int (*finish)(void *ctx, int ok);
};

/* The transmission called `name`, or NULL if this build has none by that name. */
const struct transmit_ops *transmit_lookup(const char *name);

extern const struct transmit_ops transmit_file_ops;   /* transmit-file.c */
extern const struct transmit_ops transmit_syslog_ops; /* transmit-syslog.c */

/*
 * transmit-file.c, exposed for tests: the record file name for a uuid and an
 * end time, "run.<YYYYmmddTHHMMSS.uuuuuuZ>.<uuid>.json". Returns its length,
 * or -1 if out (size cap) is too small.
 */
int transmit_file_name(char *out, size_t cap, const char *uuid, const struct timespec *t);

/*
 * transmit-file.c: the file transmission's open, for a directory already
 * resolved (a recovered record goes where its run's note says, not where
 * this process's environment would send it); then transmit_file_ops' flush
 * and finish. 0, or -1 with errno.
 */
int transmit_file_open_in(void **ctx, const char *dir, const char *uuid,
			  const struct timespec *end_rt);

#endif
