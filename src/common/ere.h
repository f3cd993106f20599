/*
 * POSIX extended regular expressions for the site filters (docs/config.md,
 * "Regular expressions"): compiled into a caller's buffer and matched with
 * no malloc, no locks and no locale, in time linear in the subject. The
 * preload library matches the pkg and env tables at exit and from fatal
 * signal handlers, where glibc's regexec may allocate (its DFA states are
 * built lazily with malloc) and so deadlock a program that died inside
 * malloc.
 *
 * The dialect is glibc's regcomp(REG_EXTENDED|REG_NOSUB) with regexec in the
 * C locale, byte by byte: every pattern ere_compile accepts is accepted by
 * glibc and matches exactly the same strings (fuzz/fuzz-ere.c and
 * t/unit/test-ere.c check it against glibc). Back-references and patterns
 * whose program would exceed the limits below are rejected with a message.
 */
#ifndef XALT_ERE_H
#define XALT_ERE_H

#include <stddef.h>

#define ERE_MAX_INSNS 1024   /* instructions per program: "pattern too complex" above */
#define ERE_MAX_SETS  32     /* distinct bracket expressions (and \w \s ...) per pattern */
#define ERE_MAX_COUNT 255    /* largest count in {m}, {m,}, {m,n} */
#define ERE_MAX_DEPTH 32     /* groups nested in groups */

/*
 * The largest program ere_compile writes (a 38-byte head, 4 bytes an
 * instruction, 32 a set, rounded up to 8): a buffer this big never runs out.
 */
#define ERE_PROG_MAX (40 + 4 * ERE_MAX_INSNS + 32 * ERE_MAX_SETS)

/* A compiled program; it lives in the caller's buffer (see ere_compile). */
struct ere;

/* Why a pattern was rejected. */
struct ere_error {
	const char *msg;     /* lower case, no final stop: "unmatched '('" */
	size_t at;           /* byte offset in the pattern where it was found */
	int no_room;         /* 1 when only the buffer was too small (a bigger one may do) */
};

/*
 * Compile `pattern` into buf[0..cap) (buf aligned to 8 bytes). Returns the
 * bytes used, a multiple of 8 and at most ERE_PROG_MAX, so programs can be
 * laid one after another; the program starts at buf. On error returns -1,
 * fills *err and leaves buf's contents undefined. Never allocates; uses
 * about 2 KB of stack; async-signal-safe and thread-safe.
 */
long ere_compile(void *buf, size_t cap, const char *pattern, struct ere_error *err);

/*
 * Does the program match anywhere in the NUL-terminated string s (regexec
 * with REG_NOSUB: unanchored unless the pattern says ^ or $)? 1 yes, 0 no.
 * Time is linear in strlen(s) (a byte costs at most about ninsn * ninsn / 64
 * steps of the program), memory is 700 bytes of stack; the program is
 * only read, so any number of threads and signal handlers may match it at
 * once. This function can't fail.
 */
int ere_match(const struct ere *prog, const char *s);

#endif
