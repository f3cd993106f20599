/*
 * `xalt db prune --before DATE`: drop the raw rows (runs, run_package) of
 * runs whose day (db_day) is before DATE, and record the first day kept
 * (table retention), so reports that need raw rows can say what they see.
 * Summary and entity tables are never touched: reports answered from
 * summaries keep answering over pruned months.
 *
 * PostgreSQL drops whole months (DROP TABLE of their partitions, db-part.c)
 * and deletes the rest of the month holding DATE, in one transaction under
 * the partitions' advisory lock. When it drops a month it first takes the
 * parents ACCESS EXCLUSIVE, never holding one while it waits for the other
 * (LOCK_PARENTS: loaders and reports take them in opposite orders); its
 * deletes take runs first, as a rebuild does. That waits for the batches
 * being moved, and loaders wait for it. No loader
 * holds a lock on runs while it waits for something of ours (load.c,
 * ensure_months), so nobody deadlocks and no batch is lost.
 *
 * SQLite deletes in bounded transactions (a window of a table's key order
 * each: PRUNE_WINDOW_LAST), so a concurrent ingest waits at most one window, then gives the
 * pages back to the file system with incremental_vacuum when the database
 * has auto_vacuum = INCREMENTAL (set when it was created; an older file
 * keeps the pages for its next rows, or gives them back with VACUUM).
 *
 * Sections: dates | PostgreSQL | SQLite | prune
 */
#include "db.h"
#include "cli.h"
#include "xbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite: a transaction scans a window of 100,000 rows of a table's key
 * order (the OFFSET of its last row): a concurrent ingest waits at most that */
#define PRUNE_WINDOW_LAST "99999"

/* === dates =================================================================== */

