/*
 * The syslog chunk reassembler (see syslog-reassemble.h; line format in
 * src/common/syslog-format.h).
 *
 * Sections: parsing one chunk line; runs (an open-addressing hash table of
 * struct run by uuid and record CRC-32, each holding its chunks sorted by
 * index, so duplicates are found by binary search and in-order logs append
 * in O(1)); joining and verifying; feeding files; the end-of-input report.
 *
 * Why the record's CRC-32 is part of a run's key: anyone can send syslog
 * messages, and a run uuid is no secret once logged. Keyed by uuid alone, a
 * forged chunk sent first fixed the run's count, length and checksum, and
 * every real chunk was then dropped as conflicting: one line blocked a real
 * run. Keyed by (uuid, record CRC), the forgery is a run of its own, left
 * incomplete or loaded on its own merits (ingest then refuses the second
 * record of a uuid when it is not the same run: ingest.h).
 *
 * Limits come from the sender (SYSLOG_CHUNKS_MAX chunks) and from ingest
 * (a record above RECORD_MAX bytes is refused, like a file above 64 MiB),
 * so hostile input cannot make us allocate more than it contains, plus a
 * small constant per run.
 */
#include "syslog-reassemble.h"
#include "cli.h"
#include "crc32.h"
#include "syslog-format.h"
#include "xalt-env.h"
#include "xbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_MAX (64u << 20)    /* as cmd-ingest.c's RECORD_FILE_MAX */

/* ---- parsing one chunk line ------------------------------------------------ */

struct chunk {
	char uuid[XALT_UUID_LEN + 1];
	size_t idx, count;            /* 0 <= idx < count */
	uint32_t crc, rcrc;           /* of this piece, of the whole record */
	size_t rlen;                  /* bytes of the whole record */
	const char *data;             /* the piece (points into the line) */
	size_t len;
};

/* Read a decimal of at most 10 digits at *p followed by `end`; -1 if not. */
static int field_dec(const char **p, const char *lim, size_t *out)
{
	const char *s = *p;
	size_t v = 0;
	int n = 0;

	while (s < lim && *s >= '0' && *s <= '9' && n < 10) {
		v = v * 10 + (size_t)(*s++ - '0');
		n++;
	}
	if (!n || s >= lim || *s != ' ')
		return -1;
	*out = v;
	*p = s + 1;
	return 0;
}

