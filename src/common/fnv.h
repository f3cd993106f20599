/*
 * FNV-1a, 64 bits: the one hash of short strings here, for open-addressing
 * tables and as a seed of last resort. Not a defence against chosen inputs,
 * and never a file format: values may change between versions.
 * Header-only, so the loop inlines where it is used (the preload library's
 * exit path included: no calls, no allocation).
 */
#ifndef XALT_FNV_H
#define XALT_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_BASIS 14695981039346656037ULL  /* the starting value */
#define FNV64_PRIME 1099511628211ULL

/* Hash n more bytes at p into h (start with FNV64_BASIS). */
static inline uint64_t fnv64_mem(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * FNV64_PRIME;
	return h;
}

/* Hash the bytes of the NUL-terminated s into h. */
static inline uint64_t fnv64_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * FNV64_PRIME;
	return h;
}

#endif
