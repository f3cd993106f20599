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
 *   key, word of users) with a bit per user (summary.h, "user words"):
 *   the words of a key OR-ed over the window's periods, their bits
 *   counted. A key of one user is one row, as before; a popular one's
 *   users share rows (thirty generated days: a third fewer day rows, half
 *   as many all-time rows; bench/RESULTS.md).
 * - Every row is kept at three levels (day, 32-day block, all time): a
 *   report over a window reads the blocks inside it and the days at its
 *   edges, a report without one reads the level-2 rows; the primary key
 *   starts (lvl, p) so it reads only those rows. lib_rank, a ranking of
 *   the level-2 library rows, is the one table without periods.
 * - The batch's package rows grouped once (b_rp), its libraries expanded
 *   once (b_lib), then an upsert per table and level set fed by those
 *   groups, its rows in key order (ORDER BY the key): two PostgreSQL
 *   loaders lock the rows they share in the same order, and the tables in
 *   the order of `upserts`.
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

/* The users of a key: a word (w) of bits per 64 users (summary.h). */
#define WORD "w @INT@ NOT NULL, bits @INT@ NOT NULL"

/* the users of a package version; dbits: those with a direct row */
#define PRES_PKG(t) "CREATE TABLE " t " (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL," \
	" version @TEXT@ NOT NULL, " WORD CNT("dbits") "," KEY("lvl, p, name_id, syshost, version, w")
#define PRES_DEP(t) "CREATE TABLE " t " (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL," \
	" by_id @INT@ NOT NULL, " WORD "," KEY("lvl, p, name_id, syshost, by_id, w")
#define PRES_EXEC(t) "CREATE TABLE " t " (" PER "syshost @TEXT@ NOT NULL, exec_id @INT@ NOT NULL," \
	" " WORD "," KEY("lvl, p, syshost, exec_id, w")
/*
 * Libraries, the most keys of all (a user's own builds: some 25,000 a day
 * at a large centre, most with one user): runs and users in one table, so
 * a report reads one row per word and key instead of a counter row and
 * presence rows. runs (a set naming a library twice counts its runs once)
 * is a key's sum over its words; how it is spread over them means nothing
 * (ingest: by the users' words; a migrated database: on the first word).
 */
#define SUM_LIB(t) "CREATE TABLE " t " (" PER "syshost @TEXT@ NOT NULL, library_id @INT@ NOT NULL," \
	" " WORD CNT("runs") "," KEY("lvl, p, syshost, library_id, w")

/*
 * Every library's runs over all time and clusters (the sum of its level-2
 * sum_lib rows), indexed by runs: `libraries --top N` without a window or
 * --syshost reads its first N by that index, not a sum of every library's
 * rows, whose number grows every day with the users' own builds (some
 * 3,000 new a day after the first month of generated data;
 * bench/RESULTS.md, "Libraries ranked"). IF NOT EXISTS: the version-8
 * step creates it in older databases too.
 */
#define LIB_RANK "CREATE TABLE IF NOT EXISTS lib_rank (library_id @INT@ NOT NULL" CNT("runs") "," \
	KEY("library_id") "CREATE INDEX IF NOT EXISTS lib_rank_runs ON lib_rank (runs);\n"