static int field_hex32(const char **p, const char *lim, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;

	if (lim - s < 9 || s[8] != ' ')
		return -1;
	for (int i = 0; i < 8; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	*p = s + 9;
	return 0;
}

static int field_uuid(const char **p, const char *lim, char *out)
{
	const char *s = *p;

	if (lim - s < XALT_UUID_LEN + 1 || s[XALT_UUID_LEN] != ' ')
		return -1;
	for (int i = 0; i < XALT_UUID_LEN; i++) {
		char c = s[i];
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[XALT_UUID_LEN] = '\0';
	*p = s + XALT_UUID_LEN + 1;
	return 0;
}

/* 1: a chunk line parsed into c; 0: no marker; -1: marker but malformed. */
static int parse_chunk(const char *line, size_t len, struct chunk *c)
{
	static const char marker[] = SYSLOG_MARKER " ";
	const char *lim = line + len, *p;

	while (lim > line && (lim[-1] == '\n' || lim[-1] == '\r'))
		lim--;
	p = memmem(line, (size_t)(lim - line), marker, sizeof(marker) - 1);
	if (!p)
		return 0;
	p += sizeof(marker) - 1;
	if (field_uuid(&p, lim, c->uuid) || field_dec(&p, lim, &c->idx) ||
	    field_dec(&p, lim, &c->count) || field_hex32(&p, lim, &c->crc) ||
	    field_hex32(&p, lim, &c->rcrc) || field_dec(&p, lim, &c->rlen))
		return -1;
	c->data = p;
	c->len = (size_t)(lim - p);
	if (!c->count || c->count > SYSLOG_CHUNKS_MAX || c->idx >= c->count ||
	    !c->len || c->rlen > RECORD_MAX || c->count > c->rlen)
		return -1;
	return 1;
}

/* ---- runs --------------------------------------------------------------------- */

enum run_state { RUN_OPEN, RUN_PASSED, RUN_FAILED };

struct piece {
	size_t idx;
	char *data;
	size_t len;
};

struct run {
	char uuid[XALT_UUID_LEN + 1]; /* the key: uuid ... */
	uint32_t rcrc;                /* ... and the whole record's CRC-32 */
	enum run_state state;
	int params;                   /* count/rlen set by a good chunk */
	int bad;                      /* a chunk of this run failed its CRC */
	size_t count, rlen;
	struct piece *p;              /* sorted by idx, no duplicates */
	size_t np, ap;
	size_t bytes;                 /* sum of the pieces' lengths */
	char *origin;                 /* where the first chunk was seen */
};

struct syslog_reasm {
	struct run **slot;            /* hash table, open addressing */
	size_t nslot, nrun;
	syslog_reasm_record_fn done;
	void *ctx;
	struct syslog_reasm_stats st;
};

static size_t hash_key(const char *u, uint32_t rcrc)
{
	size_t h = 14695981039346656037u;

	for (; *u; u++)
		h = (h ^ (unsigned char)*u) * 1099511628211u;
	return (h ^ rcrc) * 1099511628211u;
}

static void grow_table(struct syslog_reasm *r)
{
	size_t n = r->nslot ? 2 * r->nslot : 1024;
	struct run **s = xcalloc(n, sizeof(*s));

	for (size_t i = 0; i < r->nslot; i++) {
		struct run *run = r->slot[i];
		if (!run)
			continue;
		size_t k = hash_key(run->uuid, run->rcrc) & (n - 1);
		while (s[k])
			k = (k + 1) & (n - 1);
		s[k] = run;
	}
	free(r->slot);
	r->slot = s;
	r->nslot = n;
}

/* The run of (uuid, rcrc), created (with origin) when new. Can't fail. */
static struct run *get_run(struct syslog_reasm *r, const char *uuid, uint32_t rcrc,
			   const char *origin)
{
	size_t k;

	if (2 * (r->nrun + 1) > r->nslot)
		grow_table(r);
	for (k = hash_key(uuid, rcrc) & (r->nslot - 1); r->slot[k]; k = (k + 1) & (r->nslot - 1))
		if (r->slot[k]->rcrc == rcrc && !strcmp(r->slot[k]->uuid, uuid))
			return r->slot[k];
	struct run *run = xcalloc(1, sizeof(*run));
	memcpy(run->uuid, uuid, sizeof(run->uuid));
	run->rcrc = rcrc;
	run->origin = xstrdup(origin);
	r->slot[k] = run;
	r->nrun++;
	return run;
}

static void drop_pieces(struct run *run)
{
	for (size_t i = 0; i < run->np; i++)
		free(run->p[i].data);
	free(run->p);
	run->p = NULL;
	run->np = run->ap = 0;
}

/* ---- joining and verifying ---------------------------------------------------- */

/* All chunks are here: join, check, pass on. 0, or -1 if the callback said stop. */
static int complete(struct syslog_reasm *r, struct run *run, const char *origin)
{
	struct xbuf text = XBUF_INIT;
	int rc = 0;

	xbuf_grow(&text, run->bytes);
	for (size_t i = 0; i < run->np; i++)
		xbuf_add(&text, run->p[i].data, run->p[i].len);
	drop_pieces(run);
	if (text.len != run->rlen || crc32_update(0, text.buf, text.len) != run->rcrc) {
		run->state = RUN_FAILED;
		r->st.corrupt++;
	} else {
		run->state = RUN_PASSED;
		r->st.complete++;
		rc = r->done ? r->done(r->ctx, run->uuid, text.buf, text.len, origin) : 0;
	}
	xbuf_release(&text);
	return rc;
}

/* Insert c into run (sorted by idx). 1 stored, 0 duplicate, -1 more text
 * than the record has (some chunk lies about its place: not stored). */
static int add_piece(struct run *run, const struct chunk *c)
{
	size_t lo = 0, hi = run->np;

	if (run->np && run->p[run->np - 1].idx < c->idx) {
		lo = run->np;      /* in order: the common case */
	} else {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (run->p[mid].idx < c->idx)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < run->np && run->p[lo].idx == c->idx)
			return 0;
	}
	if (run->bytes + c->len > run->rlen)
		return -1;
	if (run->np == run->ap) {
		run->ap = run->ap ? 2 * run->ap : 8;
		run->p = xrealloc(run->p, run->ap * sizeof(*run->p));
	}
	memmove(run->p + lo + 1, run->p + lo, (run->np - lo) * sizeof(*run->p));
	run->p[lo].idx = c->idx;
	run->p[lo].data = xmalloc(c->len);
	memcpy(run->p[lo].data, c->data, c->len);
	run->p[lo].len = c->len;
	run->np++;
	run->bytes += c->len;
	return 1;
}

int syslog_reasm_line(struct syslog_reasm *r, const char *line, size_t len,
		      const char *file, size_t lineno)
{
	struct chunk c;
	struct run *run;
	char origin[64 + 4096];
	int k;

	r->st.lines++;
	k = parse_chunk(line, len, &c);
	if (k == 0)
		return 0;
	r->st.chunks++;
	if (k < 0) {
		r->st.chunks_malformed++;
		return 0;
	}
	snprintf(origin, sizeof(origin), "syslog:%s:%zu", file, lineno);
	run = get_run(r, c.uuid, c.rcrc, origin);
	if (run->state != RUN_OPEN) {
		r->st.chunks_duplicate++;
		return 0;
	}
	if (crc32_update(0, c.data, c.len) != c.crc || c.len > c.rlen) {
		r->st.chunks_corrupt++;
		run->bad = 1;
		return 0;
	}
	if (!run->params) {
		run->params = 1;
		run->count = c.count;
		run->rlen = c.rlen;
	} else if (c.count != run->count || c.rlen != run->rlen) {
		r->st.chunks_conflict++;
		return 0;
	}
	switch (add_piece(run, &c)) {
	case 0:
		r->st.chunks_duplicate++;
		return 0;
	case -1:
		r->st.chunks_conflict++;
		run->bad = 1;
		return 0;
	}
	if (run->np == run->count)
		return complete(r, run, origin);
	return 0;
}

/* ---- feeding files -------------------------------------------------------------- */

int syslog_reasm_file(struct syslog_reasm *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	if (!f)
		return error_errno("cannot open '%s'", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (syslog_reasm_line(r, line, (size_t)n, path, ++lineno) < 0) {
			rc = -1;
			break;
		}
	}
	if (!rc && ferror(f))
		rc = error_errno("cannot read '%s'", path);
	free(line);
	fclose(f);
	return rc;
}

/* ---- the end-of-input report ------------------------------------------------------ */

struct syslog_reasm *syslog_reasm_new(syslog_reasm_record_fn done, void *ctx)
{
	struct syslog_reasm *r = xcalloc(1, sizeof(*r));

	r->done = done;
	r->ctx = ctx;
	return r;
}

void syslog_reasm_finish(struct syslog_reasm *r, syslog_reasm_lost_fn lost, void *ctx)
{
	for (size_t i = 0; i < r->nslot; i++) {
		struct run *run = r->slot[i];

		if (!run || run->state == RUN_PASSED)
			continue;
		if (run->state == RUN_OPEN) {
			if (run->bad)
				r->st.corrupt++;
			else
				r->st.incomplete++;
		}
		if (lost)
			lost(ctx, run->uuid, run->np, run->params ? run->count : 0,
			     run->bad || run->state == RUN_FAILED, run->origin);
		drop_pieces(run);
		run->state = RUN_FAILED;
		run->bad = 1;
	}
}

const struct syslog_reasm_stats *syslog_reasm_stats(const struct syslog_reasm *r)
{
	return &r->st;
}

void syslog_reasm_free(struct syslog_reasm *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nslot; i++) {
		if (!r->slot[i])
			continue;
		drop_pieces(r->slot[i]);
		free(r->slot[i]->origin);
		free(r->slot[i]);
	}
	free(r->slot);
	free(r);
}
