/*
 * `xalt db stats`: rows and bytes of every table of the schema, and what a
 * stored package record costs (issue 13's goal: <= 100 bytes).
 *
 * Bytes are a table's own pages plus its indexes' (SQLite: the dbstat
 * virtual table, per b-tree; PostgreSQL: pg_total_relation_size, which adds
 * TOAST, summed over a partitioned table's partitions). Rows are exact counts: a full scan of each table, so the command
 * costs about what a report over all rows does.
 */
#include "db.h"
#include "cli.h"
#include "xbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The tables of schema version DB_SCHEMA_VERSION, in docs/database.md's
 * order; run_uuids is PostgreSQL's only (db-part.c). */
static const char *const tables[] = {
	"schema_version", "users", "hosts", "executables", "libraries", "libsets",
	"libset_library", "package_names", "packages", "runs", "run_uuids", "run_package",
	"retention", "sum_pkg", "pres_pkg", "sum_dep", "pres_dep", "sum_exec", "pres_exec",
	"sum_lib", "lib_rank", "sum_kind", "pres_host",
};

/* One integer from a statement of one row; -1 after error(). */
static int64_t one_int(struct db *db, const char *sql, const char *arg)
{
	struct db_stmt *st = db_prepare(db, sql);
	int64_t v = -1;

	if (!st)
		return -1;
	if (arg)
		db_bind_str(st, 1, arg);
	if (db_step(st) == DB_ROW)
		v = db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

/*
 * The rows and bytes of table. PostgreSQL: in a transaction that locks the
 * parent first, as everyone does; pg_partition_tree locks the partitions
 * without it, and a prune holding the parent to drop one deadlocked with
 * us. 0, or -1.
 */
static int measure(struct db *db, const char *table, const char *size_sql, int64_t *rows,
		   int64_t *bytes)
{
	struct xbuf sql = XBUF_INIT;
	int pg = !strcmp(db_kind(db), "postgresql"), rc;

	xbuf_addf(&sql, "LOCK TABLE ONLY %s IN ACCESS SHARE MODE", table);
	rc = pg && (db_begin(db) || db_exec(db, sql.buf));
	xbuf_reset(&sql);
	xbuf_addf(&sql, "SELECT count(*) FROM %s", table);
	rc = rc || (*rows = one_int(db, sql.buf, NULL)) < 0 ||
	     (*bytes = one_int(db, size_sql, table)) < 0 || (pg && db_commit(db));
	if (rc)
		db_rollback(db);
	xbuf_release(&sql);
	return rc ? -1 : 0;
}

int db_stats_print(struct db *db, FILE *out)
{
	const char *size_sql = !strcmp(db_kind(db), "sqlite")
		? "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN"
		  " (SELECT name FROM sqlite_master WHERE tbl_name = ?)"
		/* a plain table is in no partition tree: count it itself too */
		: "SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)"
		  " FROM (SELECT CAST(? AS regclass) AS r) x,"
		  " LATERAL (SELECT relid FROM pg_partition_tree(x.r) UNION SELECT x.r) t";
	int64_t total_rows = 0, total_bytes = 0, pkg_rows = 0;

	fprintf(out, "%-16s %14s %16s\n", "table", "rows", "bytes");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int64_t rows, bytes;
		if (!strcmp(tables[i], "run_uuids") && !strcmp(db_kind(db), "sqlite"))
			continue;
		if (measure(db, tables[i], size_sql, &rows, &bytes))
			return error("cannot measure table '%s'", tables[i]);
		fprintf(out, "%-16s %14" PRId64 " %16" PRId64 "\n", tables[i], rows, bytes);
		total_rows += rows;
		total_bytes += bytes;
		if (!strcmp(tables[i], "run_package"))
			pkg_rows = rows;
	}
	fprintf(out, "%-16s %14" PRId64 " %16" PRId64 "\n", "total", total_rows, total_bytes);
	if (pkg_rows)
		fprintf(out, "bytes per package record: %.1f\n", (double)total_bytes / pkg_rows);
	else
		fprintf(out, "bytes per package record: - (no package record stored)\n");
	return 0;
}
