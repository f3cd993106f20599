/*
 * Matching against the config's tables: first match wins. This is the one
 * implementation of the package filter semantics; the preload library (at
 * exit) and xalt_record_pkg both call it, and hooks do not filter.
 */
#ifndef XALT_FILTER_H
#define XALT_FILTER_H

#include "config.h"

/*
 * Does pattern p match s? Compiles p->re on first use (literal prefix checked
 * first). A regex that does not compile never matches. 1 match, 0 no match.
 */
int filter_pattern_match(struct xalt_pattern *p, const char *s);

/*
 * Length of the literal prefix of an ERE that starts with '^' (0: none), the
 * part filter_pattern_match checks with strncmp before compiling anything.
 * filter_pattern_match computes it itself (p->prefix_len is an output), so
 * callers need this only for tests and diagnostics. This function can't fail.
 */
size_t filter_prefix_len(const char *regex);

/* First matching action in t for s, or `dflt` when nothing matches. */
enum xalt_action filter_table(struct xalt_table *t, const char *s, enum xalt_action dflt);

/*
 * Keep this package? First pkg pattern whose program is `program` or "*" and
 * whose name/path regex matches decides; no match keeps. 1 keep, 0 skip.
 */
int filter_pkg(struct xalt_config *cfg, const char *program,
	       const char *name, const char *path);

/* Free compiled regexes (the CLI, valgrind-clean). */
void filter_release(struct xalt_config *cfg);

#endif
