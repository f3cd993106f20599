/*
 * PostgreSQL backend of the database layer (see db.h), through libpq: the
 * site-wide server many nodes feed.
 *
 * Every round trip costs tens of microseconds even on a unix socket, so the
 * per-package rows never travel one by one: struct db_bulk buffers them in
 * COPY text format and db_commit sends one COPY per table. Statements are
 * server-side prepared once (PQprepare) and executed with text parameters;
 * `?` placeholders are renumbered to $1..$n here (our SQL never has a `?`
 * inside a string literal).
 */
#include "db.h"
#include "cli.h"
#include "xbuf.h"

#include <inttypes.h>
#include <postgresql/libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG(db) ((PGconn *)(db)->impl)

struct pg_stmt {
	char name[24];          /* server-side statement name */
	int nparams;            /* number of placeholders */
	char **values;          /* text values (malloc'd), NULL for SQL NULL */
	int *lengths;           /* lengths of values */
	PGresult *res;          /* result of the last execution, or NULL */
	int row;                /* next row of res to return */
	int cur;                /* current row (after DB_ROW) */
};

struct pg_bulk {
	struct xbuf copy;       /* buffered rows in COPY text format */
	size_t rows;            /* buffered rows */
	int col;                /* typed rows: values in the current row */
};

static void pg_close(struct db *db)
{
	PQfinish(PG(db));
}

/* One error line "<what>: <libpq's message>" (its trailing newline dropped).
 * Returns -1. */
static int pg_report(PGconn *c, const char *what)
{
	char *msg = xstrdup(PQerrorMessage(c));
	size_t n = strlen(msg);

	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	error("%s: %s", what, msg);
	free(msg);
	return -1;
}

static int pg_error(struct db *db, const char *what)
{
	struct xbuf sb = XBUF_INIT;

	xbuf_addf(&sb, "postgresql: %s", what);
	pg_report(PG(db), sb.buf);
	xbuf_release(&sb);
	return -1;
}

static int pg_exec(struct db *db, const char *sql)
{
	PGresult *r = PQexec(PG(db), sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = pg_error(db, "statement failed");
	PQclear(r);
	return rc;
}

/* A committed transaction is on the server's disk already (unless the site
 * turned synchronous_commit off: its choice). */
static int pg_set_durability(struct db *db, enum db_durability d)
{
	(void)db;
	(void)d;
	return 0;
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql)
{
	static atomic_uint counter;  /* --jobs: each loader thread prepares its own */
	struct xbuf q = XBUF_INIT;
	struct pg_stmt *ps = xcalloc(1, sizeof(*ps));
	struct db_stmt *st;
	PGresult *r;

	for (const char *p = sql; *p; p++) {
		if (*p == '?')
			xbuf_addf(&q, "$%d", ++ps->nparams);
		else
			xbuf_addch(&q, *p);
	}
	snprintf(ps->name, sizeof(ps->name), "xalt_%u", atomic_fetch_add(&counter, 1) + 1);
	r = PQprepare(PG(db), ps->name, q.buf, 0, NULL);
	xbuf_release(&q);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		pg_error(db, "prepare failed");
		free(ps);
		return NULL;
	}
	PQclear(r);
	ps->values = xcalloc(ps->nparams + 1, sizeof(char *));
	ps->lengths = xcalloc(ps->nparams + 1, sizeof(int));
	st = xcalloc(1, sizeof(*st));
	st->db = db;
	st->impl = ps;
	return st;
}

static void pg_bind(struct db_stmt *st, int i, int type, const void *p, size_t len)
{
	struct pg_stmt *ps = st->impl;
	char num[40];

	if (i < 1 || i > ps->nparams)
		die("internal error: parameter %d of %d", i, ps->nparams);
	free(ps->values[i - 1]);
	ps->values[i - 1] = NULL;
	switch (type) {
	case DB_T_TEXT:
		ps->values[i - 1] = xmalloc(len + 1);
		memcpy(ps->values[i - 1], p, len);
		ps->values[i - 1][len] = '\0';
		ps->lengths[i - 1] = (int)len;
		return;
	case DB_T_INT64:
		snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
		break;
	case DB_T_DOUBLE:
		snprintf(num, sizeof(num), "%.17g", *(const double *)p);
		break;
	default:
		return;
	}
	ps->values[i - 1] = xstrdup(num);
	ps->lengths[i - 1] = (int)strlen(num);
}

