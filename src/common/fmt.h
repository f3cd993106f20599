/*
 * Formatting without printf: decimal and hex numbers, strings and paths,
 * appended piece by piece into a caller's bounded buffer.
 *
 * The preload library builds file names, syslog headers, JSON numbers and
 * hashes on its exit and fatal-signal paths, where snprintf is not
 * async-signal-safe and malloc is forbidden; xalt_record_pkg and the CLI
 * share the same code. Before this file each of them had its own digit
 * loop, each with its own idea of what happens when the buffer is full.
 *
 * Here there is one answer: a `struct fmt` is a cursor over the buffer; the
 * first piece that does not fit sets `overflow`, nothing more is written
 * after it, and fmt_end says so. No malloc, no locale, no system call:
 * every function is async-signal-safe.
 */
#ifndef XALT_FMT_H
#define XALT_FMT_H

#include <stddef.h>

struct fmt {
	char *buf;        /* the caller's buffer */
	size_t cap;       /* its size, the final NUL included */
	size_t len;       /* bytes written so far (no NUL counted) */
	int overflow;     /* a piece did not fit: sticky, later pieces are dropped */
};

/* Start writing at buf (size cap; 0 makes fmt_end report an overflow). This function can't fail. */
void fmt_init(struct fmt *f, char *buf, size_t cap);

/* Append n bytes / a NUL-terminated string / one character. */
void fmt_mem(struct fmt *f, const void *s, size_t n);
void fmt_str(struct fmt *f, const char *s);
void fmt_char(struct fmt *f, char c);

/* v in decimal, zero-padded to at least `width` digits (0: no padding). */
void fmt_dec(struct fmt *f, unsigned long long v, int width);
/* v in decimal with a '-' when negative (LLONG_MIN included). */
void fmt_sdec(struct fmt *f, long long v);
/* v in lower-case hex, zero-padded to at least `width` digits (0: none). */
void fmt_hex(struct fmt *f, unsigned long long v, int width);
/* Each of the n bytes at b as two lower-case hex digits. */
void fmt_hex_bytes(struct fmt *f, const void *b, size_t n);

/*
 * Finish: NUL-terminate and return the length written. When something did
 * not fit, the buffer holds "" (when cap > 0) and the result is -1 with
 * errno ENAMETOOLONG (most callers build file names).
 */
long fmt_end(struct fmt *f);

/*
 * out = a + b + c in one call, e.g. fmt_join(path, cap, dir, "/", name).
 * Returns the length, or -1 with ENAMETOOLONG (out is then ""). `a` may be
 * out itself (a path extended in place); b and c must not point into out.
 */
long fmt_join(char *out, size_t cap, const char *a, const char *b, const char *c);

#endif
