/*
 * A parsing arena for jansson: while a thread has one in use, every JSON
 * tree it parses is carved from the arena's chunks (no malloc and free per
 * value, key and hash table), and the whole arena is dropped at once when
 * its records are loaded.
 *
 * Why: with plain malloc and free, jansson's allocations were a quarter of
 * ingest time (perf, 10 k records). Used by the reading thread of `xalt
 * ingest` (reader.c), one arena per block of files.
 */
#ifndef XALT_ARENA_H
#define XALT_ARENA_H

struct arena_chunk;
struct arena {
	struct arena_chunk *head;   /* newest chunk, NULL when empty */
};

#define ARENA_INIT { NULL }

/*
 * Route jansson's allocations through this module and seed its hash
 * function. Must run before any thread parses; later calls do nothing.
 * This function can't fail.
 */
void arena_jansson_init(void);

/* Allocate this thread's JSON trees from a (NULL: plain malloc and free
 * again). The arena must outlive every tree parsed while it is in use. */
void arena_use(struct arena *a);

/* True while this thread allocates from an arena: the trees it parses now
 * die with the arena and must not be passed to json_decref. */
int arena_in_use(void);

/* Free every chunk of a; it is empty and reusable afterwards. No tree parsed
 * in it may be used any more. */
void arena_release(struct arena *a);

#endif
