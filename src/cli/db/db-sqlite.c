/*
 * SQLite backend of the database layer (see db.h): the embedded default, one
 * file per user or site.
 *
 * Ingest speed rests on three settings: WAL journal with synchronous=NORMAL
 * (a commit is one WAL append, no fsync; FULL when db_set_durability asks,
 * one fsync per commit), one transaction per batch of records
 * (cmd-ingest.c), and prepared statements kept for the whole run. Bulk rows
 * are buffered and inserted in key order at commit.
 */
#include "db.h"
#include "cli.h"
#include "xbuf.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ(db) ((sqlite3 *)(db)->impl)
#define ST(st) (((struct sq_stmt *)(st)->impl)->s)

/*
 * A statement. "INSERT ... DO NOTHING RETURNING id" is run without its
 * RETURNING clause, and the new row's id is handed back as that clause
 * would: SQLite builds and drops a temporary table per execution for
 * RETURNING (callgrind: b-tree open/close, begin/halt were most of the
 * 43 k instructions per new package row). DO NOTHING only: after an
 * upsert's UPDATE, last_insert_rowid would be some other row.
 */
struct sq_stmt {
	sqlite3_stmt *s;
	int rowid_returning;    /* RETURNING id emulated */
	int have_id;            /* 1: a row with id is current, 2: it was stepped past */
	char id[24];            /* the id as text */
};

#define RETURNING_ID " RETURNING id"

static void sq_close(struct db *db)
{
	sqlite3_close(SQ(db));
}

