/*
 * Fuzz target: `xalt db prune --before DATE`'s date parser
 * (src/cli/db/db-prune.c, db_parse_date). Any bytes are a date or refused;
 * a date accepted prints back as exactly the same ten characters
 * (db_format_day), so no two spellings name one day.
 */
#include "db.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[32], out[DB_DATE_MAX];
	int64_t day;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (db_parse_date(s, &day) == 0) {
		db_format_day(day, out);
		FUZZ_CHECK(!strcmp(out, s));
	}
	return 0;
}
