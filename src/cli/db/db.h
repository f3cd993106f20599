/*
 * The database layer of the `xalt` CLI: one schema and one set of queries on
 * SQLite (the embedded default) and PostgreSQL (a site server, via libpq).
 *
 * SQL is written once, with `?` placeholders, in the dialect both engines
 * share (ON CONFLICT, RETURNING, window functions); the PostgreSQL backend
 * renumbers placeholders to $1..$n. The few DDL words that differ are written
 * as @ID@, @INT@, @REAL@, @NOROWID@, @TEXT@ and expanded by the backend.
 *
 * Bulk rows (integer-only join tables, millions of rows) go through
 * struct db_bulk: SQLite inserts them at once with a prepared statement,
 * PostgreSQL buffers them and sends one COPY per table at commit time
 * (one transaction and one round trip per record made the reference tool
 * take 4.5 days for 5 M runs: docs/database.md, "Why").
 *
 * Errors are reported with error() by the layer itself; callers get -1/NULL.
 */
#ifndef XALT_DB_H
#define XALT_DB_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>

struct db;
struct db_stmt;
struct db_bulk;

/* db_step results */
enum { DB_DONE = 0, DB_ROW = 1 };

/* Schema version this binary writes and reads (table schema_version). */
#define DB_SCHEMA_VERSION 11

/*
 * The day of a run: whole days since 1970-01-01 UTC of its start time. The
 * summary tables, the monthly partitions and `db prune` all key on it, so
 * it is computed here (the loader stores it); SQL computes it only once, when
 * a migration fills the column of rows stored before (db_ops.ddl_day).
 */
static inline int64_t db_day(double start_time)
{
	return (int64_t)floor(start_time / 86400.0);
}

/*
 * Resolve the --db argument: NULL means $XDG_DATA_HOME/xalt/xalt.db, else
 * ~/.local/share/xalt/xalt.db. Returns a malloc'd string the caller frees.
 */
char *db_default_spec(const char *spec);

/* True when spec names a PostgreSQL server (postgresql:// or postgres://). */
int db_spec_is_pg(const char *spec);

/*
 * Open a database. With create, a missing SQLite file (and its directory,
 * mode 0700) is created; without, a missing file is an error. Returns NULL
 * after printing an error.
 */
struct db *db_open(const char *spec, int create);
/* Close, rolling back an open transaction; frees everything. NULL is fine. */
void db_close(struct db *db);
/* "sqlite" or "postgresql" */
const char *db_kind(const struct db *db);

/* Run SQL without parameters or rows (may hold several statements). 0 or -1. */
int db_exec(struct db *db, const char *sql);

/*
 * Statistics for a batch's tables before the statements that join them:
 * PostgreSQL plans by them (SQLite: nothing to do). tables: a
 * comma-separated list, each table with the columns to look at, "t (a, b)",
 * or alone for all of them. 0 or -1.
 */
int db_analyze_batch(struct db *db, const char *tables);

/* What a commit survives. */
enum db_durability {
	DB_DURABLE_CRASH,   /* the default: a crash or power cut leaves the database
			     * consistent, possibly without its last commits */
	DB_DURABLE_FULL,    /* every commit survives a power cut (one fsync each) */
};
/* Set it for the commits that follow. A no-op on PostgreSQL, whose commits
 * are durable already. 0, or -1 after error(). */
int db_set_durability(struct db *db, enum db_durability d);

/* Transactions; commit flushes every bulk buffer first. 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* Prepared statements; `?` placeholders numbered from 1. NULL on error.
 * Bound text is not copied: it must stay valid until the statement is
 * stepped to its end, reset or rebound. */
struct db_stmt *db_prepare(struct db *db, const char *sql);
void db_bind_str(struct db_stmt *st, int i, const char *s); /* NULL binds NULL */
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_null(struct db_stmt *st, int i);
/* Execute (first call) and advance: DB_ROW, DB_DONE, or -1 after error(). */
int db_step(struct db_stmt *st);
/* Make the statement ready to bind and run again (bindings are kept). */
void db_reset(struct db_stmt *st);
void db_finalize(struct db_stmt *st);
/* Columns of the current row; text is valid until the next step/reset. */
int db_column_is_null(struct db_stmt *st, int i);
const char *db_column_text(struct db_stmt *st, int i);  /* "" for NULL */
int64_t db_column_int64(struct db_stmt *st, int i);
double db_column_double(struct db_stmt *st, int i);

