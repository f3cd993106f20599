/*
 * The engine-neutral half of the database layer (see db.h): choosing the
 * backend from --db, thin wrappers over the backend operations, bulk
 * buffers flushed at commit, and the schema with its version table.
 *
 * The schema is documented table by table in docs/database.md; change both
 * together and add a migration step (never edit a released step).
 *
 * Sections: backend choice | wrappers | bulk rows | schema and migrations
 */
#include "db.h"
#include "cli.h"
#include "summary.h"
#include "xbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* === backend choice ======================================================== */

char *db_default_spec(const char *spec)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	struct xbuf sb = XBUF_INIT;

	if (spec && *spec)
		return xstrdup(spec);
	if (xdg && *xdg == '/')
		xbuf_addf(&sb, "%s/xalt/xalt.db", xdg);
	else
		xbuf_addf(&sb, "%s/.local/share/xalt/xalt.db", home && *home ? home : ".");
	return xbuf_detach(&sb, NULL);
}

int db_spec_is_pg(const char *spec)
{
	return !strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11);
}

struct db *db_open(const char *spec, int create)
{
	struct db *db = db_spec_is_pg(spec) ? db_pg_open(spec) : db_sqlite_open(spec, create);

	if (db)
		db->spec = xstrdup(spec);
	return db;
}

struct db *db_open_again(const struct db *db)
{
	return db_open(db->spec, 0);
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->in_txn)
		db_rollback(db);
	while (db->bulks) {
		struct db_bulk *b = db->bulks;
		db->bulks = b->next;
		db->ops->bulk_free(b);
		for (int i = 0; i < b->ncols; i++)
			free(b->cols[i]);
		free(b->cols);
		free(b->table);
		free(b);
	}
	db->ops->close(db);
	free(db->spec);
	free(db);
}

const char *db_kind(const struct db *db)
{
	return db->ops->kind;
}

/* === wrappers ============================================================== */

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

/*
 * With the default sample (30,000 rows). A target of 10 (3,000) saved 2 of
 * the 42 s of server time of one generated day, but over ten days the move
 * then took up to 16 s for some batches, and the ingest was on course for
 * three times its 549 s: plans misled by the smaller sample. The callers
 * name the columns their statements join, match, filter or group on: a
 * column's statistics cost a sort of the sample, and the others (counters
 * that are only summed, a run's environment and command line) steer no
 * plan (one generated day's ANALYZE: 5.3 s of every column, 3.3 s of
 * those; bench/RESULTS.md, "ANALYZE of the columns plans use").
 */
int db_analyze_batch(struct db *db, const char *tables)
{
	struct xbuf sql = XBUF_INIT;
	int rc;

	if (strcmp(db_kind(db), "postgresql"))
		return 0;
	xbuf_addf(&sql, "ANALYZE %s", tables);
	rc = db_exec(db, sql.buf);
	xbuf_release(&sql);
	return rc;
}

int db_set_durability(struct db *db, enum db_durability d)
{
	return db->ops->set_durability(db, d);
}

int db_begin(struct db *db)
{
	if (db->ops->exec(db, db->ops->sql_begin))
		return -1;
	db->in_txn = 1;
	return 0;
}

int db_flush(struct db *db)
{
	for (struct db_bulk *b = db->bulks; b; b = b->next)
		if (db->ops->bulk_flush(b))
			return -1;
	return 0;
}

int db_commit(struct db *db)
{
	if (db_flush(db) || db->ops->exec(db, "COMMIT"))
		return -1;
	db->in_txn = 0;
	return 0;
}

int db_rollback(struct db *db)
{
	if (!db->in_txn)        /* BEGIN failed: nothing to roll back */
		return 0;
	db->in_txn = 0;
	return db->ops->exec(db, "ROLLBACK");
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	return db->ops->prepare(db, sql);
}

void db_bind_str(struct db_stmt *st, int i, const char *s)
{
	if (s)
		st->db->ops->bind(st, i, DB_T_TEXT, s, strlen(s));
	else
		st->db->ops->bind(st, i, DB_T_NULL, NULL, 0);
}

