/*
 * PostgreSQL's monthly partitions of the raw tables: runs and run_package
 * are PARTITION BY RANGE (day) (day: db_day of the run's start time), one
 * partition per calendar month (UTC), named runs_YYYY_MM and
 * run_package_YYYY_MM. Old months then leave by DROP TABLE (db-prune.c)
 * instead of a DELETE of every row, and a month's rows sit together.
 *
 * A month is created when a loader first needs it (db_part_ensure), or by
 * the migration that partitions an existing database (db_part_layout).
 * Creating it must not make a concurrent loader fail or wait long:
 * CREATE TABLE ... PARTITION OF locks the parent ACCESS EXCLUSIVE on
 * PostgreSQL 15 (it would wait behind every open reader of runs), so the
 * month is created as a plain table and then ATTACHed, which takes SHARE
 * UPDATE EXCLUSIVE (readers and writers of runs go on). Two loaders
 * creating the same month serialize on an advisory lock (DB_PART_LOCK),
 * which `db prune` takes too.
 *
 * Sections: calendar | names | creating months | the migration | the uuids of
 * the runs | the package rows' widths
 */
#include "db.h"
#include "cli.h"
#include "xbuf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* === calendar ================================================================ */

/*
 * Days since 1970-01-01 of a civil date (proleptic Gregorian), and back:
 * H. Hinnant's algorithms, integer-only, exact for every int32 year, so the
 * month of any stored day is known without gmtime's range limits.
 */
int64_t db_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void db_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void db_month_of_day(int64_t day, struct db_month *mo)
{
	int d;

	db_civil_from_days(day, &mo->year, &mo->month, &d);
	mo->first = db_days_from_civil(mo->year, mo->month, 1);
	mo->end = mo->month == 12 ? db_days_from_civil(mo->year + 1, 1, 1)
				  : db_days_from_civil(mo->year, mo->month + 1, 1);
}

/* === names =================================================================== */

/* "runs_2026_11" into sb (appended). A year outside 0..9999 (a record may
 * claim any start time) is spelled y<year>, with m for a minus sign: every
 * name stays a plain identifier. */
void db_part_name(struct xbuf *sb, const char *table, const struct db_month *mo)
{
	if (mo->year >= 0 && mo->year <= 9999)
		xbuf_addf(sb, "%s_%04" PRId64 "_%02d", table, mo->year, mo->month);
	else
		xbuf_addf(sb, "%s_y%s%" PRId64 "_%02d", table, mo->year < 0 ? "m" : "",
			  mo->year < 0 ? -mo->year : mo->year, mo->month);
}

/* === creating months ========================================================= */

/* The partitioned tables, in the order a month is created. */
static const char *const part_tables[] = { "runs", "run_package" };

/* Append the statement creating mo's partitions when missing; with
 * unless_pruned, not when the whole month is before the first day whose raw
 * rows are kept (retention). */
static void add_month_sql(struct xbuf *sql, const struct db_month *mo, int unless_pruned)
{
	struct xbuf name = XBUF_INIT;

	xbuf_addstr(sql, "DO $$BEGIN\n");
	if (unless_pruned)
		xbuf_addf(sql, "IF EXISTS (SELECT 1 FROM retention WHERE first_raw_day >= %" PRId64 ")"
			  " THEN RETURN; END IF;\n", mo->end);
	for (size_t t = 0; t < sizeof(part_tables) / sizeof(part_tables[0]); t++) {
		xbuf_reset(&name);
		db_part_name(&name, part_tables[t], mo);
		xbuf_addf(sql, "IF to_regclass('%s') IS NULL THEN\n"
			  " CREATE TABLE %s (LIKE %s);\n"
			  " ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%" PRId64 ") TO (%" PRId64 ");\n"
			  "END IF;\n",
			  name.buf, name.buf, part_tables[t], part_tables[t], name.buf, mo->first, mo->end);
	}
	xbuf_addstr(sql, "END$$;\n");
	xbuf_release(&name);
}

