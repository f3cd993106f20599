/*
 * RFC 4122 version 4 (random) UUIDs for run ids, from getrandom(2): no file
 * descriptor, no library, no malloc (libuuid would be a second library in
 * every user process).
 */
#ifndef XALT_UUID_H
#define XALT_UUID_H

#include <stddef.h>

/*
 * Write a fresh v4 UUID, 36 lower-case characters and a NUL, into out (at
 * least 37 bytes). Returns 0, or -1 if no randomness was available (out is
 * then still a valid-looking UUID built from the clock and pid, so callers
 * may go on; the contract is only that it is unlikely to collide).
 */
int uuid_v4(char out[37]);

/*
 * Fill buf with len random bytes (getrandom, non-blocking; EINTR retried as
 * sys.h says).
 * Returns 0, or -1 with errno.
 */
int uuid_random(void *buf, size_t len);

/*
 * Is s a well-formed UUID as uuid_v4 writes them: 36 characters, lower-case
 * hex digits with '-' at offsets 8, 13, 18 and 23, then the NUL? 1 or 0;
 * NULL is 0. For values a user's environment hands us (XALT_RUN_UUID).
 */
int uuid_valid(const char *s);

#endif
