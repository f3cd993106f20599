/*
 * `xalt doctor`, shared between its three files: cmd-doctor.c (options,
 * the list of verdicts, text and JSON output), doctor-checks.c (the facts
 * and the checks of the library, config, spool, destination and syslog)
 * and doctor-selftest.c (tracked runs of a C program, Python and R).
 *
 * Every verdict about where things go comes from src/common/paths.h and
 * spool.h, the functions the preload library itself runs: doctor asks
 * them what they would do, in the environment it was started in.
 */
#ifndef XALT_CLI_DOCTOR_H
#define XALT_CLI_DOCTOR_H

#include "config.h"
#include "xbuf.h"

#include <limits.h>

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

/*
 * Record one verdict: `name` short and stable (monitoring keys on it),
 * `hint` what to do (NULL when ok), then the detail. Copies every string.
 * cmd-doctor.c. This function can't fail (xmalloc dies).
 */
__attribute__((format(printf, 4, 5)))
void doctor_verdict(enum doctor_status st, const char *name, const char *hint,
		    const char *fmt, ...);

/* What the checks found and the output prints. */
struct doctor_facts {
	char *const *envp;            /* the environment evaluated: doctor's own */
	const char *prefix;           /* this xalt's install prefix */
	char lib[PATH_MAX];           /* prefix/lib/libxalt_init.so */
	char config_path[PATH_MAX];   /* paths_config: XALT_CONFIG or prefix/etc/xalt.conf */
	int config_ok;                /* parsed without errors, readable by all */
	int lib_ok;                   /* the library is ours and loadable */
	struct xbuf config_errors;    /* "file:line: msg\n" each */
	char *config_text;            /* owned, cfg points into it */
	struct xalt_config cfg;       /* the config, or the defaults when it is not usable */
	const char *transmission;     /* paths_transmission */
	char destination[PATH_MAX];   /* the record dir (paths_record_dir), the file prefix
	                               * as written when it has none, or the syslog socket */
	int destination_errno;        /* paths_record_dir's errno, 0 when it gave a dir */
	const char *spool_base;       /* paths_spool_base; after the spool check the
	                               * base the spool really goes to (spool_used) */
	char spool_used[PATH_MAX];    /* that base, when the check found one */
};

/*
 * doctor-checks.c. gather fills f (reading the config is itself a check);
 * doctor_release frees what it holds. The checks each add verdicts.
 */
void doctor_gather(struct doctor_facts *f);
void doctor_release(struct doctor_facts *f);
void doctor_check_library(struct doctor_facts *f);
void doctor_check_spool(struct doctor_facts *f);
void doctor_check_destination(struct doctor_facts *f);
void doctor_check_syslog(struct doctor_facts *f);

/*
 * Can every user read `path`? Checks the file's other-read bit and the
 * other-search bit of each directory above it: a root-only file passes
 * root's own checks but turns tracking off for everyone else. Returns NULL
 * when readable, else the first offending path (a static buffer).
 */
const char *doctor_not_world_readable(const char *path);

/* doctor-selftest.c: the tracked self-tests (skipped when the config or
 * the library is not usable). */
void doctor_self_tests(struct doctor_facts *f);

#endif
