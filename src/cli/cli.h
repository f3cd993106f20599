/*
 * Shared declarations of the `xalt` command-line tool: exit codes, error
 * reporting (usage.c), and one entry point per subcommand (cmd-<name>.c).
 *
 * The CLI runs outside user programs, so it may allocate (xmalloc dies on
 * failure), link jansson, sqlite3 and libpq, and exit.
 */
#ifndef XALT_CLI_H
#define XALT_CLI_H

#include <stdarg.h>
#include <stddef.h>

/* Exit codes, documented in every --help. */
enum xalt_exit {
	XALT_EXIT_OK = 0,       /* success */
	XALT_EXIT_FAILURE = 1,  /* the work failed (or a check found a problem) */
	XALT_EXIT_USAGE = 2,    /* bad command line */
};

/* usage.c: messages go to stderr as "fatal: ...", "error: ...", "warning: ..." */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int error(const char *fmt, ...);       /* returns -1 */
__attribute__((format(printf, 1, 2))) int error_errno(const char *fmt, ...); /* returns -1 */
__attribute__((format(printf, 1, 2))) void warning(const char *fmt, ...);
/* One error line plus the short usage on stderr; exits XALT_EXIT_USAGE. */
__attribute__((noreturn, format(printf, 2, 3))) void usage_error(const char *usage, const char *fmt, ...);
/* --verbose and XALT_TRACING=yes: "xalt: ..." lines on stderr. */
extern int cli_verbose;
__attribute__((format(printf, 1, 2))) void cli_trace(const char *fmt, ...);

/* Allocation that dies on failure (CLI only). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* The install prefix this `xalt` belongs to: dirname(dirname(/proc/self/exe)). */
const char *cli_prefix(void);

/* Subcommands: argv[0] is the subcommand name; return an enum xalt_exit. */
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_run(int argc, char **argv);      /* cmd-run.c */
int cmd_config(int argc, char **argv);   /* cmd-config.c */
int cmd_ingest(int argc, char **argv);   /* cmd-ingest.c */
int cmd_db(int argc, char **argv);       /* cmd-db.c */
int cmd_report(int argc, char **argv);   /* cmd-report.c */
int cmd_doctor(int argc, char **argv);     /* cmd-doctor.c */
int cmd_recover(int argc, char **argv);    /* cmd-recover.c */

#endif
