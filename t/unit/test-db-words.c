/*
 * Unit tests of the user words' SQL on SQLite (summary.h): the functions
 * db-sqlite.c registers (xalt_bit_or, xalt_popcount) and the bit and word
 * of a user id as summary.c writes them, at the word's edges and its sign
 * bit. PostgreSQL's bit_or and bit_count stand in for them there: t3120
 * compares every report of both engines over users filling three words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "db.h"
#include "summary.h"

static struct db *db;

static int open_memory(void **state)
{
	(void)state;
	db = db_open(":memory:", 1);
	return db ? 0 : -1;
}

static int close_memory(void **state)
{
	(void)state;
	db_close(db);
	return 0;
}

/* The one integer the query returns, after db_expand; NULL gives -1. */
static int64_t one(const char *sql)
{
	char *expanded = db_expand(db, sql);
	struct db_stmt *st = db_prepare(db, expanded);
	int64_t v;

	free(expanded);
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	v = db_column_is_null(st, 0) ? -1 : db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

static void popcount(void **state)
{
	(void)state;
	assert_int_equal(one("SELECT @POPCOUNT@(0@BITS@)"), 0);
	assert_int_equal(one("SELECT @POPCOUNT@(5@BITS@)"), 2);
	assert_int_equal(one("SELECT @POPCOUNT@(-1@BITS@)"), 64);
	assert_int_equal(one("SELECT @POPCOUNT@((-9223372036854775807 - 1)@BITS@)"), 1);
}

static void bit_or(void **state)
{
	(void)state;
	assert_int_equal(one("SELECT @BIT_OR@(x) FROM (SELECT 1 AS x UNION ALL SELECT 4"
			     " UNION ALL SELECT 5 UNION ALL SELECT NULL)"), 5);
	/* over no row NULL, as PostgreSQL's */
	assert_int_equal(one("SELECT @BIT_OR@(x) FROM (SELECT 1 AS x) WHERE x = 2"), -1);
	assert_int_equal(one("SELECT @BIT_OR@(x) FROM (SELECT NULL AS x)"), -1);
	assert_int_equal(one("SELECT @POPCOUNT@(@BIT_OR@(x)@BITS@) FROM (SELECT -1 AS x"
			     " UNION ALL SELECT 3)"), 64);
}

/* Users 0, 63, 64, 127 and 130: two per word, 63 and 127 on the sign bit. */
#define USERS "(SELECT 0 AS u UNION ALL SELECT 63 UNION ALL SELECT 64 UNION ALL SELECT 127" \
	      " UNION ALL SELECT 130 UNION ALL SELECT 63)"

static void user_words(void **state)
{
	(void)state;
	assert_int_equal(one("SELECT " USER_BIT("63")), INT64_MIN);
	assert_int_equal(one("SELECT " USER_BIT("64")), 1);
	assert_int_equal(one("SELECT " USER_WORD("127")), 1);
	assert_int_equal(one("SELECT " USER_WORD("128")), 2);
	assert_int_equal(one("SELECT SUM(@POPCOUNT@(m@BITS@)) FROM (SELECT " USER_WORD("u") " AS w,"
			     " @BIT_OR@(" USER_BIT("u") ") AS m FROM " USERS " GROUP BY w)"), 5);
	assert_int_equal(one("SELECT COUNT(*) FROM (SELECT DISTINCT " USER_WORD("u") " FROM "
			     USERS ")"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(popcount),
		cmocka_unit_test(bit_or),
		cmocka_unit_test(user_words),
	};
	return cmocka_run_group_tests(tests, open_memory, close_memory);
}