static int sq_exec(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(SQ(db), sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("sqlite: %s", msg ? msg : sqlite3_errmsg(SQ(db)));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* NORMAL in WAL mode: a commit is a WAL append, synced at checkpoints
 * only; FULL syncs the WAL at every commit. */
static int sq_set_durability(struct db *db, enum db_durability d)
{
	return sq_exec(db, d == DB_DURABLE_FULL ? "PRAGMA synchronous=FULL"
						: "PRAGMA synchronous=NORMAL");
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql)
{
	struct sq_stmt *q = xcalloc(1, sizeof(*q));
	struct db_stmt *st;
	size_t n = strlen(sql), r = strlen(RETURNING_ID);

	if (!strncmp(sql, "INSERT ", 7) && n > r && !strcmp(sql + n - r, RETURNING_ID) &&
	    strstr(sql, " DO NOTHING" RETURNING_ID)) {
		q->rowid_returning = 1;
		n -= r;
	}
	if (sqlite3_prepare_v2(SQ(db), sql, (int)n, &q->s, NULL) != SQLITE_OK) {
		error("sqlite: %s", sqlite3_errmsg(SQ(db)));
		free(q);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->db = db;
	st->impl = q;
	return st;
}

static void sq_bind(struct db_stmt *st, int i, int type, const void *p, size_t len)
{
	switch (type) {
	case DB_T_TEXT:
		sqlite3_bind_text(ST(st), i, p, (int)len, SQLITE_STATIC);
		break;
	case DB_T_INT64:
		sqlite3_bind_int64(ST(st), i, *(const int64_t *)p);
		break;
	case DB_T_DOUBLE:
		sqlite3_bind_double(ST(st), i, *(const double *)p);
		break;
	default:
		sqlite3_bind_null(ST(st), i);
	}
}

static int sq_step(struct db_stmt *st)
{
	struct sq_stmt *q = st->impl;
	int rc;

	if (q->have_id) {       /* the emulated RETURNING row was read */
		q->have_id = 2;
		return DB_DONE;
	}
	rc = sqlite3_step(q->s);
	if (rc == SQLITE_DONE && q->rowid_returning && sqlite3_changes(SQ(st->db)) > 0) {
		snprintf(q->id, sizeof(q->id), "%lld", (long long)sqlite3_last_insert_rowid(SQ(st->db)));
		q->have_id = 1;
		return DB_ROW;
	}
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	error("sqlite: %s", sqlite3_errmsg(SQ(st->db)));
	return -1;
}

static void sq_reset(struct db_stmt *st)
{
	((struct sq_stmt *)st->impl)->have_id = 0;
	sqlite3_reset(ST(st));
}

static void sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(ST(st));
	free(st->impl);
	free(st);
}

static int sq_column_is_null(struct db_stmt *st, int i)
{
	if (((struct sq_stmt *)st->impl)->rowid_returning)
		return ((struct sq_stmt *)st->impl)->have_id != 1;
	return sqlite3_column_type(ST(st), i) == SQLITE_NULL;
}

/* Reals are printed with 17 significant digits so strtod gives the same
 * double back (sqlite3_column_text would round to 15). */
static const char *sq_column_text(struct db_stmt *st, int i)
{
	struct sq_stmt *q = st->impl;

	if (q->rowid_returning)
		return q->have_id == 1 ? q->id : NULL;
	if (sqlite3_column_type(ST(st), i) == SQLITE_FLOAT) {
		static char num[8][40];
		static int k;
		k = (k + 1) % 8;
		snprintf(num[k], sizeof(num[k]), "%.17g", sqlite3_column_double(ST(st), i));
		return num[k];
	}
	return (const char *)sqlite3_column_text(ST(st), i);
}

/*
 * Bulk rows are buffered and inserted at commit in sorted order (by the
 * columns as given, which callers list in primary-key order): consecutive
 * inserts then land on the same b-tree pages instead of random ones.
 */
struct sq_bulk {
	struct db_stmt *st;     /* the INSERT */
	int64_t *rows;          /* buffered rows, ncols values each */
	size_t n, alloc;        /* rows buffered / allocated */
};

static int sq_bulk_init(struct db_bulk *b)
{
	struct xbuf sql = XBUF_INIT;
	struct sq_bulk *sb = xcalloc(1, sizeof(*sb));

	xbuf_addf(&sql, "INSERT INTO %s (", b->table);
	for (int i = 0; i < b->ncols; i++)
		xbuf_addf(&sql, "%s%s", i ? ", " : "", b->cols[i]);
	xbuf_addstr(&sql, ") VALUES (");
	for (int i = 0; i < b->ncols; i++)
		xbuf_addstr(&sql, i ? ", ?" : "?");
	xbuf_addstr(&sql, ")");
	sb->st = sq_prepare(b->db, sql.buf);
	xbuf_release(&sql);
	if (!sb->st) {
		free(sb);
		return -1;
	}
	b->impl = sb;
	return 0;
}

static int sq_bulk_row(struct db_bulk *b, const int64_t *vals)
{
	struct sq_bulk *sb = b->impl;

	if (sb->n >= UINT32_MAX)     /* sort_rows orders 4-byte indices */
		return error("bulk insert into %s: too many rows in one batch", b->table);
	if (sb->n == sb->alloc) {
		sb->alloc = sb->alloc ? 2 * sb->alloc : 4096;
		sb->rows = xrealloc(sb->rows, sb->alloc * b->ncols * sizeof(int64_t));
	}
	memcpy(sb->rows + sb->n * b->ncols, vals, b->ncols * sizeof(int64_t));
	sb->n++;
	return 0;
}

/* Rows a and b of rows (ncols values each): <0, 0, >0 by columns in order. */
static int row_cmp(const int64_t *rows, int ncols, uint32_t a, uint32_t b)
{
	const int64_t *x = rows + (size_t)a * ncols, *y = rows + (size_t)b * ncols;

	for (int i = 0; i < ncols; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/*
 * The order of the n rows as indices: bottom-up merge sort of 4-byte
 * indices with the comparison inlined (glibc qsort of the 40-byte rows
 * themselves was 5 % of ingest, callgrind). Rows already in order (library
 * sets are appended in key order) cost one comparison each.
 */
static uint32_t *sort_rows(const int64_t *rows, int ncols, size_t n)
{
	uint32_t *a = xmalloc(n * sizeof(*a)), *b = xmalloc(n * sizeof(*b)), *t;
	size_t i, sorted = 1;

	for (i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	for (i = 1; i < n && sorted; i++)
		sorted = row_cmp(rows, ncols, (uint32_t)i - 1, (uint32_t)i) <= 0;
	for (size_t w = 1; !sorted && w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t l = lo, r = mid, k = lo;
			while (l < mid && r < hi)
				b[k++] = row_cmp(rows, ncols, a[r], a[l]) < 0 ? a[r++] : a[l++];
			while (l < mid)
				b[k++] = a[l++];
			while (r < hi)
				b[k++] = a[r++];
		}
		t = a, a = b, b = t;
	}
	free(b);
	return a;
}

static int sq_bulk_flush(struct db_bulk *b)
{
	struct sq_bulk *sb = b->impl;
	sqlite3_stmt *s = ST(sb->st);
	uint32_t *order;
	int rc = 0;

	if (!sb->n)
		return 0;
	order = sort_rows(sb->rows, b->ncols, sb->n);
	for (size_t r = 0; r < sb->n && !rc; r++) {
		const int64_t *v = sb->rows + (size_t)order[r] * b->ncols;
		for (int i = 0; i < b->ncols; i++) {
			if (v[i] == DB_BULK_NULL)
				sqlite3_bind_null(s, i + 1);
			else
				sqlite3_bind_int64(s, i + 1, v[i]);
		}
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = error("sqlite: %s", sqlite3_errmsg(SQ(b->db)));
		sqlite3_reset(s);
	}
	free(order);
	sb->n = 0;
	return rc;
}

static void sq_bulk_free(struct db_bulk *b)
{
	struct sq_bulk *sb = b->impl;

	if (!sb)
		return;
	sq_finalize(sb->st);
	free(sb->rows);
	free(sb);
}

static const struct db_ops sqlite_ops = {
	.kind = "sqlite",
	.close = sq_close,
	.exec = sq_exec,
	/* IMMEDIATE takes the write lock at BEGIN, waiting on the busy timeout.
	 * A deferred transaction that has read fails its first write at once,
	 * without waiting, while another writer holds the lock or has committed
	 * since its read: a batch of `xalt ingest` lost to a concurrent
	 * `db prune` or second loader. */
	.sql_begin = "BEGIN IMMEDIATE",
	.set_durability = sq_set_durability,
	.prepare = sq_prepare,
	.bind = sq_bind,
	.step = sq_step,
	.reset = sq_reset,
	.finalize = sq_finalize,
	.column_is_null = sq_column_is_null,
	.column_text = sq_column_text,
	.bulk_init = sq_bulk_init,
	.bulk_row = sq_bulk_row,
	.bulk_flush = sq_bulk_flush,
	.bulk_free = sq_bulk_free,
	.ddl_id = "INTEGER PRIMARY KEY",
	.ddl_int = "INTEGER",
	.ddl_real = "REAL",
	.ddl_text = "TEXT",
	.ddl_norowid = " WITHOUT ROWID",
	.ddl_bit_or = "xalt_bit_or",
	.ddl_popcount = "xalt_popcount",
	.ddl_bits = "",
	/* CAST truncates toward zero: one less for a negative non-whole day */
	.ddl_day = "(CAST(start_time / 86400 AS INTEGER) - (start_time / 86400 < CAST(start_time / 86400 AS INTEGER)))",
	/* floor(x + 0.5) the same way (SQLite has no floor without its math
	 * functions); bounded so PostgreSQL's bigint cannot overflow either */
	.ddl_run_ms = "(CASE WHEN abs(r.run_time) < 1e12 THEN CAST(r.run_time * 1000 + 0.5 AS INTEGER)"
		      " - (r.run_time * 1000 + 0.5 < CAST(r.run_time * 1000 + 0.5 AS INTEGER)) END)",
};

/*
 * The two functions the summaries' user words need (summary.h): SQLite has
 * neither an OR aggregate nor a population count. PostgreSQL's bit_or and
 * bit_count do the same (ddl_bit_or, ddl_popcount).
 */
static void bit_or_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_int64 *acc;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if ((acc = sqlite3_aggregate_context(ctx, sizeof(*acc))))
		*acc |= sqlite3_value_int64(argv[0]);
}

/* NULL over no value but NULLs, as PostgreSQL's bit_or */
static void bit_or_final(sqlite3_context *ctx)
{
	sqlite3_int64 *acc = sqlite3_aggregate_context(ctx, 0);

	if (acc)
		sqlite3_result_int64(ctx, *acc);
	else
		sqlite3_result_null(ctx);
}

static void popcount(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int(ctx, __builtin_popcountll((unsigned long long)sqlite3_value_int64(argv[0])));
}

static int add_functions(sqlite3 *s)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	return sqlite3_create_function_v2(s, "xalt_bit_or", 1, flags, NULL, NULL, bit_or_step,
					  bit_or_final, NULL) != SQLITE_OK ||
	       sqlite3_create_function_v2(s, "xalt_popcount", 1, flags, NULL, popcount, NULL,
					  NULL, NULL) != SQLITE_OK;
}

/* mkdir -p of path's parent directory, new directories mode 0700. */
static int make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			rc = error_errno("cannot create directory '%s'", dir);
		*p = '/';
		if (rc)
			break;
	}
	free(dir);
	return rc;
}