/*
 * Bulk insertion of integer rows into table(cols...).
 * db_bulk_row takes ncols values; a value equal to DB_BULK_NULL stores NULL.
 * Rows are buffered and written at db_commit (SQLite: sorted by the columns
 * in the order given, so list the primary key first). A duplicate key fails
 * the commit: callers insert each key once. Returns 0 or -1.
 */
#define DB_BULK_NULL INT64_MIN
struct db_bulk *db_bulk_open(struct db *db, const char *table, const char *const *cols, int ncols);
int db_bulk_row(struct db_bulk *b, const int64_t *vals);

/*
 * Rows of any type for one COPY per table (PostgreSQL only: SQLite inserts
 * row by row, with prepared statements, as fast as it can take them).
 * db_can_copy says whether db has them. A row is its values in column order,
 * then db_copy_end_row; text may hold any byte but NUL (escaped here). The
 * rows are sent at db_flush or db_commit, like bulk rows.
 */
int db_can_copy(const struct db *db);
struct db_bulk *db_copy_open(struct db *db, const char *table, const char *const *cols, int ncols);
void db_copy_str(struct db_bulk *b, const char *s);    /* NULL copies NULL */
void db_copy_int64(struct db_bulk *b, int64_t v);     /* DB_BULK_NULL copies NULL */
void db_copy_double(struct db_bulk *b, double v);
void db_copy_null(struct db_bulk *b);
void db_copy_end_row(struct db_bulk *b);

/* Send every buffered bulk and copy row now, inside the open transaction
 * (db_commit does it too). 0 or -1. */
int db_flush(struct db *db);

/* A second connection to the database db was opened on (PostgreSQL: a new
 * session; SQLite: the same file). NULL after error(). */
struct db *db_open_again(const struct db *db);

/*
 * Schema: the version stored in the database (0 for an empty database, -1
 * on error), and migration to DB_SCHEMA_VERSION (creates it when empty).
 */
int db_schema_version(struct db *db);
int db_migrate(struct db *db);
/* Inside a writing transaction: hold off migrations until it ends, and
 * check the database is still at this xalt's version. 0, or -1 after
 * error(). */
int db_hold_schema(struct db *db);

/* Whether the current schema has a table of this name: 1, 0, or -1 on error. */
int db_table_exists(struct db *db, const char *name);
/* Whether that table has a column of this name: 1, 0, or -1 on error. */
int db_column_exists(struct db *db, const char *table, const char *column);

/* Open for reading and check the schema version; NULL after an error. */
struct db *db_open_current(const char *spec);

/* --- db-part.c: PostgreSQL's monthly partitions (docs/database.md) ------- */

/* A calendar month (UTC) and its days: first <= day < end. */
struct db_month {
	int64_t year;               /* e.g. 2026 */
	int month;                  /* 1..12 */
	int64_t first, end;         /* db_day of its first day, of the next month's */
};
/* The month holding day (a db_day). This function can't fail. */
void db_month_of_day(int64_t day, struct db_month *mo);
/* Days since 1970-01-01 of y-m-d (proleptic Gregorian), and back. */
int64_t db_days_from_civil(int64_t y, int m, int d);
void db_civil_from_days(int64_t day, int64_t *y, int *m, int *d);
struct xbuf;
/* Append the name of table's partition of mo ("runs_2026_11") to sb. */
void db_part_name(struct xbuf *sb, const char *table, const struct db_month *mo);
/* The advisory lock key held while months are created or pruned. */
#define DB_PART_LOCK "2019650676"      /* "xalt" */
/* The advisory lock key held while a migration step runs (db_migrate,
 * exclusive) and while a writer's transaction runs (db_hold_schema,
 * shared). Order: a transaction takes it first, before DB_PART_LOCK or any
 * table lock. A prune holding DB_PART_LOCK while it waited for this one
 * behind a migration, which waits for a loader's batch, whose entities'
 * connection waits for DB_PART_LOCK, would be a cycle PostgreSQL cannot
 * see (the loader's two connections wait for each other in the client). */
#define DB_MIGRATE_LOCK "2019650677"
/* PostgreSQL: create the partitions of day's month unless they exist, in a
 * transaction of its own (db must have none open). 0, or -1 after error(). */
int db_part_ensure(struct db *db, int64_t day);
/* PostgreSQL, inside the migration to schema 4: partition runs and
 * run_package, moving their rows. 0, or -1 after error(). */
