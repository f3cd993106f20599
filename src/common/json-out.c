/*
 * The hand JSON writer of the preload library (see json-out.h).
 *
 * Sections: byte output (put), the escaper (esc_one, next_piece,
 * json_escape), numbers (no printf: snprintf is not async-signal-safe and
 * this runs in the fatal signal handler), structure and values.
 *
 * Commas need no stack: a value written at a level sets need_comma; opening
 * a container clears it; closing one sets it again, because the container
 * just closed is itself a value of the enclosing level.
 */
#include "json-out.h"
#include "fmt.h"

#include <string.h>

/* ---- byte output --------------------------------------------------------- */

static void put(struct json_out *j, const char *s, size_t n)
{
	while (n && !j->err) {
		size_t room = j->cap - j->len;

		if (!room) {
			if (!j->flush || j->flush(j->ctx, j->buf, j->len) < 0) {
				j->err = 1;
				return;
			}
			j->len = 0;
			continue;
		}
		size_t k = n < room ? n : room;
		memcpy(j->buf + j->len, s, k);
		j->len += k;
		s += k;
		n -= k;
	}
}

static void putc_(struct json_out *j, char c)
{
	put(j, &c, 1);
}

void json_out_init(struct json_out *j, char *buf, size_t cap,
		   int (*flush)(void *ctx, const char *data, size_t len), void *ctx)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->flush = flush;
	j->ctx = ctx;
	j->err = cap == 0;
	j->need_comma = 0;
}

int json_out_finish(struct json_out *j)
{
	if (!j->err && j->len) {
		if (!j->flush || j->flush(j->ctx, j->buf, j->len) < 0)
			j->err = 1;
		else
			j->len = 0;
	}
	return j->err ? -1 : 0;
}

/* ---- the escaper ---------------------------------------------------------- */

/* Backslash, 'u' and 4 hex digits of v (< 0x10000) into out, no NUL (a
 * surrogate pair fills esc_one's 12 bytes exactly); returns 6. */
static size_t u_escape(char *out, unsigned v)
{
	char u[8];
	struct fmt f;

	fmt_init(&f, u, sizeof(u));
	fmt_str(&f, "\\u");
	fmt_hex(&f, v & 0xffff, 4);
	memcpy(out, u, 6);
	return 6;
}

static int cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* A byte that stands for itself in a JSON string. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * Escape the character at s (len > 0 bytes left; s[0] not plain: next_piece
 * copies those) into out (12 bytes), set *used to the input bytes consumed,
 * return the output length. '"' and '\\' get a backslash, controls their
 * short or \u form; a valid UTF-8 sequence (shortest form, no surrogates,
 * at most U+10FFFF) becomes one or two \u escapes; any other byte becomes
 * \u00XX on its own, and the scan restarts at the next byte.
 */
static size_t esc_one(const unsigned char *s, size_t len, size_t *used, char *out)
{
	unsigned c = s[0], cp;

	*used = 1;
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c < 0x80) {
		switch (c) {
		case '\n': memcpy(out, "\\n", 2); return 2;
		case '\t': memcpy(out, "\\t", 2); return 2;
		case '\r': memcpy(out, "\\r", 2); return 2;
		case '\b': memcpy(out, "\\b", 2); return 2;
		case '\f': memcpy(out, "\\f", 2); return 2;
		default: return u_escape(out, c);  /* other controls and DEL */
		}
	}
	if (c >= 0xc2 && c <= 0xdf && len >= 2 && cont(s[1])) {
		*used = 2;
		return u_escape(out, (c & 0x1f) << 6 | (s[1] & 0x3f));
	}
	if (c >= 0xe0 && c <= 0xef && len >= 3 && cont(s[1]) && cont(s[2]) &&
	    !(c == 0xe0 && s[1] < 0xa0) && !(c == 0xed && s[1] > 0x9f)) {
		*used = 3;
		return u_escape(out, (c & 0x0f) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3f));
	}
	if (c >= 0xf0 && c <= 0xf4 && len >= 4 && cont(s[1]) && cont(s[2]) && cont(s[3]) &&
	    !(c == 0xf0 && s[1] < 0x90) && !(c == 0xf4 && s[1] > 0x8f)) {
		*used = 4;
		cp = (c & 0x07) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3f);
		cp -= 0x10000;
		u_escape(out, 0xd800 | (cp >> 10));
		u_escape(out + 6, 0xdc00 | (cp & 0x3ff));
		return 12;
	}
	return u_escape(out, c);    /* invalid: the byte's Latin-1 reading */
}

