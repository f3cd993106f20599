/*
 * SHA-1 (FIPS 180-4), small and allocation-free, for the optional executable
 * hash (`sha1 = yes` in the config) and the keyed hashes of user names and
 * arguments (`hash_users`, `record_args = hash`). Not for security against a
 * determined attacker; XALT uses SHA-1 for identity, and so do we.
 */
#ifndef XALT_SHA1_H
#define XALT_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct sha1_ctx {
	uint32_t h[5];            /* chaining state */
	uint64_t len;             /* bytes hashed so far */
	unsigned char blk[64];    /* partial block */
	size_t n;                 /* bytes in blk */
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);
/* Finish and write the 20-byte digest; c must be re-initialised to reuse. */
void sha1_final(struct sha1_ctx *c, unsigned char out[20]);

#endif