int db_part_layout(struct db *db);
/* PostgreSQL, inside the migration to schema 10: the table of every stored
 * run's uuid (run_uuids), filled from runs. 0, or -1 after error(). */
int db_part_uuids(struct db *db);
/* PostgreSQL, inside the migration to schema 11: run_package's ids and flags
 * in 32 and 16 bits (rewrites the table). 0, or -1 after error(). */
int db_part_narrow(struct db *db);

/* --- db-prune.c: `xalt db prune` (docs/database.md, "Retention") ------- */

/* YYYY-MM-DD (a real date) to its db_day. 0, or -1 when s is no date. */
int db_parse_date(const char *s, int64_t *day);
#define DB_DATE_MAX 24
/* day as YYYY-MM-DD. This function can't fail. */
void db_format_day(int64_t day, char out[DB_DATE_MAX]);
/* The first day whose raw rows are kept: 1 and *day set when something
 * was pruned, 0 when nothing was, -1 after error(). */
int db_first_raw_day(struct db *db, int64_t *day);
/* Drop the raw rows (runs, run_package) of runs whose day is before day,
 * and record day as the first kept one (never moved back). Summaries and
 * entities are kept. 0, or -1 after error(). */
int db_prune(struct db *db, int64_t day);

/*
 * sql with this engine's words expanded: @ID@, @INT@, @REAL@, @NOROWID@,
 * @TEXT@ (DDL), @DAY@ (runs.day from start_time) and @RUN_MS@ (a run's
 * r.run_time in whole milliseconds, rounded half up; NULL when unknown or
 * beyond 10^12 s). Returns a malloc'd string the caller frees; can't fail.
 */
char *db_expand(const struct db *db, const char *sql);

/* db-stats.c: rows and bytes per table, and bytes per stored package
 * record, printed to out. 0, or -1 after error(). */
int db_stats_print(struct db *db, FILE *out);

/* --- backend interface (db-sqlite.c, db-pg.c) ------------------------------- */
struct db_ops {
	const char *kind;
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	/* what db_begin runs: every transaction we open writes */
	const char *sql_begin;
	int (*set_durability)(struct db *db, enum db_durability d);
	struct db_stmt *(*prepare)(struct db *db, const char *sql);
	void (*bind)(struct db_stmt *st, int i, int type, const void *p, size_t len);
	int (*step)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	void (*finalize)(struct db_stmt *st);
	int (*column_is_null)(struct db_stmt *st, int i);
	const char *(*column_text)(struct db_stmt *st, int i);
	int (*bulk_init)(struct db_bulk *b);
	int (*bulk_row)(struct db_bulk *b, const int64_t *vals);
	int (*bulk_flush)(struct db_bulk *b);
	void (*bulk_free)(struct db_bulk *b);
	/* typed copy rows, NULL when the engine has none (db_can_copy) */
	void (*copy_value)(struct db_bulk *b, int type, const void *p, size_t len);
	void (*copy_end_row)(struct db_bulk *b);
	const char *ddl_id, *ddl_int, *ddl_real, *ddl_norowid, *ddl_text;
	/* the summaries' user words (summary.h): an OR aggregate of BIGINTs
	 * (@BIT_OR@), and a population count written @POPCOUNT@(x@BITS@) */
	const char *ddl_bit_or, *ddl_popcount, *ddl_bits;
	/* runs.day from runs.start_time in SQL: migrations only (db_day) */
	const char *ddl_day;
	/* r.run_time in whole ms (@RUN_MS@): the one rule both the raw and the
	 * summarised executables report sum, so their answers are equal */
	const char *ddl_run_ms;
};

enum { DB_T_NULL, DB_T_TEXT, DB_T_INT64, DB_T_DOUBLE };

struct db {
	const struct db_ops *ops;   /* backend */
	struct db_bulk *bulks;      /* open bulk inserters, flushed at commit */
	int in_txn;                 /* a transaction is open */
	char *spec;                 /* what it was opened with (db_open_again) */
	void *impl;                 /* sqlite3 * or PGconn * */
};

struct db_stmt {
	struct db *db;              /* owner */
	void *impl;                 /* backend statement */
};

struct db_bulk {
	struct db *db;              /* owner */
	struct db_bulk *next;       /* list of db->bulks */
	char *table;                /* table name */
	char **cols;                /* column names */
	int ncols;                  /* number of columns */
	void *impl;                 /* backend state */
};

struct db *db_sqlite_open(const char *path, int create);
struct db *db_pg_open(const char *conninfo);

#endif