const char summary_schema[] =
	/* packages, by version: runs; runs with direct = 1, with direct = 1
	 * and used = 1, with used = 1, with used known; runs with an import
	 * time and its sum */
	"CREATE TABLE sum_pkg (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" version @TEXT@ NOT NULL" CNT("runs") CNT("direct_runs") CNT("direct_used") CNT("used_runs")
	CNT("used_known") CNT("import_runs") CNT("import_us") ","
	KEY("lvl, p, name_id, syshost, version")
	PRES_PKG("pres_pkg")
	/* package rows with an importer (imported_by) */
	"CREATE TABLE sum_dep (" PER "name_id @INT@ NOT NULL, syshost @TEXT@ NOT NULL,"
	" by_id @INT@ NOT NULL" CNT("runs") "," KEY("lvl, p, name_id, syshost, by_id")
	PRES_DEP("pres_dep")
	/* runs per executable row; runs with a run time, its sum in ms */
	"CREATE TABLE sum_exec (" PER "syshost @TEXT@ NOT NULL, exec_id @INT@ NOT NULL"
	CNT("runs") CNT("rt_runs") CNT("run_ms") "," KEY("lvl, p, syshost, exec_id")
	PRES_EXEC("pres_exec")
	SUM_LIB("sum_lib")
	LIB_RANK
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
	/* new_runs, new_rp: the batch; b_runs, b_rp, b_lib: joined to what
	 * the upserts group by (batch_join) */
	static const char tables[] =
		"CREATE TEMP TABLE IF NOT EXISTS new_runs (id @INT@, day @INT@)@TEMP@;"
		" CREATE TEMP TABLE IF NOT EXISTS new_rp (name_id @INT@, user_id @INT@,"
		" run_id @INT@, package_id @INT@, import_us @INT@, direct @INT@, startup @INT@,"
		" used @INT@, functions_used @INT@, imported_by_id @INT@, day @INT@)@TEMP@;"
		" CREATE TEMP TABLE IF NOT EXISTS b_runs (id @INT@ PRIMARY KEY, day @INT@,"
		" syshost @TEXT@, host_id @INT@, exec_id @INT@, user_id @INT@, libset_id @INT@,"
		" interp @TEXT@, interp_kind @TEXT@, run_ms @INT@)@TEMP@;"
		" CREATE TEMP TABLE IF NOT EXISTS b_rp (day @INT@, name_id @INT@, syshost @TEXT@,"
		" version @TEXT@, user_id @INT@, by_id @INT@, runs @INT@, direct_runs @INT@,"
		" direct_used @INT@, used_runs @INT@, used_known @INT@, import_runs @INT@,"
		" import_us @INT@)@TEMP@;"
		" CREATE TEMP TABLE IF NOT EXISTS b_lib (day @INT@, syshost @TEXT@,"
		" library_id @INT@, user_id @INT@, runs @INT@)@TEMP@";
	struct xbuf sb = XBUF_INIT;
	char *sql;
	int rc;

	/* PostgreSQL empties them at every commit */
	for (const char *t = tables; *t; t++) {
		if (!strncmp(t, "@TEMP@", 6)) {
			xbuf_addstr(&sb, pg ? " ON COMMIT DELETE ROWS" : "");
			t += 5;
		} else {
			xbuf_addch(&sb, *t);
		}
	}
	sql = db_expand(db, sb.buf);
	rc = db_exec(db, sql);
	free(sql);
	xbuf_release(&sb);
	return rc;
}

/* === upkeep ================================================================ */

/* Each row of the batch at the three levels: (lvl, p) of its day d. */
#define LEVELS " CROSS JOIN (SELECT 0 AS lvl UNION ALL SELECT 1 UNION ALL SELECT 2) lv"
#define PERIOD(d) "CASE lv.lvl WHEN 0 THEN " d " WHEN 1 THEN (" d " - ((" d " % 32) + 32) % 32) / 32" \
		  " ELSE 0 END"
#define FROM_RP " FROM b_rp b" LEVELS
/*
 * A presence table's rows for the batch. src is the batch's users as rows
 * (day, the key columns cols, user_id; pres_pkg's also flag, the row's
 * direct), grouped here into words (WORDS, with DBITS for pres_pkg); match
 * compares a key of the words (b) with one of the table (e).
 *
 * Levels 1 and 2 only for words not covered by their day's word before this
 * batch (a bit the day lacks; a direct bit, for pres_pkg): a day's bits are
 * written with its block's and all time's (same statement order, same
 * transaction, and nothing but a rebuild deletes a summary row), so the
 * day's word holding them says those hold them too. At a centre's density
 * most users of a batch are in their day's words already (a user runs the
 * same packages all day): one probe instead of two upserts. The probe is a
 * scalar subquery, not NOT EXISTS: PostgreSQL turned NOT EXISTS into a hash
 * anti-join that read the whole presence table once per batch (ingest time
 * grew with the history); a scalar subquery stays one index probe. Then
 * level 0. An upsert changes a row only when it adds a bit (PostgreSQL
 * still locks the row it meets, as the counters' upserts do theirs).
 */
#define UPPER_LEVELS " CROSS JOIN (SELECT 1 AS lvl UNION ALL SELECT 2) lv"
#define WORDS(src, cols, more) "(SELECT day, " cols ", " USER_WORD("user_id") " AS w," \
	" @BIT_OR@(" USER_BIT("user_id") ") AS bits" more \
	" FROM " src " s GROUP BY day, " cols ", " USER_WORD("user_id") ")"