/*
 * The next piece of an escaped string at p: a run of bytes that pass
 * through unchanged (copied at once: a call of esc_one per byte was most of
 * building a record), or one character escaped into tmp. Sets *from to the
 * piece and *used to the input bytes it covers; returns its length.
 */
static size_t next_piece(const unsigned char *p, size_t len, char tmp[12], const char **from,
			 size_t *used)
{
	size_t n = 0;

	while (n < len && plain(p[n]))
		n++;
	if (n) {
		*from = (const char *)p;
		*used = n;
		return n;
	}
	*from = tmp;
	return esc_one(p, len, used, tmp);
}

long json_escape(char *out, size_t cap, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (len) {
		char tmp[12];
		const char *from;
		size_t used, n = next_piece(p, len, tmp, &from, &used);

		if (n > cap - o)
			return -1;
		memcpy(out + o, from, n);
		o += n;
		p += used;
		len -= used;
	}
	return (long)o;
}

static void put_escaped(struct json_out *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	putc_(j, '"');
	while (len) {
		char tmp[12];
		const char *from;
		size_t used, n = next_piece(p, len, tmp, &from, &used);

		put(j, from, n);
		p += used;
		len -= used;
	}
	putc_(j, '"');
}

/* ---- structure and values ------------------------------------------------- */

/* The comma and "key": before a value. */
static void lead(struct json_out *j, const char *key)
{
	if (j->need_comma)
		putc_(j, ',');
	if (key) {
		put_escaped(j, key, strlen(key));
		putc_(j, ':');
	}
	j->need_comma = 1;
}

/* Open a container: its first member takes no comma. */
static void open_(struct json_out *j, const char *key, char c)
{
	lead(j, key);
	putc_(j, c);
	j->need_comma = 0;
}

/* Close a container: it is itself a value of its parent. */
static void close_(struct json_out *j, char c)
{
	putc_(j, c);
	j->need_comma = 1;
}

void json_out_begin_object(struct json_out *j, const char *key) { open_(j, key, '{'); }
void json_out_end_object(struct json_out *j) { close_(j, '}'); }
void json_out_begin_array(struct json_out *j, const char *key) { open_(j, key, '['); }
void json_out_end_array(struct json_out *j) { close_(j, ']'); }

void json_out_string_len(struct json_out *j, const char *key, const char *s, size_t len)
{
	lead(j, key);
	if (!s)
		put(j, "null", 4);
	else
		put_escaped(j, s, len);
}

void json_out_string(struct json_out *j, const char *key, const char *s)
{
	json_out_string_len(j, key, s, s ? strlen(s) : 0);
}

void json_out_int(struct json_out *j, const char *key, long long v)
{
	char buf[24];
	struct fmt f;

	lead(j, key);
	fmt_init(&f, buf, sizeof(buf));
	fmt_sdec(&f, v);
	put(j, buf, (size_t)fmt_end(&f));    /* fits: 20 digits and a sign */
}

/*
 * Fixed-point output with `decimals` (0..9) digits, rounded half up. Not a
 * number, infinities and magnitudes past 9e18 after scaling (never a time or
 * a probability) are written as null: JSON has no spelling for them.
 */
void json_out_double(struct json_out *j, const char *key, double v, int decimals)
{
	unsigned long long scale = 1, s;
	char buf[48];
	struct fmt f;
	int neg = v < 0;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	if (neg)
		v = -v;
	if (!(v == v) || v * (double)scale >= 9e18) {    /* NaN or too large */
		json_out_null(j, key);
		return;
	}
	s = (unsigned long long)(v * (double)scale + 0.5);
	lead(j, key);
	fmt_init(&f, buf, sizeof(buf));
	if (neg && s)
		fmt_char(&f, '-');
	fmt_dec(&f, s / scale, 0);
	if (decimals) {
		fmt_char(&f, '.');
		fmt_dec(&f, s % scale, decimals);
	}
	put(j, buf, (size_t)fmt_end(&f));    /* fits: 19 digits, '-', '.' */
}

void json_out_bool(struct json_out *j, const char *key, int v)
{
	lead(j, key);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void json_out_null(struct json_out *j, const char *key)
{
	lead(j, key);
	put(j, "null", 4);
}

void json_out_members(struct json_out *j, const char *members, size_t len)
{
	if (!len)
		return;
	lead(j, NULL);
	put(j, members, len);
}
