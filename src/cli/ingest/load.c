/*
 * The loading half of the record loader (see ingest.h): a validated record
 * (parse.c) in, rows out. It owns the database side: the run row's
 * statement, the bulk inserter of run_package rows, and the entity ids
 * (entity-ids.h); it runs on the one thread that owns the connection.
 *
 * Validation happened entirely before the first write, so a rejected
 * record leaves nothing behind. The run row is inserted with ON CONFLICT
 * (uuid) DO NOTHING RETURNING id: no row back means the run is already
 * stored, and nothing else of it is written (idempotent re-ingest).
 */
#include "ingest.h"
#include "arena.h"
#include "cli.h"
#include "db.h"
#include "entity-ids.h"
#include "known-libs.h"
#include "validate.h"
#include "xbuf.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/time.h>

struct ingest {
	struct db *db;
	struct db_stmt *run;                           /* INSERT INTO runs */
	struct db_bulk *run_package;                   /* a new run's package rows */
	struct entity_ids *ids;                        /* users, hosts, ... */
};

struct ingest *ingest_open(struct db *db)
{
	struct ingest *in = xcalloc(1, sizeof(*in));
	/* primary-key columns first: the SQLite backend sorts on them */
	static const char *const rp_cols[] = { "name_id", "user_id", "run_id", "package_id",
					       "import_us", "direct", "startup", "used",
					       "functions_used", "imported_by_id" };

	arena_jansson_init();
	in->db = db;
	if (!(in->run = db_prepare(db,
		"INSERT INTO runs (uuid, user_id, uid, host_id, exec_id, libset_id, cwd, cmdline,"
		" start_time, end_time, run_time, exit_how, exit_status, exit_signal,"
		" sampling_probability, sampling_forced, job_scheduler, job_id, job_ntasks,"
		" job_nnodes, job_rank, omp_num_threads, env, interp_program, interp_version,"
		" interp_kind, interp_prefix, origin, ingested_at, parent_uuid, packages_lost)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (uuid) DO NOTHING RETURNING id")) ||
	    !(in->run_package = db_bulk_open(db, "run_package", rp_cols, 10)) ||
	    !(in->ids = entity_ids_open(db))) {
		ingest_close(in);
		return NULL;
	}
	return in;
}

/* Optional integers (and booleans, stored 0/1) and reals: NULL when absent. */
static void bind_opt_int(struct db_stmt *st, int i, json_t *v)
{
	if (v && json_is_integer(v))
		db_bind_int64(st, i, json_integer_value(v));
	else if (v && json_is_boolean(v))
		db_bind_int64(st, i, json_is_true(v));
	else
		db_bind_null(st, i);
}

static void bind_opt_real(struct db_stmt *st, int i, json_t *v)
{
	if (v)
		db_bind_double(st, i, json_number_value(v));
	else
		db_bind_null(st, i);
}

/* Insert the run row; returns its id, 0 for a duplicate, -1 on error. */
static int64_t insert_run(struct ingest *in, const struct run_rec *r, int64_t user, int64_t host,
			  int64_t exec, int64_t libset, const char *origin)
{
	struct db_stmt *st = in->run;
	struct timeval now;
	int64_t id;
	int rc, i = 1;

	gettimeofday(&now, NULL);
	db_bind_str(st, i++, r->uuid);
	db_bind_int64(st, i++, user);
	bind_opt_int(st, i++, r->uid);
	db_bind_int64(st, i++, host);
	db_bind_int64(st, i++, exec);
	if (libset == DB_BULK_NULL)
		db_bind_null(st, i++);
	else
		db_bind_int64(st, i++, libset);
	db_bind_str(st, i++, r->cwd);
	db_bind_str(st, i++, r->cmdline);
	db_bind_double(st, i++, r->start_time);
	bind_opt_real(st, i++, r->end_time);
	bind_opt_real(st, i++, r->run_time);
	db_bind_str(st, i++, r->exit_how);
	bind_opt_int(st, i++, r->exit_status);
	bind_opt_int(st, i++, r->exit_signal);
	bind_opt_real(st, i++, r->sampling_probability);
	bind_opt_int(st, i++, r->sampling_forced);
	db_bind_str(st, i++, r->job_scheduler);
	db_bind_str(st, i++, r->job_id);
	bind_opt_int(st, i++, r->job_ntasks);
	bind_opt_int(st, i++, r->job_nnodes);
	bind_opt_int(st, i++, r->job_rank);
	db_bind_str(st, i++, r->omp);
	db_bind_str(st, i++, r->env);
	db_bind_str(st, i++, r->interp_program);
	db_bind_str(st, i++, r->interp_version);
	db_bind_str(st, i++, r->interp_kind);
	db_bind_str(st, i++, r->interp_prefix);
	db_bind_str(st, i++, origin);
	db_bind_double(st, i++, now.tv_sec + now.tv_usec / 1e6);
	db_bind_str(st, i++, r->parent_uuid);
	bind_opt_int(st, i++, r->packages_lost);
	rc = db_step(st);
	id = rc == DB_ROW ? db_column_int64(st, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(st);
	return id;
}

enum ingest_result ingest_load(struct ingest *in, struct ingest_parsed *p, const char *origin)
{
	struct run_rec *r = ingest_parsed_record(p);
	int64_t user, host, exec, libset, run;

	if (!r)
		return INGEST_REJECTED;
	if (!in->db->in_txn && db_begin(in->db))
		return INGEST_ERROR;
	if ((user = entity_user_id(in->ids, r)) < 0 || (host = entity_host_id(in->ids, r)) < 0 ||
	    (exec = entity_exec_id(in->ids, r)) < 0 || (libset = entity_libset_id(in->ids, r)) == -1 ||
	    entity_package_ids(in->ids, r))
		return INGEST_ERROR;
	if ((run = insert_run(in, r, user, host, exec, libset, origin)) < 0)
		return INGEST_ERROR;
	if (run == 0)
		return INGEST_DUPLICATE;
	for (size_t i = 0; i < r->npkgs; i++) {
		const struct run_pkg *p = &r->pkgs[i];
		int64_t row[10] = { p->name_id, user, run, p->package_id, p->import_us,
				    p->direct, p->startup, p->used, p->functions_used,
				    p->imported_by_id };
		if (db_bulk_row(in->run_package, row))
			return INGEST_ERROR;
	}
	return INGEST_LOADED;
}

enum ingest_result ingest_record(struct ingest *in, const char *text, size_t len,
				 const char *origin, struct xbuf *why)
{
	struct ingest_parsed *p = ingest_parse(text, len);
	enum ingest_result res = ingest_load(in, p, origin);

	if (res == INGEST_REJECTED) {
		xbuf_reset(why);
		xbuf_addstr(why, ingest_parsed_error(p));
	}
	ingest_parsed_free(p);
	return res;
}

int ingest_commit(struct ingest *in)
{
	if (!in->db->in_txn)
		return 0;
	return db_commit(in->db);
}

void ingest_close(struct ingest *in)
{
	if (!in)
		return;
	if (in->db->in_txn)
		db_rollback(in->db);
	db_finalize(in->run);
	entity_ids_close(in->ids);
	free(in);
	known_libs_clear();
}
