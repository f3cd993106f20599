/*
 * Unit tests of the hand JSON writer (src/common/json-out.c): every output is
 * parsed back with jansson, so "valid JSON" means what the ingest side will
 * see. Cases: quotes and backslashes, every control byte, valid 2/3/4-byte
 * UTF-8 (surrogate pairs), invalid sequences (overlong, surrogates, truncated,
 * stray continuation, > U+10FFFF), the pure-ASCII promise, buffer overflow
 * through flushes, flush failure stickiness, numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json-out.h"

#include <jansson.h>
#include <string.h>

struct sink {
	char data[65536];    /* everything flushed so far */
	size_t len;
	int fail_after;      /* fail the n-th flush (1-based); 0 never */
	int flushes;
};

static int sink_flush(void *ctx, const char *d, size_t n)
{
	struct sink *s = ctx;

	s->flushes++;
	if (s->fail_after && s->flushes >= s->fail_after)
		return -1;
	if (s->len + n >= sizeof(s->data))
		return -1;
	memcpy(s->data + s->len, d, n);
	s->len += n;
	s->data[s->len] = '\0';
	return 0;
}

/* Write {"k": <bytes>} through a buffer of `cap` bytes and parse it back. */
static json_t *roundtrip(const char *bytes, size_t n, size_t cap, struct sink *s)
{
	char buf[4096];
	struct json_out j;
	json_error_t err;

	memset(s, 0, sizeof(*s));
	json_out_init(&j, buf, cap, sink_flush, s);
	json_out_begin_object(&j, NULL);
	json_out_string_len(&j, "k", bytes, n);
	json_out_end_object(&j);
	assert_int_equal(json_out_finish(&j), 0);
	for (size_t i = 0; i < s->len; i++)
		assert_true((unsigned char)s->data[i] >= 0x20 && (unsigned char)s->data[i] < 0x7f);
	json_t *v = json_loads(s->data, JSON_ALLOW_NUL, &err);
	if (!v)
		fail_msg("jansson rejected '%s': %s", s->data, err.text);
	return v;
}

/* The decoded string must equal `want` (UTF-8). */
static void check_decoded(const char *in, size_t n, const char *want, size_t wn)
{
	struct sink s;
	json_t *v = roundtrip(in, n, 4096, &s);
	json_t *k = json_object_get(v, "k");

	assert_non_null(k);
	assert_int_equal(json_string_length(k), wn);
	assert_memory_equal(json_string_value(k), want, wn);
	json_decref(v);
}

static void test_quotes_backslash(void **state)
{
	(void)state;
	check_decoded("a\"b\\c/d", 7, "a\"b\\c/d", 7);
}

static void test_control_bytes(void **state)
{
	char in[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		in[i] = (char)i;
	check_decoded(in, 32, in, 32);     /* NUL included: jansson decodes \u0000 */
	check_decoded("\x7f", 1, "\x7f", 1);
}

static void test_escape_spelling(void **state)
{
	char out[64];
	long n;

	(void)state;
	n = json_escape(out, sizeof(out), "\n\t\"\\\x01\xc3\xa9", 7);
	assert_int_equal(n, (long)strlen("\\n\\t\\\"\\\\\\u0001\\u00e9"));
	assert_memory_equal(out, "\\n\\t\\\"\\\\\\u0001\\u00e9", (size_t)n);
}

static void test_valid_utf8(void **state)
{
	(void)state;
	check_decoded("\xc3\xa9", 2, "\xc3\xa9", 2);                   /* é */
	check_decoded("\xe2\x82\xac", 3, "\xe2\x82\xac", 3);           /* € */
	check_decoded("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", 4);   /* U+1F600 */
	check_decoded("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf", 4);   /* U+10FFFF */
}

static void test_surrogate_pair_spelling(void **state)
{
	char out[64];
	long n;

	(void)state;
	n = json_escape(out, sizeof(out), "\xf0\x9f\x98\x80", 4);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "\\ud83d\\ude00", 12);
}

