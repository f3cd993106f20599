/*
 * Unit tests of src/common/uuid.c: uuid_v4 writes what uuid_valid accepts,
 * and uuid_valid refuses every near miss a user's environment may hold
 * (case, length, dash positions, other bytes, NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "uuid.h"

#include <string.h>

static void test_fresh_ones_are_valid(void **state)
{
	char u[37];

	(void)state;
	for (int i = 0; i < 100; i++) {
		uuid_v4(u);
		assert_true(uuid_valid(u));
	}
}

static void test_near_misses(void **state)
{
	static const char *const bad[] = {
		"",
		"not-a-uuid",
		"01234567-89ab-4def-8123-456789abcde",     /* 35 */
		"01234567-89ab-4def-8123-456789abcdef0",   /* 37 */
		"01234567-89AB-4def-8123-456789abcdef",    /* upper case */
		"0123456789ab-4def-8123-456789abcdef-",    /* dashes moved */
		"01234567_89ab_4def_8123_456789abcdef",
		"01234567-89ab-4def-8123-456789abcdeg",
		"../../../../../../../../../etc/passwd",
		"01234567-89ab-4def-8123-456789abcde\n",
	};
	char u[37];

	(void)state;
	assert_true(uuid_valid("01234567-89ab-4def-8123-456789abcdef"));
	assert_false(uuid_valid(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(uuid_valid(bad[i]));
	/* every single byte replaced by one from outside the alphabet */
	for (int i = 0; i < 36; i++) {
		memcpy(u, "01234567-89ab-4def-8123-456789abcdef", 37);
		u[i] = (u[i] == '-') ? '0' : 'G';
		assert_false(uuid_valid(u));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_ones_are_valid),
		cmocka_unit_test(test_near_misses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