void db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->db->ops->bind(st, i, DB_T_INT64, &v, sizeof(v));
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
	st->db->ops->bind(st, i, DB_T_DOUBLE, &v, sizeof(v));
}

void db_bind_null(struct db_stmt *st, int i)
{
	st->db->ops->bind(st, i, DB_T_NULL, NULL, 0);
}

int db_step(struct db_stmt *st) { return st->db->ops->step(st); }
void db_reset(struct db_stmt *st) { st->db->ops->reset(st); }

void db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int db_column_is_null(struct db_stmt *st, int i) { return st->db->ops->column_is_null(st, i); }

const char *db_column_text(struct db_stmt *st, int i)
{
	const char *s = st->db->ops->column_text(st, i);
	return s ? s : "";
}

/* Both engines hand back text for every type we read; converting here keeps
 * the two backends' numbers identical (same strtod, same rounding). */
int64_t db_column_int64(struct db_stmt *st, int i)
{
	return strtoll(db_column_text(st, i), NULL, 10);
}

double db_column_double(struct db_stmt *st, int i)
{
	return strtod(db_column_text(st, i), NULL);
}

/* === bulk rows ============================================================= */

struct db_bulk *db_bulk_open(struct db *db, const char *table, const char *const *cols, int ncols)
{
	struct db_bulk *b = xcalloc(1, sizeof(*b));

	b->db = db;
	b->table = xstrdup(table);
	b->ncols = ncols;
	b->cols = xcalloc(ncols, sizeof(*b->cols));
	for (int i = 0; i < ncols; i++)
		b->cols[i] = xstrdup(cols[i]);
	if (db->ops->bulk_init(b)) {
		for (int i = 0; i < ncols; i++)
			free(b->cols[i]);
		free(b->cols);
		free(b->table);
		free(b);
		return NULL;
	}
	b->next = db->bulks;
	db->bulks = b;
	return b;
}

int db_bulk_row(struct db_bulk *b, const int64_t *vals)
{
	return b->db->ops->bulk_row(b, vals);
}

int db_can_copy(const struct db *db)
{
	return db->ops->copy_value != NULL;
}

struct db_bulk *db_copy_open(struct db *db, const char *table, const char *const *cols, int ncols)
{
	if (!db_can_copy(db)) {
		error("internal error: %s has no COPY", db->ops->kind);
		return NULL;
	}
	return db_bulk_open(db, table, cols, ncols);
}

void db_copy_str(struct db_bulk *b, const char *s)
{
	if (s)
		b->db->ops->copy_value(b, DB_T_TEXT, s, strlen(s));
	else
		b->db->ops->copy_value(b, DB_T_NULL, NULL, 0);
}

void db_copy_int64(struct db_bulk *b, int64_t v)
{
	b->db->ops->copy_value(b, v == DB_BULK_NULL ? DB_T_NULL : DB_T_INT64, &v, sizeof(v));
}

void db_copy_double(struct db_bulk *b, double v)
{
	b->db->ops->copy_value(b, DB_T_DOUBLE, &v, sizeof(v));
}

void db_copy_null(struct db_bulk *b)
{
	b->db->ops->copy_value(b, DB_T_NULL, NULL, 0);
}

void db_copy_end_row(struct db_bulk *b)
{
	b->db->ops->copy_end_row(b);
}

/* === schema and migrations ================================================= */

