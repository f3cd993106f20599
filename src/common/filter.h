/*
 * Matching against the config's tables: first match wins. This is the one
 * implementation of the package filter semantics; the preload library (at
 * exit) and xalt_record_pkg both call it, and hooks do not filter.
 */
#ifndef XALT_FILTER_H
#define XALT_FILTER_H

#include "config.h"
#include "ere.h"

/*
 * Does pattern p match s? Its text is read on first use:
 * pure literals and ".*" are decided without a regex, and literals every
 * match must contain are checked before p is compiled into p->progs (on
 * first need). A regex that does not compile never matches. 1 match, 0 no
 * match. Never allocates.
 */
int filter_pattern_match(struct xalt_pattern *p, const char *s);

/*
 * Make p ready to match without compiling (the preload's exit path: the
 * compiler needs 7 KB of stack, a signal stack may be small): read its text
 * and compile it unless the text alone decides every string (a pure literal
 * such as "^OMP_NUM_THREADS$", or ".*"). 0 ok, -1 a regex that does not
 * compile (it never matches). Idempotent.
 */
int filter_pattern_prepare(struct xalt_pattern *p);

/*
 * What config check asks of each pattern (the one decision on what is
 * accepted): compile it, keeping the program if the matcher will need it,
 * and only checking it if its text decides every string. 0 ok, -1 with the
 * reason in *err (ere.h), the pattern then never matches.
 */
int filter_pattern_check(struct xalt_pattern *p, struct ere_error *err);

/* First matching action in t for s, or `dflt` when nothing matches. */
enum xalt_action filter_table(struct xalt_table *t, const char *s, enum xalt_action dflt);

/*
 * Keep this package? First pkg pattern whose program is `program` or "*" and
 * whose name/path regex matches decides; no match keeps. 1 keep, 0 skip.
 */
int filter_pkg(struct xalt_config *cfg, const char *program,
	       const char *name, const char *path);

/*
 * Forget the compiled regexes (cfg->progs): each pattern compiles again on
 * its next use. Nothing is freed (nothing was allocated). Can't fail.
 */
void filter_release(struct xalt_config *cfg);

#endif