#define DBITS ", @BIT_OR@(CASE WHEN flag = 1 THEN " USER_BIT("user_id") " ELSE 0 END) AS dbits"
#define PRESENCE_ROWS(t, cols, match, src, more, covered, value, agg, set, adds) \
	"INSERT INTO " t " (lvl, p, " cols ", w, bits" value ") SELECT lv.lvl, " PERIOD("b.day") ", " \
	cols ", b.w, @BIT_OR@(b.bits)" agg " FROM (SELECT * FROM " WORDS(src, cols, more) " b" \
	" WHERE COALESCE((SELECT " covered " FROM " t " e WHERE e.lvl = 0 AND e.p = b.day AND " \
	match " AND e.w = b.w), 0) = 0) b" UPPER_LEVELS " GROUP BY 1, 2, " cols ", b.w" \
	" ORDER BY 1, 2, " cols ", b.w ON CONFLICT (lvl, p, " cols ", w) DO UPDATE SET " set \
	" WHERE " adds ";\n" \
	"INSERT INTO " t " (lvl, p, " cols ", w, bits" value ") SELECT 0, b.day, " cols ", b.w," \
	" b.bits" value " FROM " WORDS(src, cols, more) " b ORDER BY 1, 2, " cols ", b.w" \
	" ON CONFLICT (lvl, p, " cols ", w) DO UPDATE SET " set " WHERE " adds ";\n"
#define HAS(x, y) "((" x " | " y ") = " x ")"
#define OR_IN(t, c) c " = " t "." c " | excluded." c
#define PRESENCE(t, cols, match, src) \
	PRESENCE_ROWS(t, cols, match, src, "", "CASE WHEN " HAS("e.bits", "b.bits") " THEN 1 END", \
		      "", "", OR_IN(t, "bits"), "NOT " HAS(t ".bits", "excluded.bits"))
/* with dbits: the users with a direct row */
#define PRESENCE_DIRECT(t, cols, match, src) \
	PRESENCE_ROWS(t, cols, match, src, DBITS, "CASE WHEN " HAS("e.bits", "b.bits") " AND " \
		      HAS("e.dbits", "b.dbits") " THEN 1 END", ", dbits", ", @BIT_OR@(b.dbits)", \
		      OR_IN(t, "bits") ", " OR_IN(t, "dbits"), \
		      "NOT (" HAS(t ".bits", "excluded.bits") " AND " HAS(t ".dbits", "excluded.dbits") ")")
#define FROM_RUNS " FROM b_runs r" LEVELS
#define ADD(t, c) c " = " t "." c " + excluded." c

/*
 * The batch joined once to its runs, hosts and packages: each upsert
 * joining them again cost SQLite a b-tree descent per row and statement.
 * A run is looked up by its id and day: PostgreSQL's runs is partitioned
 * by month and keyed (id, day), so by id alone each run was a descent
 * into every month's index (at 13 months, 0.56-0.63 s for 5,000 runs in
 * a nested loop instead of 0.16-0.19 s; bench/RESULTS.md, "A run looked
 * up in its month").
 */
static const char batch_join[] =
	"INSERT INTO b_runs (id, day, syshost, host_id, exec_id, user_id, libset_id, interp,"
	" interp_kind, run_ms) SELECT r.id, r.day, h.syshost, r.host_id, r.exec_id, r.user_id,"
	" r.libset_id, r.interp_program, r.interp_kind, @RUN_MS@"
	" FROM new_runs n JOIN runs r ON r.id = n.id AND r.day = n.day JOIN hosts h ON h.id = r.host_id;\n"
	"INSERT INTO b_rp (day, name_id, syshost, version, user_id, by_id, runs, direct_runs,"
	" direct_used, used_runs, used_known, import_runs, import_us)"
	" SELECT b.day, b.name_id, r.syshost, pk.version, b.user_id, b.imported_by_id, COUNT(*),"
	" SUM(CASE WHEN b.direct = 1 THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN b.direct = 1 AND b.used = 1 THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN b.used = 1 THEN 1 ELSE 0 END), COUNT(b.used), COUNT(b.import_us),"
	" COALESCE(SUM(b.import_us), 0) FROM new_rp b JOIN b_runs r ON r.id = b.run_id"
	" JOIN packages pk ON pk.id = b.package_id"
	" GROUP BY 1, 2, 3, 4, 5, 6;\n"
	/* a run's libraries through its set, expanded once for sum_lib: the
	 * batch's runs grouped by (day, cluster, set, user) first,
	 * each group expanded once; MAX per (group, library) counts a library a
	 * set names twice once */
	"INSERT INTO b_lib (day, syshost, library_id, user_id, runs)"
	" SELECT g.day, g.syshost, g.library_id, g.user_id, SUM(g.runs)"
	" FROM (SELECT s.day, s.syshost, s.libset_id, s.user_id, ll.library_id, MAX(s.runs) AS runs"
	" FROM (SELECT r.day, r.syshost, r.libset_id, r.user_id, COUNT(*) AS runs FROM b_runs r"
	" WHERE r.libset_id IS NOT NULL GROUP BY 1, 2, 3, 4) s"
	" JOIN libset_library ll ON ll.libset_id = s.libset_id GROUP BY 1, 2, 3, 4, 5) g"
	" GROUP BY 1, 2, 3, 4;\n";

