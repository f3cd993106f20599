/*
 * Summary tables: their schema, their upkeep from a batch, and their
 * rebuild from the raw rows (see summary.h; docs/database.md, "Summary
 * tables"). One SQL text for both engines (db_expand's words).
 *
 * Why this shape:
 * - Counters are integers (runs, import µs, run time in ms), so both
 *   engines add them identically and a report from them equals the raw
 *   rows' answer byte for byte.
 * - Distinct users are never estimated: presence rows, one per (period,
 *   key, user), counted with COUNT(DISTINCT) at report time.
 * - Every row is kept at three levels (day, 32-day block, all time): a
 *   report over a window reads the blocks inside it and the days at its
 *   edges, a report without one reads the level-2 rows; the primary key
 *   starts (lvl, p) so it reads only those rows.
 * - An upsert per table, fed by one GROUP BY over the batch, its rows in
 *   key order (ORDER BY the key): two PostgreSQL loaders lock the rows they
 *   share in the same order, and the tables in the order of `upkeep`.
 *
 * Sections: schema | upkeep | rebuild
 */
#include "summary.h"
#include "cli.h"
#include "db.h"
#include "xbuf.h"

#include <stdlib.h>
#include <string.h>

/* === schema ================================================================ */

#define KEY(...) " PRIMARY KEY (" __VA_ARGS__ "))@NOROWID@;\n"
#define PER "lvl @INT@ NOT NULL, p @INT@ NOT NULL, "
#define CNT(c) ", " c " @INT@ NOT NULL"

const char summary_schema[] =
	/* packages, by version: runs; runs with direct = 1, with direct = 1
	 * and used = 1, with used = 1, with used known; runs with an import
	 * time and its sum */
	"CREATE TABLE sum_pkg (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" version @TEXT@ NOT NULL" CNT("runs") CNT("direct_runs") CNT("direct_used") CNT("used_runs")
	CNT("used_known") CNT("import_runs") CNT("import_us") ","
	KEY("lvl, p, name_id, syshost, version")
	/* the users of a package version; direct 1 when one of their rows was */
	"CREATE TABLE pres_pkg (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" version @TEXT@ NOT NULL, user_id @INT@ NOT NULL" CNT("direct") ","
	KEY("lvl, p, name_id, syshost, version, user_id")
	/* package rows with an importer (imported_by) */
	"CREATE TABLE sum_dep (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" by_id @INT@ NOT NULL" CNT("runs") "," KEY("lvl, p, name_id, syshost, by_id")
	"CREATE TABLE pres_dep (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" by_id @INT@ NOT NULL, user_id @INT@ NOT NULL," KEY("lvl, p, name_id, syshost, by_id, user_id")
	/* runs per executable row; runs with a run time, its sum in ms */
	"CREATE TABLE sum_exec (" PER "syshost @TEXT@ NOT NULL, exec_id @INT@ NOT NULL"
	CNT("runs") CNT("rt_runs") CNT("run_ms") "," KEY("lvl, p, syshost, exec_id")
	"CREATE TABLE pres_exec (" PER "syshost @TEXT@ NOT NULL, exec_id @INT@ NOT NULL,"
	" user_id @INT@ NOT NULL," KEY("lvl, p, syshost, exec_id, user_id")
	/* runs per library set (expanded to libraries by the report) */
	"CREATE TABLE sum_libset (" PER "syshost @TEXT@ NOT NULL, libset_id @INT@ NOT NULL"
	CNT("runs") "," KEY("lvl, p, syshost, libset_id")
	"CREATE TABLE pres_libset (" PER "syshost @TEXT@ NOT NULL, libset_id @INT@ NOT NULL,"
	" user_id @INT@ NOT NULL," KEY("lvl, p, syshost, libset_id, user_id")
	/* interpreted runs per user by interpreter kind */
	"CREATE TABLE sum_kind (" PER "interp @TEXT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" user_id @INT@ NOT NULL" CNT("system_runs") CNT("venv_runs") CNT("conda_runs") CNT("runs") ","
	KEY("lvl, p, interp, syshost, user_id")
	/* the hosts that ran something */
	"CREATE TABLE pres_host (" PER "host_id @INT@ NOT NULL," KEY("lvl, p, host_id");

const char *const summary_rp_cols[] = {
	"name_id", "user_id", "run_id", "package_id", "import_us", "direct", "startup", "used",
	"functions_used", "imported_by_id", "day",
};
_Static_assert(sizeof(summary_rp_cols) / sizeof(summary_rp_cols[0]) == SUMMARY_NRP_COLS,
	       "SUMMARY_NRP_COLS");