/*
 * Version 1. Why the shape (docs/database.md has every column):
 * - runs has an integer id besides its uuid key: the join tables repeat it
 *   millions of times (8 bytes, not 36).
 * - libraries are stored per distinct *set* (libsets): runs of one program
 *   share the set, so the join grows with distinct sets, not with runs
 *   (TACC's per-run join reached 2.1 billion rows: docs/database.md, "Why").
 * - run_package is keyed (name_id, user_id, run_id), which is unique because
 *   a run has one user and one entry per package name: the packages report
 *   then reads the table itself in key order, touching no other table (10 M
 *   rows in about 0.5 s here), and each package row costs one b-tree insert
 *   instead of two (table + index).
 * - Few indexes: every one costs each insert a b-tree descent (ingest
 *   budget: 200 k package rows/s). The reports group over whole tables;
 *   only the time window and the user filter use an index.
 * - Text columns sort bytewise on both engines (PostgreSQL: COLLATE "C"),
 *   so reports order ties identically.
 * - Unknown version/path are stored as '' so the unique key of packages
 *   works on both engines (NULLs are distinct in a UNIQUE constraint).
 */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version @INT@ NOT NULL);\n"
	"CREATE TABLE users (id @ID@, name @TEXT@ NOT NULL UNIQUE);\n"
	"CREATE TABLE hosts (id @ID@, syshost @TEXT@ NOT NULL, host @TEXT@ NOT NULL,"
	" UNIQUE (syshost, host));\n"
	"CREATE TABLE executables (id @ID@, path @TEXT@ NOT NULL, size @INT@ NOT NULL,"
	" mtime @INT@ NOT NULL, inode @INT@ NOT NULL, sha1 @TEXT@ NOT NULL, program @TEXT@ NOT NULL,"
	" UNIQUE (path, size, mtime, inode, sha1));\n"
	"CREATE TABLE libraries (id @ID@, path @TEXT@ NOT NULL UNIQUE);\n"
	"CREATE TABLE libsets (id @ID@, hash @TEXT@ NOT NULL UNIQUE, nlibs @INT@ NOT NULL);\n"
	"CREATE TABLE libset_library (libset_id @INT@ NOT NULL, library_id @INT@ NOT NULL,"
	" position @INT@ NOT NULL, PRIMARY KEY (libset_id, position))@NOROWID@;\n"
	"CREATE INDEX libset_library_library ON libset_library (library_id, libset_id);\n"
	"CREATE TABLE package_names (id @ID@, program @TEXT@ NOT NULL, name @TEXT@ NOT NULL,"
	" UNIQUE (program, name));\n"
	"CREATE TABLE packages (id @ID@, name_id @INT@ NOT NULL, version @TEXT@ NOT NULL,"
	" path @TEXT@ NOT NULL, UNIQUE (name_id, version, path));\n"
	"CREATE TABLE runs (id @ID@, uuid @TEXT@ NOT NULL UNIQUE,"
	" user_id @INT@ NOT NULL, uid @INT@, host_id @INT@ NOT NULL, exec_id @INT@ NOT NULL,"
	" libset_id @INT@, cwd @TEXT@, cmdline @TEXT@, start_time @REAL@ NOT NULL,"
	" end_time @REAL@, run_time @REAL@, exit_how @TEXT@, exit_status @INT@,"
	" exit_signal @INT@, sampling_probability @REAL@, sampling_forced @INT@,"
	" job_scheduler @TEXT@, job_id @TEXT@, job_ntasks @INT@, job_nnodes @INT@, job_rank @INT@,"
	" omp_num_threads @TEXT@, env @TEXT@, interp_program @TEXT@, interp_version @TEXT@,"
	" interp_kind @TEXT@, interp_prefix @TEXT@, origin @TEXT@ NOT NULL, ingested_at @REAL@ NOT NULL);\n"
	"CREATE INDEX runs_start_time ON runs (start_time);\n"
	"CREATE INDEX runs_user ON runs (user_id);\n"

	"CREATE TABLE run_package (name_id @INT@ NOT NULL, user_id @INT@ NOT NULL,"
	" run_id @INT@ NOT NULL, package_id @INT@ NOT NULL, import_us @INT@,"
	" PRIMARY KEY (name_id, user_id, run_id))@NOROWID@;\n"
	"INSERT INTO schema_version (version) VALUES (1);\n";

