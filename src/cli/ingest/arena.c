/*
 * The jansson parsing arena (see arena.h): jansson's malloc bumps a pointer
 * in the current thread's arena, its free does nothing there; without an
 * arena both are plain malloc and free.
 */
#include "arena.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

#define CHUNK_SIZE (1u << 20)   /* a block of 256 records fills a few chunks */

struct arena_chunk {
	struct arena_chunk *next;  /* older chunk */
	size_t used, size;         /* bytes used / available in data */
	max_align_t data[];
};

static __thread struct arena *cur_arena;

/* jansson's malloc: NULL when out of memory (jansson reports it). */
static void *arena_alloc(size_t n)
{
	struct arena *a = cur_arena;
	struct arena_chunk *c;

	if (!a)
		return malloc(n);
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		if (!(c = malloc(sizeof(*c) + size)))
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return (char *)c->data + c->used - n;
}

/* jansson's free: the arena frees its memory all at once. */
static void arena_free(void *p)
{
	if (!cur_arena)
		free(p);
}

void arena_jansson_init(void)
{
	static int done;

	if (done++)
		return;
	json_set_alloc_funcs(arena_alloc, arena_free);
	json_object_seed(0);    /* before any thread creates an object (jansson docs) */
}

void arena_use(struct arena *a)
{
	cur_arena = a;
}

int arena_in_use(void)
{
	return cur_arena != NULL;
}

void arena_release(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
}
