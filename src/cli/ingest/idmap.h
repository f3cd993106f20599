/*
 * struct idmap: an in-memory map from a byte-string key to a database id.
 *
 * Ingest looks up the id of a user, host, executable, library or package for
 * every record; asking the database each time would cost a statement per
 * lookup (a round trip on PostgreSQL). Ids are stable once assigned, so the
 * map is only a cache: a miss falls back to the database.
 */
#ifndef XALT_IDMAP_H
#define XALT_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_entry;
struct idmap {
	struct idmap_entry *slots;  /* open addressing, linear probing */
	size_t cap;                 /* number of slots, a power of two (0: empty) */
	size_t count;               /* used slots */
};

#define IDMAP_INIT { NULL, 0, 0 }

/* Lookup: the id, or -1 when absent. This function can't fail. */
int64_t idmap_get(const struct idmap *m, const char *key, size_t len);
/* Insert or replace; copies the key. Dies on allocation failure. */
void idmap_put(struct idmap *m, const char *key, size_t len, int64_t id);
/* Free everything; the map is empty and reusable afterwards. */
void idmap_clear(struct idmap *m);

#endif
