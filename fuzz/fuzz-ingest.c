/*
 * Fuzz target: the ingest validator and loader (src/cli/ingest/parse.c,
 * validate.c, load.c) against an in-memory SQLite database with the
 * current schema. Any bytes must be loaded, counted as a duplicate or
 * rejected with a reason: never a crash, never a database error.
 */
#include "db.h"
#include "fuzz.h"
#include "ingest.h"
#include "xbuf.h"

static struct db *db;
static struct ingest *in;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xbuf why = XBUF_INIT;
	enum ingest_result res;

	if (!in) {
		db = db_open(":memory:", 1);
		FUZZ_CHECK(db && db_migrate(db) == 0);
		in = ingest_open(db);
		FUZZ_CHECK(in != NULL);
	}
	res = ingest_record(in, (const char *)data, size, "fuzz", &why);
	FUZZ_CHECK(res != INGEST_ERROR);
	FUZZ_CHECK(res != INGEST_REJECTED || why.len > 0);
	FUZZ_CHECK(ingest_commit(in) == 0);
	xbuf_release(&why);
	return 0;
}