/*
 * Create the partitions of the month holding day unless they exist, in a
 * transaction of its own on db (which must have none open: a loader uses
 * its autocommit connection). Two processes at once: the second waits for
 * the first's commit, then finds the month there. Nor when a prune dropped
 * the month: the loader read retention as its batch began, and a prune
 * since then (it holds the same lock) is seen here; the batch's move
 * rejects the month's runs as pruned. 0, or -1 after error().
 */
int db_part_ensure(struct db *db, int64_t day)
{
	struct xbuf sql = XBUF_INIT;
	struct db_month mo;
	int rc;

	db_month_of_day(day, &mo);
	xbuf_addstr(&sql, "SELECT pg_advisory_xact_lock(" DB_PART_LOCK ");\n");
	add_month_sql(&sql, &mo, 1);
	rc = db_begin(db) || db_exec(db, sql.buf) || db_commit(db) ? -1 : 0;
	if (rc) {
		db_rollback(db);
		error("cannot create the partitions of %04" PRId64 "-%02d", mo.year, mo.month);
	} else {
		cli_trace("partitions of %04" PRId64 "-%02d present, or pruned", mo.year, mo.month);
	}
	xbuf_release(&sql);
	return rc;
}

/* === the migration =========================================================== */

/*
 * Statements turning schema 3's plain runs and run_package into partitioned
 * tables of the same columns (LIKE keeps their order and collations). A
 * unique key of a partitioned table must hold the partition key: (uuid,
 * day) and (id, day) replace UNIQUE (uuid) and the primary key id; the
 * identity column becomes a sequence (PostgreSQL 15 has no identity on a
 * partitioned table) owned by runs.id, so pg_get_serial_sequence still
 * finds it.
 */
static const char part_layout_sql[] =
	"ALTER TABLE runs RENAME TO runs_v3;\n"
	"ALTER TABLE run_package RENAME TO run_package_v3;\n"
	"DROP INDEX runs_start_time;\n"
	"DROP INDEX runs_user;\n"
	"CREATE SEQUENCE run_ids;\n"
	"CREATE TABLE runs (LIKE runs_v3) PARTITION BY RANGE (day);\n"
	"ALTER TABLE runs ALTER COLUMN id SET DEFAULT nextval('run_ids'),"
	" ALTER COLUMN day SET NOT NULL;\n"
	"ALTER SEQUENCE run_ids OWNED BY runs.id;\n"
	"ALTER TABLE runs ADD CONSTRAINT runs_id_day PRIMARY KEY (id, day),"
	" ADD CONSTRAINT runs_uuid_day UNIQUE (uuid, day);\n"
	"CREATE INDEX runs_start_time ON runs (start_time);\n"
	"CREATE INDEX runs_user ON runs (user_id);\n"
	"CREATE TABLE run_package (LIKE run_package_v3) PARTITION BY RANGE (day);\n"
	"ALTER TABLE run_package ALTER COLUMN day SET NOT NULL,"
	" ADD CONSTRAINT run_package_key PRIMARY KEY (name_id, user_id, run_id, day);\n";

static const char part_copy_sql[] =
	"INSERT INTO runs SELECT * FROM runs_v3;\n"
	"INSERT INTO run_package SELECT * FROM run_package_v3;\n"
	"SELECT setval('run_ids', coalesce((SELECT max(id) FROM runs_v3), 0) + 1, false);\n"
	"DROP TABLE run_package_v3;\n"
	"DROP TABLE runs_v3;\n";

/*
 * The PostgreSQL half of the migration to schema 4, inside the migration's
 * transaction: the partitioned tables, a partition for every month holding
 * a stored run, the rows copied, the old tables dropped. A year of rows is
 * copied once (minutes, not hours). 0, or -1 after error().
 */
