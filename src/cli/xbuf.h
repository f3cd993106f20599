/*
 * struct xbuf: a growable byte buffer, after git's strbuf.
 *
 * `buf` is never NULL and always NUL-terminated; XBUF_INIT allocates nothing.
 * Growth dies on allocation failure (CLI only). xbuf_release frees and resets;
 * xbuf_detach hands the memory to the caller.
 */
#ifndef XALT_XBUF_H
#define XALT_XBUF_H

#include <stdarg.h>
#include <stddef.h>

struct xbuf {
	size_t alloc;   /* allocated bytes (0: buf points to the shared empty string) */
	size_t len;     /* used bytes, excluding the NUL */
	char *buf;      /* never NULL */
};

extern char xbuf_empty[];
#define XBUF_INIT { 0, 0, xbuf_empty }

void xbuf_init(struct xbuf *sb, size_t hint);
void xbuf_release(struct xbuf *sb);
char *xbuf_detach(struct xbuf *sb, size_t *len);
void xbuf_grow(struct xbuf *sb, size_t extra);
void xbuf_setlen(struct xbuf *sb, size_t len);
static inline void xbuf_reset(struct xbuf *sb) { xbuf_setlen(sb, 0); }
void xbuf_add(struct xbuf *sb, const void *data, size_t len);
void xbuf_addstr(struct xbuf *sb, const char *s);
void xbuf_addch(struct xbuf *sb, int c);
__attribute__((format(printf, 2, 3))) void xbuf_addf(struct xbuf *sb, const char *fmt, ...);
void xbuf_vaddf(struct xbuf *sb, const char *fmt, va_list ap);
/* Read the whole file at path; returns 0 or -1 with errno (contents appended). */
int xbuf_read_file(struct xbuf *sb, const char *path);
/* The same from an open descriptor, read to its end (not closed). */
int xbuf_read_fd(struct xbuf *sb, int fd);

#endif
