/*
 * Fuzz target: visible_add (src/cli/visible.c), the escaping of untrusted
 * text for terminals and spreadsheets.
 *
 * For any bytes, the output
 * - holds no byte a terminal acts on: every ASCII byte is printable, and
 *   every other byte belongs to a well-formed UTF-8 sequence that is not a
 *   C1, bidi or separator control (checked by a decoder written here, not
 *   the one under test);
 * - gives the input back exactly when its escapes are undone (\\, \xHH,
 *   \uXXXX), so no two names are shown alike;
 * - equals the input when visible_is_plain says the input needs nothing.
 */
#include "fuzz.h"
#include "visible.h"
#include "xbuf.h"

/* The code point of the well-formed UTF-8 sequence at s, its length in *n;
 * -1 if none (an oracle: the long way round, from RFC 3629's table). */
static long decode(const unsigned char *s, size_t len, size_t *n)
{
	long cp;

	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	*n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (!*n || *n > len || s[0] > 0xf4)
		return -1;
	cp = s[0] & (0x7f >> *n);
	for (size_t i = 1; i < *n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((*n == 2 && cp < 0x80) || (*n == 3 && cp < 0x800) || (*n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return cp;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo the escapes of out into back; -1 on an escape visible_add never writes. */
static int unescape(const char *out, size_t len, struct xbuf *back)
{
	for (size_t i = 0; i < len; i++) {
		if (out[i] != '\\') {
			xbuf_addch(back, out[i]);
		} else if (i + 1 < len && out[i + 1] == '\\') {
			xbuf_addch(back, '\\');
			i++;
		} else if (i + 3 < len && out[i + 1] == 'x' && hexval(out[i + 2]) >= 0 &&
			   hexval(out[i + 3]) >= 0) {
			xbuf_addch(back, hexval(out[i + 2]) << 4 | hexval(out[i + 3]));
			i += 3;
		} else if (i + 5 < len && out[i + 1] == 'u') {
			long cp = 0;
			for (int k = 2; k < 6; k++) {
				if (hexval(out[i + k]) < 0)
					return -1;
				cp = cp << 4 | hexval(out[i + k]);
			}
			if (cp < 0x80 || cp >= 0x10000)
				return -1;
			if (cp < 0x800) {
				xbuf_addch(back, 0xc0 | (int)(cp >> 6));
			} else {
				xbuf_addch(back, 0xe0 | (int)(cp >> 12));
				xbuf_addch(back, 0x80 | (int)(cp >> 6 & 0x3f));
			}
			xbuf_addch(back, 0x80 | (int)(cp & 0x3f));
			i += 5;
		} else {
			return -1;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xbuf out = XBUF_INIT, back = XBUF_INIT, in = XBUF_INIT;
	const unsigned char *o;

	visible_add(&out, (const char *)data, size);
	o = (const unsigned char *)out.buf;
	for (size_t i = 0, n; i < out.len; i += n) {
		long cp = decode(o + i, out.len - i, &n);
		FUZZ_CHECK(cp >= 0);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f));
		FUZZ_CHECK(cp != 0x200e && cp != 0x200f && !(cp >= 0x2028 && cp <= 0x202e) &&
			   !(cp >= 0x2066 && cp <= 0x2069));
	}
	FUZZ_CHECK(unescape(out.buf, out.len, &back) == 0);
	FUZZ_CHECK(back.len == size && !memcmp(back.buf, data, size));
	xbuf_add(&in, data, size);
	if (strlen(in.buf) == size && visible_is_plain(in.buf))
		FUZZ_CHECK(out.len == size && !memcmp(out.buf, data, size));
	xbuf_release(&out);
	xbuf_release(&back);
	xbuf_release(&in);
	return 0;
}
