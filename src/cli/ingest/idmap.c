/*
 * struct idmap implementation (see idmap.h): FNV-1a hashed open addressing,
 * kept at most half full so probes stay short.
 */
#include "idmap.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct idmap_entry {
	char *key;        /* owned copy, NULL for an empty slot */
	size_t len;       /* key length */
	uint64_t hash;    /* FNV-1a of the key */
	int64_t id;       /* the value */
};

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct idmap_entry *find(const struct idmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct idmap_entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && e->len == len && !memcmp(e->key, key, len)))
			return e;
	}
}

int64_t idmap_get(const struct idmap *m, const char *key, size_t len)
{
	struct idmap_entry *e;

	if (!m->cap)
		return -1;
	e = find(m, key, len, fnv1a(key, len));
	return e->key ? e->id : -1;
}

static void grow(struct idmap *m)
{
	struct idmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 256;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++) {
		struct idmap_entry *o = &old.slots[i];
		if (o->key)
			*find(m, o->key, o->len, o->hash) = *o;
	}
	free(old.slots);
}

void idmap_put(struct idmap *m, const char *key, size_t len, int64_t id)
{
	uint64_t h = fnv1a(key, len);
	struct idmap_entry *e;

	if (2 * (m->count + 1) > m->cap)
		grow(m);
	e = find(m, key, len, h);
	if (!e->key) {
		e->key = xmalloc(len + 1);
		memcpy(e->key, key, len);
		e->key[len] = '\0';
		e->len = len;
		e->hash = h;
		m->count++;
	}
	e->id = id;
}

void idmap_clear(struct idmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