/*
 * Version 2: the fields of issues 10 and 11, all NULL in rows loaded from
 * older records (and in rows migrated from version 1: nothing was known).
 * runs: parent_uuid (parent_run_uuid), packages_lost (1 true, 0 false).
 * run_package: direct, startup, used (1, 0, NULL unknown), functions_used,
 * imported_by_id (package_names.id of the importer, same program). Nullable
 * columns without a default: ADD COLUMN rewrites nothing on either engine,
 * so migrating a year of rows costs no more than a small one.
 */
static const char schema_v2[] =
	"ALTER TABLE runs ADD COLUMN parent_uuid @TEXT@;\n"
	"ALTER TABLE runs ADD COLUMN packages_lost @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN direct @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN startup @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN used @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN functions_used @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN imported_by_id @INT@;\n"
	"UPDATE schema_version SET version = 2;\n";

/*
 * Version 3: the day of each run (db_day) on its run row and on its package
 * rows, the key of the summaries, of PostgreSQL's monthly partitions and of
 * `db prune`. Rows stored before get it from their run's start time.
 */
static const char schema_v3[] =
	"ALTER TABLE runs ADD COLUMN day @INT@;\n"
	"ALTER TABLE run_package ADD COLUMN day @INT@;\n"
	"UPDATE runs SET day = @DAY@;\n"
	"UPDATE run_package SET day = (SELECT r.day FROM runs r WHERE r.id = run_package.run_id);\n"
	"UPDATE schema_version SET version = 3;\n";

/*
 * Version 4: PostgreSQL partitions runs and run_package by month of day
 * (db-part.c: engine-specific work of its own, run first in the step: it
 * creates the months the rows need); SQLite keeps one table of each. Both
 * get the retention table: the first day whose raw rows are kept (NULL: all
 * are), written by `db prune`.
 */
static const char schema_v4[] =
	"CREATE TABLE retention (first_raw_day @INT@);\n"
	"INSERT INTO retention (first_raw_day) VALUES (NULL);\n"
	"UPDATE schema_version SET version = 4;\n";

/*
 * Version 5: the summary tables (summary.c), built from the raw rows by the
 * same SQL that keeps them at ingest.
 */
static const char schema_v5[] = "UPDATE schema_version SET version = 5;\n";

/*
 * Version 6: libraries summarised per library, not per library set
 * (summary_libs_from_sets converts a version-5 database's rows).
 */
static const char schema_v6[] = "UPDATE schema_version SET version = 6;\n";

/*
 * Version 7: presence rows per word of 64 users, not per user, and the
 * libraries' runs in their words' rows (pres_lib folded into sum_lib;
 * summary_users_as_words converts a version-6 database's rows).
 */
static const char schema_v7[] = "UPDATE schema_version SET version = 7;\n";

/* Version 8: libraries ranked by all-time runs (lib_rank; summary.c). */
static const char schema_v8[] = "UPDATE schema_version SET version = 8;\n";

/*
 * Version 9: PostgreSQL keeps sum_lib's day rows in a partition of their
 * own, and indexes them and pres_pkg's with the columns the ranked reports
 * read (summary_day_rows); SQLite's rows are in key order already.
 */
static const char schema_v9[] = "UPDATE schema_version SET version = 9;\n";

/*
 * Version 10: PostgreSQL keeps every stored run's uuid once (run_uuids,
 * db-part.c), which runs, unique per day only, cannot; SQLite's runs are
 * unique by uuid already.
 */
static const char schema_v10[] = "UPDATE schema_version SET version = 10;\n";

/* Version 11: PostgreSQL stores run_package's ids and flags in 32 and 16
 * bits (db_part_narrow); SQLite's integers take the bytes their values need. */
static const char schema_v11[] = "UPDATE schema_version SET version = 11;\n";

/* A step: PostgreSQL-only work first (NULL: none), its SQL, then the tables
 * it fills (NULL: none); one transaction. */
