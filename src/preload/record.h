/*
 * Building the run record (schema xalt-run/1, docs/records.md) into a
 * json_out. Everything here is allocation-free; with `signal_safe` set it
 * also avoids the calls that take locks (dl_iterate_phdr), because it then
 * runs in a fatal-signal handler.
 */
#ifndef XALT_PRELOAD_RECORD_H
#define XALT_PRELOAD_RECORD_H

#include "json-out.h"
#include "run.h"

struct run_end {
	enum run_how how;         /* exit, signal, unknown or recovered */
	int status;               /* exit status (how == RUN_EXIT) */
	int sig;                  /* signal number (how == RUN_SIGNAL) */
	struct timespec end_rt;   /* CLOCK_REALTIME at the end */
	double run_time;          /* seconds, monotonic */
	double prob;              /* sampling probability applied */
	int signal_safe;          /* in a signal handler: no locks */
};

/* The whole record, one JSON object. Errors are sticky in j (json-out.h). */
void record_build(struct json_out *j, struct xalt_run *r, const struct run_end *e);

/*
 * The record's parts, in its order, as members of the open object: what is
 * known at start ("schema" .. "start_time"), the end ("end_time" ..
 * "sampling"), the context ("job" .. "libraries"); record_packages ends it.
 * The start note (note.c) keeps the first and the third as written at
 * start, so a recovered record (recover.c) is this same record.
 */
void record_start_half(struct json_out *j, struct xalt_run *r);
void record_end_half(struct json_out *j, struct xalt_run *r, const struct run_end *e);
void record_context(struct json_out *j, struct xalt_run *r, int signal_safe);

/* libs.c: the "libraries" array. */
void record_libraries(struct json_out *j, const char *self, int signal_safe);

/* pkgs.c: the "interpreter" object (when known) and the "packages" array. */
void record_packages(struct json_out *j, struct xalt_run *r);

/*
 * user.c: the user's name into out: $USER, $LOGNAME, else the name of `uid`
 * read directly from /etc/passwd (getpwuid would load NSS modules into the
 * user's process), else "uid<N>". Always NUL-terminated; can't fail.
 */
void record_user(char *out, size_t cap, unsigned uid);

#endif
