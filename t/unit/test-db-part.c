/*
 * Unit tests of the calendar of PostgreSQL's monthly partitions
 * (src/cli/db/db-part.c): days to civil dates and back over a wide range,
 * the month of a day (bounds included), and partition names, also for
 * years a hostile record can claim (before 0, after 9999).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"
#include "xbuf.h"


static void civil_round_trip(void **state)
{
	(void)state;
	/* every day from 1600 to 2400, against a running calendar */
	int64_t y = 1600;
	int m = 1, d = 1;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int64_t day = db_days_from_civil(1600, 1, 1); y < 2400; day++) {
		int64_t yy;
		int mm, dd;
		db_civil_from_days(day, &yy, &mm, &dd);
		assert_int_equal(yy, y);
		assert_int_equal(mm, m);
		assert_int_equal(dd, d);
		assert_int_equal(db_days_from_civil(y, m, d), day);
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (++d > mdays[m - 1] + (m == 2 && leap)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(db_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(db_days_from_civil(2025, 12, 1), 20423);
}

static void month_bounds(void **state)
{
	struct db_month mo;

	(void)state;
	db_month_of_day(db_day(1767225599.5), &mo);     /* 2025-12-31 23:59:59.5 UTC */
	assert_int_equal(mo.year, 2025);
	assert_int_equal(mo.month, 12);
	assert_int_equal(mo.first, 20423);
	assert_int_equal(mo.end, 20454);
	db_month_of_day(db_day(1767225600.0), &mo);     /* the next second */
	assert_int_equal(mo.year, 2026);
	assert_int_equal(mo.month, 1);
	db_month_of_day(db_day(-0.5), &mo);             /* 1969-12-31 */
	assert_int_equal(mo.year, 1969);
	assert_int_equal(mo.month, 12);
	assert_int_equal(mo.end, 0);
	db_month_of_day(db_day(951782400.0), &mo);      /* 2000-02-29 */
	assert_int_equal(mo.month, 2);
	assert_int_equal(mo.end - mo.first, 29);
}

static void names(void **state)
{
	struct xbuf sb = XBUF_INIT;
	struct db_month mo;

	(void)state;
	db_month_of_day(20423, &mo);
	db_part_name(&sb, "runs", &mo);
	assert_string_equal(sb.buf, "runs_2025_12");
	xbuf_reset(&sb);
	db_month_of_day(db_days_from_civil(-44, 3, 15), &mo);
	db_part_name(&sb, "run_package", &mo);
	assert_string_equal(sb.buf, "run_package_ym44_03");
	xbuf_reset(&sb);
	db_month_of_day(db_days_from_civil(12345, 1, 1), &mo);
	db_part_name(&sb, "runs", &mo);
	assert_string_equal(sb.buf, "runs_y12345_01");
	xbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(civil_round_trip),
		cmocka_unit_test(month_bounds),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
