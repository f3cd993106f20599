/*
 * struct xbuf implementation (see xbuf.h): amortised doubling, NUL always
 * kept after the used bytes so buf can be passed to C string functions.
 */
#include "xbuf.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char xbuf_empty[1];

void xbuf_init(struct xbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = xbuf_empty;
	if (hint)
		xbuf_grow(sb, hint);
}

void xbuf_release(struct xbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	xbuf_init(sb, 0);
}

char *xbuf_detach(struct xbuf *sb, size_t *len)
{
	char *res;

	xbuf_grow(sb, 0);
	res = sb->buf;
	if (len)
		*len = sb->len;
	xbuf_init(sb, 0);
	return res;
}

void xbuf_grow(struct xbuf *sb, size_t extra)
{
	size_t need;

	if (sb->len + extra + 1 < sb->len)
		die("buffer size overflow");
	need = sb->len + extra + 1;
	if (sb->alloc && need <= sb->alloc)
		return;
	if (!sb->alloc) {
		size_t a = need < 64 ? 64 : need;
		sb->buf = xmalloc(a);
		sb->buf[0] = '\0';
		sb->alloc = a;
		return;
	}
	size_t a = sb->alloc * 2 > need ? sb->alloc * 2 : need;
	sb->buf = xrealloc(sb->buf, a);
	sb->alloc = a;
}

void xbuf_setlen(struct xbuf *sb, size_t len)
{
	if (!sb->alloc) {
		if (len)
			die("xbuf_setlen beyond an empty buffer");
		return;
	}
	if (len >= sb->alloc)
		die("xbuf_setlen beyond the allocation");
	sb->len = len;
	sb->buf[len] = '\0';
}

void xbuf_add(struct xbuf *sb, const void *data, size_t len)
{
	xbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void xbuf_addstr(struct xbuf *sb, const char *s)
{
	xbuf_add(sb, s, strlen(s));
}

void xbuf_addch(struct xbuf *sb, int c)
{
	xbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void xbuf_vaddf(struct xbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	xbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		die("vsnprintf failed");
	if ((size_t)n >= sb->alloc - sb->len) {
		xbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void xbuf_addf(struct xbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

int xbuf_read_fd(struct xbuf *sb, int fd)
{
	ssize_t n;

	for (;;) {
		xbuf_grow(sb, 8192);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		sb->len += (size_t)n;
	}
	sb->buf[sb->len] = '\0';
	return n < 0 ? -1 : 0;
}

int xbuf_read_file(struct xbuf *sb, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = xbuf_read_fd(sb, fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