static const struct migration {
	int (*pg_first)(struct db *db);
	const char *const sql[2];
	int (*fill)(struct db *db);
} migrations[] = {
	{ NULL, { schema_v1, NULL }, NULL },
	{ NULL, { schema_v2, NULL }, NULL },
	{ NULL, { schema_v3, NULL }, NULL },
	{ db_part_layout, { schema_v4, NULL }, NULL },
	{ NULL, { summary_schema, schema_v5 }, summary_rebuild },
	{ NULL, { schema_v6, NULL }, summary_libs_from_sets },
	{ NULL, { schema_v7, NULL }, summary_users_as_words },
	{ NULL, { summary_lib_rank, schema_v8 }, NULL },
	{ summary_day_rows, { schema_v9, NULL }, NULL },
	{ db_part_uuids, { schema_v10, NULL }, NULL },
	{ db_part_narrow, { schema_v11, NULL }, NULL },
};

char *db_expand(const struct db *db, const char *sql)
{
	struct xbuf sb = XBUF_INIT;
	static const char *words[] = { "@ID@", "@INT@", "@REAL@", "@NOROWID@", "@TEXT@", "@DAY@",
				       "@RUN_MS@", "@BIT_OR@", "@POPCOUNT@", "@BITS@" };
	enum { NWORDS = sizeof(words) / sizeof(words[0]) };
	const char *rep[NWORDS] = { db->ops->ddl_id, db->ops->ddl_int, db->ops->ddl_real,
				    db->ops->ddl_norowid, db->ops->ddl_text, db->ops->ddl_day,
				    db->ops->ddl_run_ms, db->ops->ddl_bit_or, db->ops->ddl_popcount,
				    db->ops->ddl_bits };

	while (*sql) {
		int hit = 0;
		for (int w = 0; w < NWORDS && *sql == '@'; w++) {
			size_t n = strlen(words[w]);
			if (!strncmp(sql, words[w], n)) {
				xbuf_addstr(&sb, rep[w]);
				sql += n;
				hit = 1;
				break;
			}
		}
		if (!hit)
			xbuf_addch(&sb, *sql++);
	}
	return xbuf_detach(&sb, NULL);
}

/* Whether the catalog query (a count, of one engine or the other) with
 * these one or two names finds a row: 1, 0, or -1 on error. */
static int catalog_has(struct db *db, const char *sqlite_sql, const char *pg_sql,
		       const char *a, const char *b)
{
	struct db_stmt *st;
	int v = 0, rc;

	if (!(st = db_prepare(db, strcmp(db->ops->kind, "sqlite") ? pg_sql : sqlite_sql)))
		return -1;
	db_bind_str(st, 1, a);
	if (b)
		db_bind_str(st, 2, b);
	rc = db_step(st);
	if (rc == DB_ROW)
		v = db_column_int64(st, 0) > 0;
	db_finalize(st);
	return rc < 0 ? -1 : v;
}

int db_table_exists(struct db *db, const char *name)
{
	return catalog_has(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
			   "SELECT count(*) FROM information_schema.tables"
			   " WHERE table_name = ? AND table_schema = current_schema()", name, NULL);
}

int db_column_exists(struct db *db, const char *table, const char *column)
{
	return catalog_has(db, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?",
			   "SELECT count(*) FROM information_schema.columns WHERE table_name = ?"
			   " AND column_name = ? AND table_schema = current_schema()", table, column);
}

/* The version of a database that has the table. */
static int read_schema_version(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "SELECT max(version) FROM schema_version");
	int v;

	if (!st)
		return -1;
	v = db_step(st) == DB_ROW ? (int)db_column_int64(st, 0) : -1;
	db_finalize(st);
	return v;
}

int db_schema_version(struct db *db)
{
	int v = db_table_exists(db, "schema_version");

	return v <= 0 ? v : read_schema_version(db);
}

/*
 * The schema version, read in the open transaction once it holds the
 * migrators' lock (PostgreSQL: DB_MIGRATE_LOCK, exclusive for a migration
 * step, shared for a writer; SQLite: the write lock its BEGIN IMMEDIATE
 * took already). The lock and the read are two statements: one would read
 * with the snapshot taken before it waited, and miss the migration.
 */
