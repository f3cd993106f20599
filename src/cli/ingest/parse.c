/*
 * The parsing half of the record loader (see ingest.h): record text in,
 * validated struct run_rec out, with no database. It runs on the reading
 * thread of `xalt ingest`, so everything here is thread-safe: the JSON
 * trees go to the thread's arena (arena.h), and the only shared state is
 * the store of known library arrays (known-libs.h).
 */
#include "ingest.h"
#include "arena.h"
#include "cli.h"
#include "known-libs.h"
#include "validate.h"
#include "xbuf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct ingest_parsed {
	json_t *root;           /* the document (NULL when it did not parse) */
	struct run_rec r;       /* validated fields, borrowed from root */
	int rejected;           /* 1: why says what is wrong */
	int in_arena;           /* root was carved from an arena: never decref it */
	struct xbuf why;        /* reason for rejection */
};

/* Drop p's tree and record, keeping p itself. */
static void parsed_reset(struct ingest_parsed *p)
{
	run_rec_release(&p->r, p->in_arena);
	if (!p->in_arena)
		json_decref(p->root);
	p->root = NULL;
}

/* Parse text with the known array at [lb, le) replaced by []. 0 when the
 * record is valid, else -1 with p as it was (the caller parses the
 * original text, so a reason never depends on the fast path). */
static int parse_known(struct ingest_parsed *p, const char *text, size_t len,
		       const char *lb, const char *le, const struct known_libs *kl)
{
	size_t head = (size_t)(lb - text), tail = len - (size_t)(le - text);
	char *copy = xmalloc(head + 2 + tail);
	json_error_t jerr;

	memcpy(copy, text, head);
	memcpy(copy + head, "[]", 2);
	memcpy(copy + head + 2, le, tail);
	p->root = json_loadb(copy, head + 2 + tail, JSON_REJECT_DUPLICATES, &jerr);
	free(copy);
	if (p->root && !validate_run(p->root, &p->r, kl, &p->why))
		return 0;
	parsed_reset(p);
	xbuf_reset(&p->why);
	return -1;
}

struct ingest_parsed *ingest_parse(const char *text, size_t len)
{
	struct ingest_parsed *p = xcalloc(1, sizeof(*p));
	const struct known_libs *kl = NULL;
	const char *lb = NULL, *le = NULL;
	json_error_t jerr;
	int found;

	xbuf_init(&p->why, 0);
	p->in_arena = arena_in_use();
	found = known_libs_find(text, len, &lb, &le);
	if (found && (kl = known_libs_get(lb, (size_t)(le - lb))) &&
	    !parse_known(p, text, len, lb, le, kl))
		return p;
	/* jansson rejects invalid UTF-8, \u0000 and lone surrogates by default:
	 * what we store is valid UTF-8 without NULs on both engines. */
	p->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!p->root) {
		validate_reject(&p->why, "invalid JSON at line %d, column %d: %s",
				jerr.line, jerr.column, jerr.text);
		p->rejected = 1;
	} else if (validate_run(p->root, &p->r, NULL, &p->why)) {
		p->rejected = 1;
	} else if (found && !kl && p->r.nlibs) {
		known_libs_put(lb, (size_t)(le - lb), p->r.libs, p->r.nlibs);
	}
	return p;
}

const char *ingest_parsed_error(const struct ingest_parsed *p)
{
	return p->rejected ? p->why.buf : NULL;
}

struct run_rec *ingest_parsed_record(struct ingest_parsed *p)
{
	return p->rejected ? NULL : &p->r;
}

void ingest_parsed_free(struct ingest_parsed *p)
{
	if (!p)
		return;
	parsed_reset(p);
	xbuf_release(&p->why);
	free(p);
}