/* Invalid bytes come back as their Latin-1 reading, one code point each. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	check_decoded("\xff", 1, "\xc3\xbf", 2);
	check_decoded("\x80", 1, "\xc2\x80", 2);                         /* stray continuation */
	check_decoded("\xc0\xaf", 2, "\xc3\x80\xc2\xaf", 4);             /* overlong '/' */
	check_decoded("\xed\xa0\x80", 3, "\xc3\xad\xc2\xa0\xc2\x80", 6); /* surrogate D800 */
	check_decoded("\xe2\x82", 2, "\xc3\xa2\xc2\x82", 4);             /* truncated */
	check_decoded("\xf5\x80\x80\x80", 4,
		      "\xc3\xb5\xc2\x80\xc2\x80\xc2\x80", 8);            /* > U+10FFFF */
	check_decoded("a\xe2\x82" "b", 4, "a\xc3\xa2\xc2\x82" "b", 6);    /* resync */
}

static void test_escape_overflow(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(json_escape(out, sizeof(out), "abcdefgh", 8), 8);
	assert_int_equal(json_escape(out, sizeof(out), "abcdefghi", 9), -1);
	assert_int_equal(json_escape(out, 5, "\x01", 1), -1);   /* needs 6 */
}

/* A buffer smaller than one value: output goes through many flushes. */
static void test_small_buffer(void **state)
{
	struct sink s;
	char big[3000];

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 200 + 1);
	json_t *v = roundtrip(big, sizeof(big), 7, &s);
	assert_true(s.flushes > 100);
	json_decref(v);
}

static void test_flush_failure_sticky(void **state)
{
	struct sink s;
	char buf[8];
	struct json_out j;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.fail_after = 2;
	json_out_init(&j, buf, sizeof(buf), sink_flush, &s);
	json_out_begin_object(&j, NULL);
	json_out_string(&j, "key", "a long enough value to flush twice");
	int before = s.flushes;
	json_out_string(&j, "more", "values");
	json_out_end_object(&j);
	assert_int_equal(json_out_finish(&j), -1);
	assert_int_equal(s.flushes, before);    /* no more flush attempts */
}

static void test_structure_and_numbers(void **state)
{
	struct sink s;
	char buf[256];
	struct json_out j;
	json_error_t err;

	(void)state;
	memset(&s, 0, sizeof(s));
	json_out_init(&j, buf, sizeof(buf), sink_flush, &s);
	json_out_begin_object(&j, NULL);
	json_out_int(&j, "i", -9223372036854775807LL - 1);
	json_out_int(&j, "z", 0);
	json_out_double(&j, "d", 1764090012.654321, 6);
	json_out_double(&j, "n", -0.5, 3);
	json_out_double(&j, "r", 0.0000005, 6);
	json_out_double(&j, "nan", 0.0 / 0.0, 6);
	json_out_bool(&j, "t", 1);
	json_out_bool(&j, "f", 0);
	json_out_null(&j, "x");
	json_out_string(&j, "s", NULL);
	json_out_begin_array(&j, "a");
	json_out_begin_object(&j, NULL);
	json_out_end_object(&j);
	json_out_begin_array(&j, NULL);
	json_out_end_array(&j);
	json_out_int(&j, NULL, 1);
	json_out_end_array(&j);
	json_out_begin_object(&j, "o");
	json_out_end_object(&j);
	json_out_end_object(&j);
	assert_int_equal(json_out_finish(&j), 0);
	assert_string_equal(s.data,
		"{\"i\":-9223372036854775808,\"z\":0,\"d\":1764090012.654321,\"n\":-0.500,"
		"\"r\":0.000001,\"nan\":null,\"t\":true,\"f\":false,\"x\":null,\"s\":null,"
		"\"a\":[{},[],1],\"o\":{}}");
	json_t *v = json_loads(s.data, 0, &err);
	assert_non_null(v);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quotes_backslash),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_escape_spelling),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_surrogate_pair_spelling),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_escape_overflow),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_flush_failure_sticky),
		cmocka_unit_test(test_structure_and_numbers),
	};
	return cmocka_run_group_tests_name("json_out", tests, NULL, NULL);
}
