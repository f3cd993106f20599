/*
 * Formatting into bounded buffers (see fmt.h). Digits are produced right
 * to left into a small stack array, then appended like any other piece, so
 * the overflow rule lives in one place: fmt_mem.
 */
#include "fmt.h"

#include <errno.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void fmt_init(struct fmt *f, char *buf, size_t cap)
{
	f->buf = buf;
	f->cap = cap;
	f->len = 0;
	f->overflow = cap == 0;   /* not even room for the NUL */
}

void fmt_mem(struct fmt *f, const void *s, size_t n)
{
	if (f->overflow)
		return;
	if (n > f->cap - 1 - f->len) {   /* room for the NUL is kept */
		f->overflow = 1;
		return;
	}
	/* memmove: fmt_join lets its first piece be the output buffer itself. */
	memmove(f->buf + f->len, s, n);
	f->len += n;
}

void fmt_str(struct fmt *f, const char *s)
{
	fmt_mem(f, s, strlen(s));
}

void fmt_char(struct fmt *f, char c)
{
	fmt_mem(f, &c, 1);
}

/* v in base 10 or 16, at least `width` digits (capped at 64). */
static void fmt_base(struct fmt *f, unsigned long long v, unsigned base, int width)
{
	char digits[64];
	size_t n = 0;

	if (width > (int)sizeof(digits))
		width = (int)sizeof(digits);
	do {
		digits[sizeof(digits) - ++n] = hex_digits[v % base];
		v /= base;
	} while (v);
	while ((int)n < width)
		digits[sizeof(digits) - ++n] = '0';
	fmt_mem(f, digits + sizeof(digits) - n, n);
}

void fmt_dec(struct fmt *f, unsigned long long v, int width)
{
	fmt_base(f, v, 10, width);
}

void fmt_sdec(struct fmt *f, long long v)
{
	if (v < 0) {
		fmt_char(f, '-');
		/* negate as unsigned: -LLONG_MIN overflows a long long */
		fmt_base(f, 0ULL - (unsigned long long)v, 10, 0);
	} else {
		fmt_base(f, (unsigned long long)v, 10, 0);
	}
}

void fmt_hex(struct fmt *f, unsigned long long v, int width)
{
	fmt_base(f, v, 16, width);
}

void fmt_hex_bytes(struct fmt *f, const void *b, size_t n)
{
	const unsigned char *p = b;

	for (size_t i = 0; i < n; i++) {
		char two[2] = { hex_digits[p[i] >> 4], hex_digits[p[i] & 15] };

		fmt_mem(f, two, 2);
	}
}

long fmt_end(struct fmt *f)
{
	if (f->overflow) {
		if (f->cap)
			f->buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	f->buf[f->len] = '\0';
	return (long)f->len;
}

long fmt_join(char *out, size_t cap, const char *a, const char *b, const char *c)
{
	struct fmt f;

	fmt_init(&f, out, cap);
	fmt_str(&f, a);
	fmt_str(&f, b);
	fmt_str(&f, c);
	return fmt_end(&f);
}