int db_parse_date(const char *s, int64_t *day)
{
	static const char shape[] = "dddd-dd-dd";
	int64_t y, yy;
	int m, d, mm, dd;

	for (size_t i = 0; i < sizeof(shape); i++)     /* the NUL too: nothing after */
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day = db_days_from_civil(y, m, d);
	db_civil_from_days(*day, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;     /* 2026-02-30 is no date */
}

void db_format_day(int64_t day, char out[DB_DATE_MAX])
{
	int64_t y;
	int m, d;

	db_civil_from_days(day, &y, &m, &d);
	snprintf(out, DB_DATE_MAX, "%04" PRId64 "-%02d-%02d", y, m, d);
}

int db_first_raw_day(struct db *db, int64_t *day)
{
	struct db_stmt *st = db_prepare(db, "SELECT first_raw_day FROM retention");
	int rc;

	if (!st)
		return -1;
	rc = db_step(st);
	if (rc == DB_ROW && !db_column_is_null(st, 0)) {
		*day = db_column_int64(st, 0);
		rc = 1;
	} else {
		rc = rc < 0 ? -1 : 0;
	}
	db_finalize(st);
	return rc;
}

/* Append the statement recording day as the first day kept (never moving
 * it back: pruning before an earlier day changes nothing). */
static void add_retention(struct xbuf *sql, int64_t day)
{
	xbuf_addf(sql, "UPDATE retention SET first_raw_day = %" PRId64
		  " WHERE first_raw_day IS NULL OR first_raw_day < %" PRId64 ";\n", day, day);
}

/* === PostgreSQL ============================================================== */

/* Every partition of runs and run_package wholly before day: their names,
 * "a, b, ..." into sb. 0, or -1 after error(). */
static int pg_old_months(struct db *db, int64_t day, struct xbuf *sb, size_t *n)
{
	struct db_stmt *st = db_prepare(db,
		"SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
		" WHERE i.inhparent IN (CAST('runs' AS regclass), CAST('run_package' AS regclass))"
		" AND CAST((regexp_match(pg_get_expr(c.relpartbound, c.oid),"
		" 'TO \\(''([-0-9]+)''\\)'))[1] AS BIGINT) <= ? ORDER BY 1");
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, day);
	while ((rc = db_step(st)) == DB_ROW) {
		xbuf_addf(sb, "%s%s", *n ? ", " : "", db_column_text(st, 0));
		++*n;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * Both parents ACCESS EXCLUSIVE before a DROP, never holding one while
 * waiting for the other: loaders lock runs, then run_package (their move),
 * and reports on raw rows lock run_package, then runs (rp_filters), so any
 * fixed order deadlocks with one of them. It waits for runs, tries
 * run_package NOWAIT, and on failure lets runs go (the subtransaction ends)
 * and tries again 50 ms later, up to 2,400 times (2 minutes beyond the
 * waits for runs), then gives up with an error. Not a short wait for
 * run_package instead: a report that had waited deadlock_timeout for runs
 * checks for deadlocks at that moment, found the cycle and was cancelled.
 */
#define LOCK_PARENTS \
	"DO $$DECLARE tries int := 0; BEGIN LOOP BEGIN" \
	" LOCK TABLE ONLY runs IN ACCESS EXCLUSIVE MODE;" \
	" LOCK TABLE ONLY run_package IN ACCESS EXCLUSIVE MODE NOWAIT; RETURN;" \
	" EXCEPTION WHEN lock_not_available THEN tries := tries + 1; END;" \
	" IF tries >= 2400 THEN RAISE EXCEPTION 'run_package stayed in use for 2 minutes'; END IF;" \
	" PERFORM pg_sleep(0.05); END LOOP; END$$;\n"

static int pg_prune(struct db *db, int64_t day)
{
	struct xbuf sql = XBUF_INIT, old = XBUF_INIT;
	size_t n = 0;
	int rc;

	if (db_begin(db) || db_hold_schema(db) ||
	    db_exec(db, "SELECT pg_advisory_xact_lock(" DB_PART_LOCK ")") ||
	    pg_old_months(db, day, &old, &n)) {
		xbuf_release(&old);
		return -1;
	}
	if (n) {
		cli_trace("dropping %s", old.buf);
		xbuf_addf(&sql, "%sDROP TABLE %s;\n", LOCK_PARENTS, old.buf);
	}
	/* runs first, as everyone else locks them (a rebuild's SHARE locks) */
	xbuf_addf(&sql, "DELETE FROM runs WHERE day < %" PRId64 ";\n"
		  "DELETE FROM run_package WHERE day < %" PRId64 ";\n", day, day);
	add_retention(&sql, day);
	rc = db_exec(db, sql.buf) || db_commit(db) ? -1 : 0;
	xbuf_release(&sql);
	xbuf_release(&old);
	if (rc)
		return -1;
	/*
	 * The pruned runs' uuids, after the commit and holding no lock on runs:
	 * a loader inserting one of them waits for this delete, and it may be
	 * holding runs (its move), which the drop above needed. Until then a
	 * pruned uuid stays claimed: a record under it before the first day
	 * kept is rejected as pruned anyway, one after it as a conflict. A
	 * prune stopped here deletes them when run again.
	 */
	xbuf_addf(&sql, "DELETE FROM run_uuids WHERE day < %" PRId64, day);
	rc = db_begin(db) || db_hold_schema(db) || db_exec(db, sql.buf) || db_commit(db) ? -1 : 0;
	xbuf_release(&sql);
	return rc;
}

/* === SQLite ================================================================== */

/*
 * Delete the rows of table before day, a window of its key order per
 * transaction: window_sql gives the last key of the next window of rows
 * after the previous window (?s: the previous key), delete_sql deletes the
 * old rows between the previous key and that one (?s: previous key, last
 * key, day), last_sql the old rows after the previous key when no full
 * window is left. The first previous key is INT64_MIN. 0, or -1.
 */
static int sqlite_prune_table(struct db *db, int nkey, const char *window_sql,
			      const char *delete_sql, const char *last_sql, int64_t day)
{
	struct db_stmt *win = db_prepare(db, window_sql), *del = db_prepare(db, delete_sql),
		*last = db_prepare(db, last_sql);
	int64_t prev[3] = { INT64_MIN, INT64_MIN, INT64_MIN }, key[3];
	int rc = -1, more = 1;

	if (!win || !del || !last)
		goto out;
	while (more) {
		int k;
		for (k = 0; k < nkey; k++)
			db_bind_int64(win, k + 1, prev[k]);
		if ((k = db_step(win)) < 0)
			goto out;
		more = k == DB_ROW;
		for (int i = 0; more && i < nkey; i++)
			key[i] = db_column_int64(win, i);
		db_reset(win);
		struct db_stmt *st = more ? del : last;
		int p = 1;
		for (int i = 0; i < nkey; i++)
			db_bind_int64(st, p++, prev[i]);
		for (int i = 0; more && i < nkey; i++)
			db_bind_int64(st, p++, key[i]);
		db_bind_int64(st, p, day);
		k = db_begin(db) || db_hold_schema(db) || db_step(st) < 0 || db_commit(db);
		db_reset(st);
		if (k) {
			db_rollback(db);
			goto out;
		}
		memcpy(prev, key, sizeof(prev));
	}
	rc = 0;
out:
	db_finalize(win);
	db_finalize(del);
	db_finalize(last);
	return rc;
}

/*
 * The first day kept is recorded before any row goes: a prune stopped
 * between two windows (an error, a signal, a migration: db_hold_schema)
 * may leave some old rows deleted, and a rebuild from them would quietly lose
 * their summaries; with retention written first it refuses, and the
 * reports say what they cannot see. Pruning again finishes the work.
 */
static int sqlite_prune(struct db *db, int64_t day)
{
	struct xbuf sql = XBUF_INIT;
	int rc;

	add_retention(&sql, day);
	rc = db_begin(db) || db_hold_schema(db) || db_exec(db, sql.buf) || db_commit(db);
	xbuf_release(&sql);
	if (rc)
		return -1;
	/* run_package by its key (name_id, user_id, run_id); runs by id, which
	 * follows the load order, not the day: a window may delete nothing */
	rc = sqlite_prune_table(db, 3,
		"SELECT name_id, user_id, run_id FROM run_package"
		" WHERE (name_id, user_id, run_id) > (?, ?, ?)"
		" ORDER BY name_id, user_id, run_id LIMIT 1 OFFSET " PRUNE_WINDOW_LAST,
		"DELETE FROM run_package WHERE (name_id, user_id, run_id) > (?, ?, ?)"
		" AND (name_id, user_id, run_id) <= (?, ?, ?) AND day < ?",
		"DELETE FROM run_package WHERE (name_id, user_id, run_id) > (?, ?, ?) AND day < ?",
		day) ||
	     sqlite_prune_table(db, 1,
		"SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT 1 OFFSET " PRUNE_WINDOW_LAST,
		"DELETE FROM runs WHERE id > ? AND id <= ? AND day < ?",
		"DELETE FROM runs WHERE id > ? AND day < ?", day);
	if (rc) {
		char date[DB_DATE_MAX];
		db_format_day(day, date);
		return error("the prune stopped partway: raw rows before %s may be partly deleted"
			     " (run it again to finish)", date);
	}
	/* every old row is gone by now: a failure here only keeps the pages */
	if (db_exec(db, "PRAGMA incremental_vacuum"))
		warning("the raw rows are pruned, but their pages were not given back"
			" to the file system (the next rows reuse them)");
	return 0;
}

/* === prune =================================================================== */

int db_prune(struct db *db, int64_t day)
{
	int rc = strcmp(db_kind(db), "sqlite") ? pg_prune(db, day) : sqlite_prune(db, day);

	if (rc) {
		if (db->in_txn)
			db_rollback(db);
		return error("cannot prune the raw rows");
	}
	return 0;
}