int summary_batch_tables(struct db *db)
{
	int pg = !strcmp(db_kind(db), "postgresql");
	char *sql = db_expand(db, pg
		? "CREATE TEMP TABLE IF NOT EXISTS new_runs (id BIGINT) ON COMMIT DELETE ROWS;"
		  " CREATE TEMP TABLE IF NOT EXISTS new_rp (name_id BIGINT, user_id BIGINT,"
		  " run_id BIGINT, package_id BIGINT, import_us BIGINT, direct BIGINT, startup BIGINT,"
		  " used BIGINT, functions_used BIGINT, imported_by_id BIGINT, day BIGINT)"
		  " ON COMMIT DELETE ROWS"
		: "CREATE TEMP TABLE IF NOT EXISTS new_runs (id INTEGER);"
		  " CREATE TEMP TABLE IF NOT EXISTS new_rp (name_id INTEGER, user_id INTEGER,"
		  " run_id INTEGER, package_id INTEGER, import_us INTEGER, direct INTEGER,"
		  " startup INTEGER, used INTEGER, functions_used INTEGER, imported_by_id INTEGER,"
		  " day INTEGER)");
	int rc = db_exec(db, sql);

	free(sql);
	return rc;
}

/* === upkeep ================================================================ */

/* Each row of the batch at the three levels: (lvl, p) of its day d. */
#define LEVELS " CROSS JOIN (SELECT 0 AS lvl UNION ALL SELECT 1 UNION ALL SELECT 2) lv"
#define PERIOD(d) "CASE lv.lvl WHEN 0 THEN " d " WHEN 1 THEN (" d " - ((" d " % 32) + 32) % 32) / 32" \
		  " ELSE 0 END"
/* the batch's package rows b with their run r, host h and package pk */
#define FROM_RP " FROM new_rp b JOIN runs r ON r.id = b.run_id JOIN hosts h ON h.id = r.host_id" \
		" JOIN packages pk ON pk.id = b.package_id" LEVELS
/* the batch's runs r with their host h */
#define FROM_RUNS " FROM new_runs n JOIN runs r ON r.id = n.id JOIN hosts h ON h.id = r.host_id" LEVELS
#define ADD(t, c) c " = " t "." c " + excluded." c

