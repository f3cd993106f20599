/*
 * Reading a run's spool back: the `pkgs` file's lines (docs/design.md,
 * "Spool line format"), filtered by the site's package rules and merged per
 * (program, name), and the record's package section built from them.
 *
 * One implementation for every reader: the preload library at exit and on a
 * fatal signal (src/preload/pkgs.c), and recovery of a run that died
 * without writing its record. So it is libc only, never allocates and never
 * locks: the file is read with read(2) into a bounded static buffer (a
 * mapping would raise SIGBUS when another process truncates the file), and
 * the strings of kept packages are copied into a static arena. The state is
 * static too: one read at a time per process, and each spool_read()
 * replaces what the last one gave.
 */
#ifndef XALT_SPOOL_READ_H
#define XALT_SPOOL_READ_H

#include "config.h"
#include "json-out.h"

#include <stddef.h>

#define SPOOL_READ_PKGS_MAX 4096     /* distinct packages per run; more are dropped */
#define SPOOL_READ_MAX_BYTES (64L << 20)   /* a larger pkgs file is read up to here */
#define SPOOL_READ_PROGS_MAX 8       /* programs whose M lines are remembered */

/* One package of the run: the merge of its P lines and its U lines. */
struct spool_pkg {
	const char *program;      /* "python", "R", ... (NUL-terminated, in the arena) */
	const char *name;         /* module or package name */
	const char *version;      /* "" when unknown */
	const char *path;         /* "" when unknown */
	const char *imported_by;  /* top-level package that first imported it, "" if none */
	long long import_us;      /* import times summed, microseconds */
	long functions_used;      /* the largest count of its U lines */
	signed char has_us;       /* some P line had an import time */
	signed char direct;       /* 1 yes, 0 no, -1 unknown */
	signed char startup;      /* 1 yes, 0 no, -1 unknown (the first P line's) */
	signed char used;         /* 1 when a U line names it */
	signed char listed;       /* a P line passed the filters: it is an entry */
};

/* The interpreter (the first I line). */
struct spool_interp {
	int known;                /* an I line was read */
	const char *program, *version, *kind, *prefix;   /* "" when empty */
};

/* What spool_read() found; all pointers are into the reader's static state. */
struct spool_read {
	struct spool_pkg *pkgs;   /* n entries, in the order first seen (listed or not) */
	size_t n;
	long dropped;             /* kept packages past SPOOL_READ_PKGS_MAX (or the arena) */
	struct spool_interp interp;
	const char *monitored[SPOOL_READ_PROGS_MAX];   /* programs with an M line */
	int nmonitored;
};

/*
 * Read <dir>/pkgs: P lines of exactly 6 or 9 fields that pass
 * filter_pkg(cfg), U and M lines, the first I line. Everything else (unknown
 * kinds, other field counts, a last line without its newline, lines longer
 * than 256 KiB) is skipped. Fills *out (valid until the next call). Returns 0,
 * or -1 with errno when the file cannot be opened or read (ENOENT: no hook
 * wrote anything); *out then holds what was read before the error.
 */
int spool_read(const char *dir, struct xalt_config *cfg, struct spool_read *out);

/*
 * The record's package section from s (docs/records.md): the "interpreter"
 * object when known, the "packages" array (listed entries only) and
 * "packages_dropped" when some were. s NULL: an empty "packages" array.
 * Errors are sticky in j.
 */
void spool_read_json(struct json_out *j, const struct spool_read *s);

/* Whether the run tracked usage for `program` (an M line): used/functions_used
 * are then false/0 rather than null for its packages without a U line. */
int spool_read_monitored(const struct spool_read *s, const char *program);

#endif
