/*
 * Known library arrays: the ingest fast path for a record's "libraries".
 *
 * The libraries array is most of a record's bytes and objects (15-40
 * {"path": ...} objects), and runs of one program on one software stack
 * repeat it byte for byte. Once a record holding a given array text has been
 * parsed and validated in full, a later record with the same bytes at the
 * same place needs no second parse of them: ingest_parse (parse.c) hands
 * jansson the record with that array replaced by [] and takes the paths from
 * here. It saves the reading thread about 30 % of its instructions (bench/
 * RESULTS.md, "Ingest"), without which that thread would bound ingest.
 *
 * Why it is safe: the array is found by jscan_member (json-scan.h); every
 * byte outside it still goes through jansson. If jansson accepts the record
 * with [] in place of a known array, the record as written is valid too (a
 * valid value swapped for another), duplicate "libraries" keys are still
 * seen by jansson, and any rejection is recomputed on the original text, so
 * reasons and positions are unchanged (t/t3010, fuzz/fuzz-json-scan.c).
 *
 * The store is shared by all parsing threads (one lock per lookup) and
 * bounded (KNOWN_LIBS_MAX arrays of at most KNOWN_LIBS_TEXT_MAX bytes).
 */
#ifndef XALT_KNOWN_LIBS_H
#define XALT_KNOWN_LIBS_H

#include <stddef.h>

#define KNOWN_LIBS_MAX 4096               /* distinct arrays kept */
#define KNOWN_LIBS_TEXT_MAX (64u << 10)   /* longest array text kept */

struct known_libs {
	size_t n;                  /* number of paths */
	const char **libs;         /* the paths, in order (one allocation with them) */
};

/*
 * The text of the record's top-level "libraries" array, if it is short
 * enough to be kept: 1 with [*b, *e), else 0. This function can't fail.
 */
int known_libs_find(const char *text, size_t len, const char **b, const char **e);

/* The paths validated for the array text [b, b+len), or NULL. They stay
 * valid until known_libs_clear. */
const struct known_libs *known_libs_get(const char *b, size_t len);

/* Remember that the array text [b, b+len) holds these n validated paths
 * (copied). Does nothing when the text is known or the store is full.
 * Dies on allocation failure. */
void known_libs_put(const char *b, size_t len, const char *const *libs, size_t n);

/* Forget every array; no record parsed with one may be in use. */
void known_libs_clear(void);

#endif