/* The presence tables' sources (PRESENCE) and key matches. */
#define PKG_USERS "(SELECT day, name_id, syshost, version, user_id," \
		  " CASE WHEN direct_runs > 0 THEN 1 ELSE 0 END AS flag FROM b_rp)"
#define PKG_MATCH "e.name_id = b.name_id AND e.syshost = b.syshost AND e.version = b.version"
#define DEP_USERS "(SELECT day, name_id, syshost, by_id, user_id FROM b_rp" \
		  " WHERE by_id IS NOT NULL)"
#define DEP_MATCH "e.name_id = b.name_id AND e.syshost = b.syshost AND e.by_id = b.by_id"
#define EXEC_USERS "(SELECT day, syshost, exec_id, user_id FROM b_runs)"
#define EXEC_MATCH "e.syshost = b.syshost AND e.exec_id = b.exec_id"

/* The upserts, in this order: the lock order of concurrent loaders (top). */
static const char upserts[] =
	"INSERT INTO sum_pkg (lvl, p, name_id, syshost, version, runs, direct_runs, direct_used,"
	" used_runs, used_known, import_runs, import_us)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.name_id, b.syshost, b.version, SUM(b.runs),"
	" SUM(b.direct_runs), SUM(b.direct_used), SUM(b.used_runs), SUM(b.used_known),"
	" SUM(b.import_runs), SUM(b.import_us)" FROM_RP
	" WHERE true GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, name_id, syshost, version) DO UPDATE SET " ADD("sum_pkg", "runs") ", "
	ADD("sum_pkg", "direct_runs") ", " ADD("sum_pkg", "direct_used") ", "
	ADD("sum_pkg", "used_runs") ", " ADD("sum_pkg", "used_known") ", "
	ADD("sum_pkg", "import_runs") ", " ADD("sum_pkg", "import_us") ";\n"

	PRESENCE_DIRECT("pres_pkg", "name_id, syshost, version", PKG_MATCH, PKG_USERS)

	"INSERT INTO sum_dep (lvl, p, name_id, syshost, by_id, runs)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.name_id, b.syshost, b.by_id, SUM(b.runs)" FROM_RP
	" WHERE b.by_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, name_id, syshost, by_id) DO UPDATE SET " ADD("sum_dep", "runs") ";\n"

	PRESENCE("pres_dep", "name_id, syshost, by_id", DEP_MATCH, DEP_USERS)

	"INSERT INTO sum_exec (lvl, p, syshost, exec_id, runs, rt_runs, run_ms)"
	" SELECT lv.lvl, " PERIOD("r.day") ", r.syshost, r.exec_id, COUNT(*), COUNT(r.run_ms),"
	" COALESCE(SUM(r.run_ms), 0)" FROM_RUNS " WHERE true GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
	" ON CONFLICT (lvl, p, syshost, exec_id) DO UPDATE SET " ADD("sum_exec", "runs") ", "
	ADD("sum_exec", "rt_runs") ", " ADD("sum_exec", "run_ms") ";\n"

	PRESENCE("pres_exec", "syshost, exec_id", EXEC_MATCH, EXEC_USERS)

	"INSERT INTO sum_lib (lvl, p, syshost, library_id, w, bits, runs)"
	" SELECT lv.lvl, " PERIOD("b.day") ", b.syshost, b.library_id, " USER_WORD("b.user_id") ","
	" @BIT_OR@(" USER_BIT("b.user_id") "), SUM(b.runs) FROM b_lib b" LEVELS
	" GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, syshost, library_id, w) DO UPDATE SET " OR_IN("sum_lib", "bits") ", "
	ADD("sum_lib", "runs") ";\n"

	"INSERT INTO lib_rank (library_id, runs) SELECT b.library_id, SUM(b.runs) FROM b_lib b"
	" GROUP BY 1 ORDER BY 1 ON CONFLICT (library_id) DO UPDATE SET " ADD("lib_rank", "runs") ";\n"

	"INSERT INTO sum_kind (lvl, p, interp, syshost, user_id, system_runs, venv_runs, conda_runs, runs)"
	" SELECT lv.lvl, " PERIOD("r.day") ", r.interp, r.syshost, r.user_id,"
	" SUM(CASE WHEN r.interp_kind = 'system' THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN r.interp_kind = 'venv' THEN 1 ELSE 0 END),"
	" SUM(CASE WHEN r.interp_kind = 'conda' THEN 1 ELSE 0 END), COUNT(*)" FROM_RUNS
	" WHERE r.interp IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
	" ON CONFLICT (lvl, p, interp, syshost, user_id) DO UPDATE SET "
	ADD("sum_kind", "system_runs") ", " ADD("sum_kind", "venv_runs") ", "
	ADD("sum_kind", "conda_runs") ", " ADD("sum_kind", "runs") ";\n"

	"INSERT INTO pres_host (lvl, p, host_id)"
	" SELECT DISTINCT lv.lvl, " PERIOD("r.day") ", r.host_id" FROM_RUNS
	" WHERE true ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING;\n";

