/*
 * Visible escapes for untrusted text (see visible.h): a small UTF-8 decoder
 * that accepts exactly the well-formed sequences of RFC 3629 (no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
#include "visible.h"
#include "xbuf.h"

#include <stdint.h>

/* Length of the well-formed UTF-8 sequence at s (at most len bytes) and its
 * code point in *cp; 0 when s does not start one. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Code points shown as \uXXXX although valid: C1 controls, and those that
 * reorder or break what a terminal shows (Trojan Source, CVE-2021-42574). */
static int hidden_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static const char hex[] = "0123456789abcdef";

void visible_add(struct xbuf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			i++;
			continue;
		}
		n = c < 0x80 ? 0 : utf8_seq(s + i, len - i, &cp);
		if (n && !hidden_cp(cp)) {
			i += n;
			continue;
		}
		xbuf_add(out, s + start, i - start);
		if (c == '\\') {
			xbuf_add(out, "\\\\", 2);
		} else if (n) {
			char u[6] = { '\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15],
				      hex[cp >> 4 & 15], hex[cp & 15] };
			xbuf_add(out, u, 6);
		} else {
			char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			xbuf_add(out, x, 4);
		}
		i += n ? n : 1;
		start = i;
	}
	xbuf_add(out, s + start, len - start);
}

int visible_is_plain(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f || *s == '\\')
			return 0;
	return 1;
}