static int pg_step(struct db_stmt *st)
{
	struct pg_stmt *ps = st->impl;
	ExecStatusType s;

	if (!ps->res) {
		ps->res = PQexecPrepared(PG(st->db), ps->name, ps->nparams,
					 (const char *const *)ps->values, ps->lengths, NULL, 0);
		s = PQresultStatus(ps->res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			PQclear(ps->res);
			ps->res = NULL;
			return pg_error(st->db, "statement failed");
		}
		ps->row = 0;
	}
	if (ps->row < PQntuples(ps->res)) {
		ps->cur = ps->row++;
		return DB_ROW;
	}
	return DB_DONE;
}

static void pg_reset(struct db_stmt *st)
{
	struct pg_stmt *ps = st->impl;

	PQclear(ps->res);
	ps->res = NULL;
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *ps = st->impl;
	struct xbuf q = XBUF_INIT;

	PQclear(ps->res);
	xbuf_addf(&q, "DEALLOCATE %s", ps->name);
	PQclear(PQexec(PG(st->db), q.buf));
	xbuf_release(&q);
	for (int i = 0; i < ps->nparams; i++)
		free(ps->values[i]);
	free(ps->values);
	free(ps->lengths);
	free(ps);
	free(st);
}

static int pg_column_is_null(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->impl;
	return PQgetisnull(ps->res, ps->cur, i);
}

static const char *pg_column_text(struct db_stmt *st, int i)
{
	struct pg_stmt *ps = st->impl;
	return PQgetvalue(ps->res, ps->cur, i);
}

static int pg_bulk_init(struct db_bulk *b)
{
	b->impl = xcalloc(1, sizeof(struct pg_bulk));
	return 0;
}

static int pg_bulk_row(struct db_bulk *b, const int64_t *vals)
{
	struct pg_bulk *pb = b->impl;

	for (int i = 0; i < b->ncols; i++) {
		if (i)
			xbuf_addch(&pb->copy, '\t');
		if (vals[i] == DB_BULK_NULL)
			xbuf_addstr(&pb->copy, "\\N");
		else
			xbuf_addf(&pb->copy, "%" PRId64, vals[i]);
	}
	xbuf_addch(&pb->copy, '\n');
	pb->rows++;
	return 0;
}

/* Send the buffered rows as one COPY ... FROM STDIN; empties the buffer. */
static int pg_bulk_flush(struct db_bulk *b)
{
	struct pg_bulk *pb = b->impl;
	struct xbuf q = XBUF_INIT;
	PGresult *r;
	int rc = 0;

	if (!pb->rows)
		return 0;
	xbuf_addf(&q, "COPY %s (", b->table);
	for (int i = 0; i < b->ncols; i++)
		xbuf_addf(&q, "%s%s", i ? ", " : "", b->cols[i]);
	xbuf_addstr(&q, ") FROM STDIN");
	r = PQexec(PG(b->db), q.buf);
	xbuf_release(&q);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		PQclear(r);
		return pg_error(b->db, "COPY failed");
	}
	PQclear(r);
	if (PQputCopyData(PG(b->db), pb->copy.buf, (int)pb->copy.len) != 1 ||
	    PQputCopyEnd(PG(b->db), NULL) != 1)
		rc = pg_error(b->db, "COPY failed");
	while ((r = PQgetResult(PG(b->db)))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
			rc = pg_error(b->db, "COPY failed");
		PQclear(r);
	}
	xbuf_reset(&pb->copy);
	pb->rows = 0;
	return rc;
}