/*
 * PostgreSQL plans the batch tables by their statistics (db_analyze_batch):
 * without them it hash-joined the batch to all of runs (a scan of the table
 * per batch: server CPU grew with the history, 17x at 50,000 runs). With
 * them it looks the batch's rows up by key.
 */
int summary_add(struct db *db)
{
	char *join = db_expand(db, batch_join), *ups = db_expand(db, upserts);
	int rc;

	/* the fills, statistics, then the upserts */
	rc = db_analyze_batch(db, "new_runs, new_rp (run_id, package_id, day, name_id, user_id,"
			      " imported_by_id)") || db_exec(db, join) ||
	     db_analyze_batch(db, "b_runs (id, day, syshost, host_id, exec_id, user_id, libset_id,"
			      " interp, interp_kind), b_rp (day, name_id, syshost, version, user_id,"
			      " by_id), b_lib (day, syshost, library_id, user_id)") ||
	     db_exec(db, ups) ? -1 : 0;
	free(join);
	free(ups);
	/* PostgreSQL empties them at commit (ON COMMIT DELETE ROWS) */
	if (!rc && strcmp(db_kind(db), "postgresql"))
		rc = db_exec(db, "DELETE FROM new_runs; DELETE FROM new_rp; DELETE FROM b_runs;"
			     " DELETE FROM b_rp; DELETE FROM b_lib");
	return rc;
}

/* === rebuild =============================================================== */