/* In this order (the lock order of concurrent loaders, see the top). */
static const char upkeep[] =
	"INSERT INTO sum_pkg (lvl, p, name_id, syshost, version, runs, direct_runs, direct_used,"
	" used_runs, used_known, import_runs, import_us)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.name_id, h.syshost, pk.version, COUNT(*),"
	" SUM(CASE WHEN b.direct = 1 THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN b.direct = 1 AND b.used = 1 THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN b.used = 1 THEN 1 ELSE 0 END), COUNT(b.used), COUNT(b.import_us),"
	" COALESCE(SUM(b.import_us), 0)" FROM_RP
	" WHERE true GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, name_id, syshost, version) DO UPDATE SET " ADD("sum_pkg", "runs") ", "
	ADD("sum_pkg", "direct_runs") ", " ADD("sum_pkg", "direct_used") ", "
	ADD("sum_pkg", "used_runs") ", " ADD("sum_pkg", "used_known") ", "
	ADD("sum_pkg", "import_runs") ", " ADD("sum_pkg", "import_us") ";\n"

	"INSERT INTO pres_pkg (lvl, p, name_id, syshost, version, user_id, direct)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.name_id, h.syshost, pk.version, b.user_id,"
	" MAX(CASE WHEN b.direct = 1 THEN 1 ELSE 0 END)" FROM_RP
	" WHERE true GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
	" ON CONFLICT (lvl, p, name_id, syshost, version, user_id) DO UPDATE SET direct = 1"
	" WHERE excluded.direct = 1 AND pres_pkg.direct = 0;\n"

	"INSERT INTO sum_dep (lvl, p, name_id, syshost, by_id, runs)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.name_id, h.syshost, b.imported_by_id, COUNT(*)" FROM_RP
	" WHERE b.imported_by_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, name_id, syshost, by_id) DO UPDATE SET " ADD("sum_dep", "runs") ";\n"

	"INSERT INTO pres_dep (lvl, p, name_id, syshost, by_id, user_id)"
	" SELECT DISTINCT lv.lvl, " PERIOD("b.day") ", b.name_id, h.syshost, b.imported_by_id,"
	" b.user_id" FROM_RP " WHERE b.imported_by_id IS NOT NULL ORDER BY 1, 2, 3, 4, 5, 6"
	" ON CONFLICT DO NOTHING;\n"

	"INSERT INTO sum_exec (lvl, p, syshost, exec_id, runs, rt_runs, run_ms)"
	" SELECT lv.lvl, " PERIOD("r.day") ", h.syshost, r.exec_id, COUNT(*), COUNT(@RUN_MS@),"
	" COALESCE(SUM(@RUN_MS@), 0)" FROM_RUNS " WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	" ON CONFLICT (lvl, p, syshost, exec_id) DO UPDATE SET " ADD("sum_exec", "runs") ", "
	ADD("sum_exec", "rt_runs") ", " ADD("sum_exec", "run_ms") ";\n"

	"INSERT INTO pres_exec (lvl, p, syshost, exec_id, user_id)"
	" SELECT DISTINCT lv.lvl, " PERIOD("r.day") ", h.syshost, r.exec_id, r.user_id" FROM_RUNS
	" WHERE true ORDER BY 1, 2, 3, 4, 5 ON CONFLICT DO NOTHING;\n"

	"INSERT INTO sum_libset (lvl, p, syshost, libset_id, runs)"
	" SELECT lv.lvl, " PERIOD("r.day") ", h.syshost, r.libset_id, COUNT(*)" FROM_RUNS
	" WHERE r.libset_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	" ON CONFLICT (lvl, p, syshost, libset_id) DO UPDATE SET " ADD("sum_libset", "runs") ";\n"

	"INSERT INTO pres_libset (lvl, p, syshost, libset_id, user_id)"
	" SELECT DISTINCT lv.lvl, " PERIOD("r.day") ", h.syshost, r.libset_id, r.user_id" FROM_RUNS
	" WHERE r.libset_id IS NOT NULL ORDER BY 1, 2, 3, 4, 5 ON CONFLICT DO NOTHING;\n"

	"INSERT INTO sum_kind (lvl, p, interp, syshost, user_id, system_runs, venv_runs, conda_runs, runs)"
	" SELECT lv.lvl, " PERIOD("r.day") ", r.interp_program, h.syshost, r.user_id,"
	" SUM(CASE WHEN r.interp_kind = 'system' THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN r.interp_kind = 'venv' THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN r.interp_kind = 'conda' THEN 1 ELSE 0 END), COUNT(*)" FROM_RUNS
	" WHERE r.interp_program IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, interp, syshost, user_id) DO UPDATE SET "
	ADD("sum_kind", "system_runs") ", " ADD("sum_kind", "venv_runs") ", "
	ADD("sum_kind", "conda_runs") ", " ADD("sum_kind", "runs") ";\n"

	"INSERT INTO pres_host (lvl, p, host_id)"
	" SELECT DISTINCT lv.lvl, " PERIOD("r.day") ", r.host_id" FROM_RUNS
	" WHERE true ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING;\n";

int summary_add(struct db *db)
{
	char *sql = db_expand(db, upkeep);
	int rc = db_exec(db, sql);

	free(sql);
	/* PostgreSQL empties them at commit (ON COMMIT DELETE ROWS) */
	if (!rc && strcmp(db_kind(db), "postgresql"))
		rc = db_exec(db, "DELETE FROM new_runs; DELETE FROM new_rp");
	return rc;
}

/* === rebuild =============================================================== */

/* The summary tables, emptied before a rebuild. */
static const char *const summary_tables[] = {
	"sum_pkg", "pres_pkg", "sum_dep", "pres_dep", "sum_exec", "pres_exec", "sum_libset",
	"pres_libset", "sum_kind", "pres_host",
};

/*
 * Every raw row as one batch: simple, and the same SQL as ingest. A year is
 * a long transaction (docs/database.md, "xalt db migrate").
 */
int summary_rebuild(struct db *db)
{
	struct xbuf sql = XBUF_INIT;
	int rc;

	for (size_t i = 0; i < sizeof(summary_tables) / sizeof(summary_tables[0]); i++)
		xbuf_addf(&sql, "DELETE FROM %s;\n", summary_tables[i]);
	xbuf_addstr(&sql, "INSERT INTO new_runs (id) SELECT id FROM runs;\nINSERT INTO new_rp (");
	for (int i = 0; i < SUMMARY_NRP_COLS; i++)
		xbuf_addf(&sql, "%s%s", i ? ", " : "", summary_rp_cols[i]);
	xbuf_addstr(&sql, ") SELECT ");
	for (int i = 0; i < SUMMARY_NRP_COLS; i++)
		xbuf_addf(&sql, "%s%s", i ? ", " : "", summary_rp_cols[i]);
	xbuf_addstr(&sql, " FROM run_package");
	rc = summary_batch_tables(db) || db_exec(db, sql.buf) || summary_add(db) ? -1 : 0;
	xbuf_release(&sql);
	return rc;
}