/* COPY's text format: backslash, tab, newline and CR are escaped. */
static void pg_copy_value(struct db_bulk *b, int type, const void *p, size_t len)
{
	struct pg_bulk *pb = b->impl;
	const char *s = p;

	if (pb->col++)
		xbuf_addch(&pb->copy, '\t');
	switch (type) {
	case DB_T_TEXT:
		for (size_t i = 0; i < len; i++) {
			switch (s[i]) {
			case '\\': xbuf_add(&pb->copy, "\\\\", 2); break;
			case '\t': xbuf_add(&pb->copy, "\\t", 2); break;
			case '\n': xbuf_add(&pb->copy, "\\n", 2); break;
			case '\r': xbuf_add(&pb->copy, "\\r", 2); break;
			default: xbuf_addch(&pb->copy, s[i]);
			}
		}
		break;
	case DB_T_INT64:
		xbuf_addf(&pb->copy, "%" PRId64, *(const int64_t *)p);
		break;
	case DB_T_DOUBLE:   /* as pg_bind: the same value either way */
		xbuf_addf(&pb->copy, "%.17g", *(const double *)p);
		break;
	default:
		xbuf_add(&pb->copy, "\\N", 2);
	}
}

static void pg_copy_end_row(struct db_bulk *b)
{
	struct pg_bulk *pb = b->impl;

	xbuf_addch(&pb->copy, '\n');
	pb->col = 0;
	pb->rows++;
}

static void pg_bulk_free(struct db_bulk *b)
{
	struct pg_bulk *pb = b->impl;

	if (pb)
		xbuf_release(&pb->copy);
	free(pb);
}

static const struct db_ops pg_ops = {
	.kind = "postgresql",
	.close = pg_close,
	.exec = pg_exec,
	.sql_begin = "BEGIN",
	.set_durability = pg_set_durability,
	.prepare = pg_prepare,
	.bind = pg_bind,
	.step = pg_step,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.column_is_null = pg_column_is_null,
	.column_text = pg_column_text,
	.bulk_init = pg_bulk_init,
	.bulk_row = pg_bulk_row,
	.bulk_flush = pg_bulk_flush,
	.bulk_free = pg_bulk_free,
	.copy_value = pg_copy_value,
	.copy_end_row = pg_copy_end_row,
	.ddl_id = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.ddl_int = "BIGINT",
	.ddl_real = "DOUBLE PRECISION",
	.ddl_text = "TEXT COLLATE \"C\"",
	.ddl_norowid = "",
	.ddl_bit_or = "bit_or",
	.ddl_popcount = "bit_count",
	.ddl_bits = "::bit(64)",
	.ddl_day = "CAST(floor(start_time / 86400) AS BIGINT)",
	.ddl_run_ms = "(CASE WHEN abs(r.run_time) < 1e12 THEN CAST(floor(r.run_time * 1000 + 0.5) AS BIGINT) END)",
};

/*
 * Connect with a libpq connection URI. Returns NULL after error(); the URI
 * is not echoed (it may hold a password).
 */
struct db *db_pg_open(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	struct db *db;

	if (PQstatus(c) != CONNECTION_OK) {
		pg_report(c, "cannot connect to the postgresql server");
		PQfinish(c);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->ops = &pg_ops;
	db->impl = c;
	/* READ COMMITTED whatever the site's default: our writers rely on it
	 * (ON CONFLICT waits for the other loader, then sees its row; a read
	 * after a lock wait sees what was committed meanwhile). Under
	 * REPEATABLE READ concurrent loaders failed with serialization errors,
	 * also in single statements (ON CONFLICT meeting an invisible row).
	 * No JIT: it compiles each large statement anew, 30-40 ms of a report
	 * over a window; every PostgreSQL report of a fifth of a generated year
	 * was 0-0.25 s faster without, ingest no slower (bench/RESULTS.md,
	 * "Reports over a window on PostgreSQL"). */
	if (pg_exec(db, "SET client_min_messages = warning; SET client_encoding = 'UTF8';"
			" SET default_transaction_isolation = 'read committed'; SET jit = off")) {
		db_close(db);
		return NULL;
	}
	return db;
}