/* The summary tables, emptied before a rebuild. */
static const char *const summary_tables[] = {
	"sum_pkg", "pres_pkg", "sum_dep", "pres_dep", "sum_exec", "pres_exec", "sum_lib",
	"lib_rank", "sum_kind", "pres_host",
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
	xbuf_addstr(&sql, "INSERT INTO new_runs (id, day) SELECT id, day FROM runs;\nINSERT INTO new_rp (");
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

/* === version 7 ============================================================= */

/* A version-6 presence table (a row per user) into words, in place. */
#define TO_WORDS(t, ddl, cols, value, agg) \
	ddl(t "_new") "INSERT INTO " t "_new (lvl, p, " cols ", w, bits" value ")" \
	" SELECT lvl, p, " cols ", " USER_WORD("user_id") ", @BIT_OR@(" USER_BIT("user_id") ")" agg \
	" FROM " t " GROUP BY lvl, p, " cols ", " USER_WORD("user_id") ";\n" \
	"DROP TABLE " t ";\nALTER TABLE " t "_new RENAME TO " t ";\n"

/*
 * Version 6's libraries (sum_lib's runs per key, pres_lib's users) into
 * version 7's sum_lib: a key's runs on its first word (a key without users,
 * which version 6 never wrote, on word 0 with no bit: its runs still count).
 */
#define LIBS_TO_WORDS \
	SUM_LIB("sum_lib_new") "INSERT INTO sum_lib_new (lvl, p, syshost, library_id, w, bits, runs)" \
	" SELECT lvl, p, syshost, library_id, w, @BIT_OR@(bits), SUM(runs) FROM" \
	" (SELECT lvl, p, syshost, library_id, " USER_WORD("user_id") " AS w, " USER_BIT("user_id") \
	" AS bits, 0 AS runs FROM pres_lib UNION ALL SELECT s.lvl, s.p, s.syshost, s.library_id," \
	" COALESCE((SELECT MIN(" USER_WORD("e.user_id") ") FROM pres_lib e WHERE e.lvl = s.lvl" \
	" AND e.p = s.p AND e.syshost = s.syshost AND e.library_id = s.library_id), 0), 0, s.runs" \
	" FROM sum_lib s) u GROUP BY lvl, p, syshost, library_id, w;\n" \
	"DROP TABLE pres_lib;\nDROP TABLE sum_lib;\nALTER TABLE sum_lib_new RENAME TO sum_lib;\n"

/*
 * Version 7 keeps users as words (summary.h), and libraries' runs with
 * them. The rows of version 6 convert exactly (a pruned database too). Table
 * by table, while it has version 6's form (pres_lib: its users per row):
 * a database migrated from an older version in the same run has version
 * 7's tables already (its version-5 step creates summary_schema).
 */
int summary_users_as_words(struct db *db)
{
	static const struct { const char *table, *sql, *made; } convert[] = {
		{ "pres_pkg", TO_WORDS("pres_pkg", PRES_PKG, "name_id, syshost, version", ", dbits",
			", @BIT_OR@(CASE WHEN direct = 1 THEN " USER_BIT("user_id") " ELSE 0 END)"),
		  "pres_pkg" },
		{ "pres_dep", TO_WORDS("pres_dep", PRES_DEP, "name_id, syshost, by_id", "", ""),
		  "pres_dep" },
		{ "pres_exec", TO_WORDS("pres_exec", PRES_EXEC, "syshost, exec_id", "", ""),
		  "pres_exec" },
		{ "pres_lib", LIBS_TO_WORDS, "sum_lib" },
	};
	int pg = !strcmp(db_kind(db), "postgresql");

	for (size_t i = 0; i < sizeof(convert) / sizeof(convert[0]); i++) {
		const char *t = convert[i].made;
		int old = db_column_exists(db, convert[i].table, "user_id"), rc;
		char *sql;

		if (old <= 0) {
			if (old < 0)
				return -1;
			continue;
		}
		sql = db_expand(db, convert[i].sql);
		rc = db_exec(db, sql);
		free(sql);
		if (rc)
			return -1;
		if (!pg)
			continue;
		/* PostgreSQL named the key after the new table's first name, and
		 * plans by statistics the new table lacks */
		struct xbuf fix = XBUF_INIT;
		xbuf_addf(&fix, "ALTER INDEX %s_new_pkey RENAME TO %s_pkey; ANALYZE %s", t, t, t);
		rc = db_exec(db, fix.buf);
		xbuf_release(&fix);
		if (rc)
			return -1;
	}
	return 0;
}

/* === version 6 ============================================================= */

/*
 * Schema version 5 kept libraries per library set (sum_libset,
 * pres_libset); the libraries report expanded every set's rows at report
 * time (3.2 s at ten generated days). Version 6 keeps them per library, in
 * its own form (the version-7 step converts that on). The library rows
 * follow from the set rows exactly (a set's libraries are fixed), so a
 * pruned database converts too. A database migrated from an older version
 * in the same run has version 7's tables already (its version-5 step
 * creates summary_schema): nothing to do.
 */
int summary_libs_from_sets(struct db *db)
{
	static const char convert[] =
		"CREATE TABLE sum_lib (" PER "syshost @TEXT@ NOT NULL, library_id @INT@ NOT NULL"
		CNT("runs") "," KEY("lvl, p, syshost, library_id")
		"CREATE TABLE pres_lib (" PER "syshost @TEXT@ NOT NULL, library_id @INT@ NOT NULL,"
		" user_id @INT@ NOT NULL," KEY("lvl, p, syshost, library_id, user_id")
		"INSERT INTO sum_lib (lvl, p, syshost, library_id, runs)"
		" SELECT lvl, p, syshost, library_id, SUM(runs) FROM"
		" (SELECT s.lvl, s.p, s.syshost, ll.library_id, s.libset_id, MAX(s.runs) AS runs"
		" FROM sum_libset s JOIN libset_library ll ON ll.libset_id = s.libset_id"
		" GROUP BY 1, 2, 3, 4, 5) g GROUP BY 1, 2, 3, 4;\n"
		"INSERT INTO pres_lib (lvl, p, syshost, library_id, user_id)"
		" SELECT DISTINCT s.lvl, s.p, s.syshost, ll.library_id, s.user_id FROM pres_libset s"
		" JOIN libset_library ll ON ll.libset_id = s.libset_id;\n"
		"DROP TABLE sum_libset;\nDROP TABLE pres_libset;\n";
	char *sql;
	int has = db_table_exists(db, "sum_libset"), rc;

	if (has <= 0)
		return has;
	sql = db_expand(db, convert);
	rc = db_exec(db, sql);
	free(sql);
	return rc;
}

/* === version 8 ============================================================= */

const char summary_lib_rank[] =
	LIB_RANK "DELETE FROM lib_rank;\n"
	"INSERT INTO lib_rank (library_id, runs) SELECT library_id, SUM(runs) FROM sum_lib"
	" WHERE lvl = 2 GROUP BY library_id ORDER BY library_id;\n";

/* === version 9 ============================================================= */

/*
 * PostgreSQL keeps a table's rows where there was room, not in key order,
 * and marks a page all-visible (what an index-only scan needs) only until a
 * row on it changes. sum_lib's day rows shared their pages with the block
 * and all-time rows that every batch updates: a week's 234,000 day rows
 * lay on 24,000 pages, each read at some 25 µs by `libraries` over a
 * window (a generated fifth of a year; bench/RESULTS.md, "Reports over a
 * window on PostgreSQL"). So sum_lib is partitioned by level: the day
 * rows in a table of their own (sum_lib_day), where a past day's rows stay
 * together and unchanged, with an index holding every column the ranked
 * reports read of them: the window's runs per library, then the first
 * keys' users by (day, key) (report.c, rows_of_keys), from the index
 * alone. An update of an indexed column is never a HOT update, and runs
 * changes at every upsert: the index is on the day partition only, so the
 * block and all-time rows keep their HOT updates. pres_pkg's rows change
 * only when a user is new to them: a partial index on its day rows
 * serves packages (and versions) over days. SQLite needs none of this: its
 * tables are ordered by their keys (WITHOUT ROWID).
 */
static const char day_partitions[] =
	"ALTER TABLE sum_lib RENAME TO sum_lib_v8;\n"
	"ALTER INDEX sum_lib_pkey RENAME TO sum_lib_v8_pkey;\n"
	"CREATE TABLE sum_lib (" PER "syshost @TEXT@ NOT NULL, library_id @INT@ NOT NULL, " WORD
	CNT("runs") ", PRIMARY KEY (lvl, p, syshost, library_id, w)) PARTITION BY LIST (lvl);\n"
	"CREATE TABLE sum_lib_day PARTITION OF sum_lib FOR VALUES IN (0);\n"
	"CREATE TABLE sum_lib_block PARTITION OF sum_lib FOR VALUES IN (1);\n"
	"CREATE TABLE sum_lib_all PARTITION OF sum_lib FOR VALUES IN (2);\n"
	"INSERT INTO sum_lib (lvl, p, syshost, library_id, w, bits, runs)"
	" SELECT lvl, p, syshost, library_id, w, bits, runs FROM sum_lib_v8"
	" ORDER BY lvl, p, syshost, library_id, w;\n"
	"DROP TABLE sum_lib_v8;\n";

static const char day_indexes[] =
	"CREATE INDEX IF NOT EXISTS sum_lib_days ON sum_lib_day (p, library_id)"
	" INCLUDE (runs, syshost, w, bits);\n"
	"CREATE INDEX IF NOT EXISTS pres_pkg_days ON pres_pkg (p, name_id)"
	" INCLUDE (syshost, version, w, bits, dbits) WHERE lvl = 0;\n";

int summary_day_rows(struct db *db)
{
	/* partitioned already: a database of version 9 or later whose version
	 * row was set back by hand (tests), or the step run again */
	int parted = db_table_exists(db, "sum_lib_day");
	char *sql;
	int rc;

	if (parted < 0)
		return -1;
	sql = db_expand(db, day_partitions);
	rc = (!parted && db_exec(db, sql)) || db_exec(db, day_indexes) ? -1 : 0;
	free(sql);
	return rc;
}