/* The file has no page yet (new, or created empty). */
static int is_empty(sqlite3 *s)
{
	sqlite3_stmt *st;
	int empty = 0;

	if (sqlite3_prepare_v2(s, "PRAGMA page_count", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		empty = sqlite3_column_int64(st, 0) == 0;
	sqlite3_finalize(st);
	return empty;
}

/*
 * Open (and with create, create) the SQLite file at path. Returns NULL after
 * error(). The busy timeout is for writers (readers never wait in WAL mode):
 * SQLite's lock has no queue, and a loader takes it again right after each
 * commit, so a second writer (a prune, another loader) may wait through many
 * batches before it finds the lock free (seconds, under load).
 */
struct db *db_sqlite_open(const char *path, int create)
{
	sqlite3 *s = NULL;
	struct db *db;
	/* NOMUTEX: one connection is used by one thread; the serialized mode's
	 * mutex calls were 5 % of ingest time (perf). */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	/* No global memory statistics: they take a global mutex on every
	 * allocation (perf: 3 % of ingest). Must precede sqlite3_initialize. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (create) {
		if (make_parent_dirs(path))
			return NULL;
		flags |= SQLITE_OPEN_CREATE;
	} else if (access(path, F_OK)) {
		error_errno("cannot open database '%s'", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s, flags, NULL) != SQLITE_OK) {
		error("cannot open database '%s': %s", path, s ? sqlite3_errmsg(s) : "out of memory");
		sqlite3_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s, 60000);
	if (add_functions(s)) {
		error("cannot open database '%s': %s", path, sqlite3_errmsg(s));
		sqlite3_close(s);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->ops = &sqlite_ops;
	db->impl = s;
	/* auto_vacuum first: a new file takes it only before its first page
	 * is written (journal_mode writes it); pages freed by `db prune` then
	 * go back to the file system (incremental_vacuum). Only on an empty
	 * file: on an existing one the pragma changes nothing but takes the
	 * write lock, and every report waited for a running ingest's batch. */
	if (is_empty(s) && sq_exec(db, "PRAGMA auto_vacuum=INCREMENTAL")) {
		db_close(db);
		return NULL;
	}
	if (sq_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			"PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
			/* reports read whole tables: map them instead of a read(2)
			 * per page (time-window report on 10 M rows: 1.8 -> 1.5 s system) */
			"PRAGMA mmap_size=1073741824;"
			/* checkpoint every 64 MiB of WAL, not 4: a hot page written many
			 * times is copied to the database once (100 k-run ingest: system
			 * time of the loading thread 1.65 -> 1.07 s) */
			"PRAGMA wal_autocheckpoint=16384;")) {
		db_close(db);
		return NULL;
	}
	return db;
}
