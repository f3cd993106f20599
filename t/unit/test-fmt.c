/*
 * Unit tests of the formatter (src/common/fmt.c): numbers in decimal and
 * hex at their extremes, padding, hex bytes, and the overflow rule at every
 * buffer size around the exact fit: the first piece that does not fit ends
 * the output, fmt_end reports -1 with ENAMETOOLONG and leaves "", and the
 * buffer is never written past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Format with fn into a large buffer; the text. */
static const char *fmt_of(void (*fn)(struct fmt *, unsigned long long, int),
			  unsigned long long v, int width)
{
	static char buf[128];
	struct fmt f;

	fmt_init(&f, buf, sizeof(buf));
	fn(&f, v, width);
	assert_true(fmt_end(&f) >= 0);
	return buf;
}

static void test_decimal(void **state)
{
	char want[64];

	(void)state;
	assert_string_equal(fmt_of(fmt_dec, 0, 0), "0");
	assert_string_equal(fmt_of(fmt_dec, 7, 0), "7");
	assert_string_equal(fmt_of(fmt_dec, 10, 0), "10");
	assert_string_equal(fmt_of(fmt_dec, ULLONG_MAX, 0), "18446744073709551615");
	for (unsigned long long v = 1; v < ULLONG_MAX / 3; v = v * 3 + 1) {
		snprintf(want, sizeof(want), "%llu", v);
		assert_string_equal(fmt_of(fmt_dec, v, 0), want);
	}
	/* padding: at least `width` digits, never cut */
	assert_string_equal(fmt_of(fmt_dec, 0, 4), "0000");
	assert_string_equal(fmt_of(fmt_dec, 42, 6), "000042");
	assert_string_equal(fmt_of(fmt_dec, 12345, 2), "12345");
	/* widths past 64 digits are capped at 64 */
	assert_int_equal(strlen(fmt_of(fmt_dec, 5, 200)), 64);
	assert_int_equal(strspn(fmt_of(fmt_dec, 5, 200), "0"), 63);
}

static void test_signed(void **state)
{
	char buf[32];
	struct fmt f;
	static const long long cases[] = { 0, 1, -1, 42, -42, LLONG_MAX, LLONG_MIN };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "%lld", cases[i]);
		fmt_init(&f, buf, sizeof(buf));
		fmt_sdec(&f, cases[i]);
		assert_int_equal(fmt_end(&f), (long)strlen(want));
		assert_string_equal(buf, want);
	}
}

static void test_hex(void **state)
{
	static const unsigned char b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char buf[32];
	struct fmt f;

	(void)state;
	assert_string_equal(fmt_of(fmt_hex, 0, 0), "0");
	assert_string_equal(fmt_of(fmt_hex, 0xdeadbeef, 0), "deadbeef");
	assert_string_equal(fmt_of(fmt_hex, 0xab, 8), "000000ab");
	assert_string_equal(fmt_of(fmt_hex, ULLONG_MAX, 0), "ffffffffffffffff");
	assert_string_equal(fmt_of(fmt_hex, 0x1234, 2), "1234");
	fmt_init(&f, buf, sizeof(buf));
	fmt_hex_bytes(&f, b, sizeof(b));
	assert_int_equal(fmt_end(&f), 12);
	assert_string_equal(buf, "00017f80abff");
}

static void test_pieces(void **state)
{
	char buf[64];
	struct fmt f;

	(void)state;
	fmt_init(&f, buf, sizeof(buf));
	fmt_str(&f, "run.");
	fmt_dec(&f, 2026, 4);
	fmt_char(&f, 'T');
	fmt_mem(&f, "xyz", 2);
	fmt_str(&f, "");
	assert_int_equal(fmt_end(&f), 11);
	assert_string_equal(buf, "run.2026Txy");
}

/*
 * "/dir/" + 123 + ".json" (13 bytes) into every buffer size from 0 to 20,
 * each with a guard byte after it: below 14 bytes it must overflow (no room
 * for the NUL), from 14 on succeed; never write past `cap`.
 */
static void test_overflow_every_size(void **state)
{
	(void)state;
	for (size_t cap = 0; cap <= 20; cap++) {
		char buf[32];
		struct fmt f;
		long n;

		memset(buf, '#', sizeof(buf));
		fmt_init(&f, buf, cap);
		fmt_str(&f, "/dir/");
		fmt_dec(&f, 123, 0);
		fmt_str(&f, ".json");
		errno = 0;
		n = fmt_end(&f);
		if (cap < 14) {
			assert_int_equal(n, -1);
			assert_int_equal(errno, ENAMETOOLONG);
			assert_true(f.overflow);
			if (cap)
				assert_int_equal(buf[0], '\0');
		} else {
			assert_int_equal(n, 13);
			assert_string_equal(buf, "/dir/123.json");
		}
		for (size_t i = cap; i < sizeof(buf); i++)
			assert_int_equal(buf[i], '#');
	}
}

/* After an overflow, a piece that would fit is not written: no gaps. */
static void test_overflow_is_sticky(void **state)
{
	char buf[8];
	struct fmt f;

	(void)state;
	fmt_init(&f, buf, sizeof(buf));
	fmt_str(&f, "abc");
	fmt_str(&f, "defghij");    /* 10 > 7 */
	fmt_char(&f, 'x');         /* would fit, but the output is already cut */
	assert_int_equal(f.len, 3);
	assert_int_equal(fmt_end(&f), -1);
	assert_string_equal(buf, "");
	/* a number that does not fit overflows too */
	fmt_init(&f, buf, 4);
	fmt_dec(&f, 1234, 0);
	assert_int_equal(fmt_end(&f), -1);
	fmt_init(&f, buf, 5);
	fmt_dec(&f, 1234, 0);
	assert_int_equal(fmt_end(&f), 4);
}

static void test_join(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(fmt_join(buf, sizeof(buf), "/a", "/", "b"), 4);
	assert_string_equal(buf, "/a/b");
	/* the first piece may be the output itself: a path extended in place */
	assert_int_equal(fmt_join(buf, sizeof(buf), buf, ".tmp", ""), 8);
	assert_string_equal(buf, "/a/b.tmp");
	errno = 0;
	assert_int_equal(fmt_join(buf, sizeof(buf), buf, "0123456789", ""), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_join(buf, 5, "ab", "cd", ""), 4);
	assert_int_equal(fmt_join(buf, 4, "ab", "cd", ""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_overflow_every_size),
		cmocka_unit_test(test_overflow_is_sticky),
		cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