static int locked_schema_version(struct db *db, int shared)
{
	if (!strcmp(db->ops->kind, "postgresql") &&
	    db_exec(db, shared ? "SELECT pg_advisory_xact_lock_shared(" DB_MIGRATE_LOCK ")"
			       : "SELECT pg_advisory_xact_lock(" DB_MIGRATE_LOCK ")"))
		return -1;
	/* A writer (shared) opened a database at this version, so the table is
	 * there: asking PostgreSQL's catalog first cost more than the rest of
	 * the hold (docs/database.md). A migration may start from an empty one. */
	return shared ? read_schema_version(db) : db_schema_version(db);
}

/*
 * Each step reads the version inside its own transaction, under the
 * writers' lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock):
 * two first ingests into a new database at once used to both see version
 * 0 and the second failed on "table schema_version already exists". The
 * second now waits and finds the work done.
 */
int db_migrate(struct db *db)
{
	int v = db_schema_version(db), pg = !strcmp(db->ops->kind, "postgresql"), to = v + 1;

	if (v < 0)
		return -1;
	while (v != DB_SCHEMA_VERSION) {
		if (v > DB_SCHEMA_VERSION)
			return error("database schema version %d is newer than this xalt (%d)",
				     v, DB_SCHEMA_VERSION);
		const struct migration *m;
		int rc = db_begin(db);
		to = v + 1;
		if (!rc && (v = locked_schema_version(db, 0)) < 0)
			rc = -1;
		if (!rc && v >= to) {   /* another process migrated meanwhile: v says how far */
			if (db_commit(db)) {
				v = -1;
				break;
			}
			continue;
		}
		if (!rc) {
			m = &migrations[v];
			rc = m->pg_first && pg && m->pg_first(db);
			for (int i = 0; i < 2 && !rc && m->sql[i]; i++) {
				char *sql = db_expand(db, m->sql[i]);
				rc = db_exec(db, sql);
				free(sql);
			}
			rc = rc || (m->fill && m->fill(db)) || db_commit(db);
		}
		if (rc)
			break;
		cli_trace("database migrated to schema version %d", ++v);
	}
	if (v == DB_SCHEMA_VERSION)
		return 0;
	db_rollback(db);
	return error("cannot migrate the database to schema version %d", to);
}

/*
 * A writer's transaction holds the schema it was written for: a migration
 * running now is waited for and one starting later waits for this
 * transaction (PostgreSQL: the migrators' advisory lock, shared; SQLite:
 * the write lock every writer holds from BEGIN IMMEDIATE). A loader still
 * running while a newer xalt migrates would otherwise go on writing the
 * old schema's rows into the new one (the lib_rank of version 8 would
 * have been left behind), so the version is read again here.
 */
int db_hold_schema(struct db *db)
{
	int v = locked_schema_version(db, 1);

	if (v < 0)
		return -1;
	if (v != DB_SCHEMA_VERSION)
		return error("the database is at schema version %d now and this xalt writes version %d"
			     " (changed since it was opened): nothing of this transaction was stored;"
			     " go on with the xalt that writes version %d", v, DB_SCHEMA_VERSION, v);
	return 0;
}

struct db *db_open_current(const char *spec)
{
	struct db *db = db_open(spec, 0);
	int v;

	if (!db)
		return NULL;
	/* a PostgreSQL URI may hold a password: never echo it */
	const char *name = db_spec_is_pg(spec) ? "(postgresql server)" : spec;

	v = db_schema_version(db);
	if (v != DB_SCHEMA_VERSION) {
		if (v == 0)
			error("database '%s' is empty: run 'xalt db init' or 'xalt ingest'", name);
		else if (v > 0)
			error("database '%s' has schema version %d, this xalt needs %d: run 'xalt db migrate'",
			      name, v, DB_SCHEMA_VERSION);
		db_close(db);
		return NULL;
	}
	return db;
}