int db_part_layout(struct db *db)
{
	struct xbuf sql = XBUF_INIT;
	struct db_stmt *st;
	int64_t done_end = INT64_MIN;
	int rc;

	if (db_exec(db, part_layout_sql) ||
	    !(st = db_prepare(db, "SELECT DISTINCT day FROM runs_v3 ORDER BY 1")))
		return -1;
	/* the months holding a run (run_package's days are its runs') */
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t day = db_column_int64(st, 0);
		struct db_month mo;
		if (day < done_end)
			continue;
		db_month_of_day(day, &mo);
		add_month_sql(&sql, &mo, 0);
		done_end = mo.end;
	}
	db_finalize(st);
	xbuf_addstr(&sql, part_copy_sql);
	if (rc == DB_DONE)
		rc = db_exec(db, sql.buf);
	xbuf_release(&sql);
	return rc ? -1 : 0;
}

/* === the uuids of the runs =================================================== */

/*
 * A partitioned table's unique key must hold its partition key, so runs
 * could keep a uuid unique per day only. run_uuids holds each stored run's
 * uuid once, whatever its day, with the run's id and day (its primary key
 * in runs): a loader's move inserts a run only when it inserted its uuid
 * here (load.c), so two loaders storing one uuid under two days store it
 * once; and the same-run check finds a stored run with one probe here and
 * one in its month, instead of a probe per kept month (bench/RESULTS.md:
 * 0.87 s against 0.30-0.39 s per batch of 5,000 runs over a year). runs'
 * own (uuid, day) key went: it served nothing else, and it cost each run an
 * index entry (84 bytes) beside this table's. The uuid type: 16 bytes, not
 * 37; records' uuids are lower-case (validate.c), as it prints them back.
 * `db prune` deletes the rows of the days it pruned. Runs stored twice
 * under one uuid before (two days, concurrent loaders) keep the first id.
 */
static const char uuids_sql[] =
	"CREATE TABLE run_uuids (uuid UUID PRIMARY KEY, id BIGINT NOT NULL, day BIGINT NOT NULL);\n"
	"INSERT INTO run_uuids (uuid, id, day) SELECT uuid::uuid, id, day FROM runs"
	" ORDER BY id ON CONFLICT DO NOTHING;\n"
	"ALTER TABLE runs DROP CONSTRAINT runs_uuid_day;\n";

int db_part_uuids(struct db *db)
{
	return db_exec(db, uuids_sql) ? -1 : 0;
}

/* === the package rows' widths ================================================ */

/*
 * run_package holds half of a database's bytes (189 of 369 bytes per package
 * record over a generated day, PostgreSQL's BIGINT everywhere). Its ids fit
 * 32 bits: user and package-name ids are handed out without gaps
 * (entity-ids.c looks a row up before it inserts it), package ids only to
 * packages not stored yet (load.c); functions_used is at most 2^31 - 1
 * (validate.c); the flags are 0 or 1. A row's columns then take 56 bytes
 * instead of 88 (bench/RESULTS.md: 147 bytes a package record instead of
 * 189 with the key). day stays BIGINT: a partition key cannot change type.
 * An id past 2^31 - 1 fails its batch (integer out of range), which keeps
 * its files. SQLite stores integers by value already.
 */
static const char narrow_sql[] =
	"ALTER TABLE run_package ALTER COLUMN name_id TYPE INTEGER,"
	" ALTER COLUMN user_id TYPE INTEGER, ALTER COLUMN package_id TYPE INTEGER,"
	" ALTER COLUMN direct TYPE SMALLINT, ALTER COLUMN startup TYPE SMALLINT,"
	" ALTER COLUMN used TYPE SMALLINT, ALTER COLUMN functions_used TYPE INTEGER,"
	" ALTER COLUMN imported_by_id TYPE INTEGER;\n";

int db_part_narrow(struct db *db)
{
	return db_exec(db, narrow_sql) ? -1 : 0;
}
