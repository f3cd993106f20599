/*
 * Unit tests of visible_add (src/cli/visible.c): each class of byte it must
 * escape, each it must keep, and UTF-8 sequences at the edges of
 * well-formedness (overlong forms, surrogates, above U+10FFFF, truncated).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "visible.h"
#include "xbuf.h"

#include <string.h>

/* visible_add of the n bytes at in must give exactly want. */
static void check(const char *in, size_t n, const char *want)
{
	struct xbuf sb = XBUF_INIT;

	visible_add(&sb, in, n);
	assert_string_equal(sb.buf, want);
	xbuf_release(&sb);
}
#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void test_plain_and_utf8_kept(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("numpy-1.24 (x) ~/a b", "numpy-1.24 (x) ~/a b");
	CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK("\xc2\xa0nbsp", "\xc2\xa0nbsp");      /* U+00A0: after C1, kept */
	assert_true(visible_is_plain("numpy"));
	assert_false(visible_is_plain("caf\xc3\xa9"));
	assert_false(visible_is_plain("a\\b"));
	assert_false(visible_is_plain("\x1b"));
}

static void test_c0_del_backslash(void **state)
{
	(void)state;
	CHECK("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07");
	CHECK("\x1b[2J", "\\x1b[2J");
	CHECK("a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd");
	CHECK("nul\0x", "nul\\x00x");
	CHECK("del\x7f", "del\\x7f");
	CHECK("back\\slash", "back\\\\slash");
}

static void test_c1_and_bidi(void **state)
{
	(void)state;
	CHECK("\xc2\x80", "\\u0080");
	CHECK("csi\xc2\x9b" "31m", "csi\\u009b31m");
	CHECK("\xc2\x9f", "\\u009f");
	CHECK("rtl\xe2\x80\xae" "gnp.exe", "rtl\\u202egnp.exe");
	CHECK("\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069");
	CHECK("\xe2\x80\xa8", "\\u2028");
	CHECK("\xe2\x80\x8e", "\\u200e");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	CHECK("inv\xff" "alid", "inv\\xffalid");
	CHECK("\x9b", "\\x9b");                          /* a lone C1 byte (Latin-1 CSI) */
	CHECK("\xc0\xaf", "\\xc0\\xaf");                 /* overlong '/' */
	CHECK("\xe0\x80\xaf", "\\xe0\\x80\\xaf");        /* overlong, 3 bytes */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");        /* a surrogate */
	CHECK("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	CHECK("cut\xe2\x82", "cut\\xe2\\x82");           /* truncated at the end */
	CHECK("\xc3" "A", "\\xc3A");                     /* a lead byte without its tail */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_utf8_kept),
		cmocka_unit_test(test_c0_del_backslash),
		cmocka_unit_test(test_c1_and_bidi),
		cmocka_unit_test(test_invalid_utf8),
	};
	return cmocka_run_group_tests_name("visible", tests, NULL, NULL);
}
