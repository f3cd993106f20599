/*
 * The loading half of the record loader (see ingest.h): a validated record
 * (parse.c) in, rows out. It owns the database side: the run rows, the
 * package rows, and the entity ids (entity-ids.h); it runs on the one
 * thread that owns the connection.
 *
 * Validation happened entirely before the first write, so a rejected
 * record leaves nothing behind. A run is stored once: runs.uuid is unique
 * and a run's package rows are written only when its run row was.
 *
 * Two ways, one column list (run_cols):
 * - SQLite, row by row: INSERT ... ON CONFLICT (uuid) DO NOTHING RETURNING
 *   id; no id back means stored already, nothing else of the run is
 *   written. SQLite has one writer and takes a prepared row in
 *   a few microseconds.
 * - PostgreSQL, set-based: a statement per row was a round trip and a plan
 *   execution per run (3.9-5.4x SQLite's time, docs/database.md). Each run
 *   gets an id reserved from the runs sequence; its row and its package rows
 *   go by COPY into session-private staging tables; at commit one statement
 *   moves them: the runs' uuids inserted into run_uuids ON CONFLICT DO
 *   NOTHING, in uuid order (two loaders lock the same uuids in the same
 *   order: no deadlock); the runs whose uuid it
 *   inserted (run_uuids is what keeps a uuid stored once: db-part.c), then
 *   the package rows of exactly the runs inserted; the same statement
 *   writes both to the summaries' batch tables too (new_runs, new_rp:
 *   summary.h). A uuid another loader inserts meanwhile makes this one
 *   wait for that loader's commit, then skip the run: each run is stored
 *   once whatever loads it at once.
 *   Entities go through a second connection in autocommit (entity-ids.h),
 *   and so does the creation of the months the batch needs (runs and
 *   run_package are partitioned by month: db-part.c).
 *
 * A record whose uuid is stored is a duplicate only when the stored run is
 * the same run (same_run): a file's run_uuid is no proof (another user can
 * see it in a shared drop box and plant a record claiming it), and
 * `--delete` must never remove a real record because a forgery took its
 * uuid first. SQLite asks per record; PostgreSQL asks once per batch, at
 * commit, set-based (SAME_RUN_SQL, the same fields): the staged runs whose
 * uuid is stored leave the staging table as duplicates or conflicts before
 * the move, and the callers learn each queued record's fate from
 * ingest_commit_results. A uuid another loader stores between that question
 * and the move, or twice in one batch, is asked about after the move
 * (LATE_SAME_RUN_SQL), when the stored run is visible.
 *
 * A run from before the first day whose raw rows are kept (`xalt db prune`)
 * is not loaded (INGEST_PRUNED): its run was likely loaded and pruned, and
 * its summaries were kept, so loading it again would count it twice. SQLite
 * asks per record, under the batch's write lock; PostgreSQL at commit, for
 * the batch (PRUNED_SQL).
 */
#include "ingest.h"
#include "arena.h"
#include "cli.h"
#include "db.h"
#include "entity-ids.h"
#include "known-libs.h"
#include "summary.h"
#include "validate.h"
#include "xbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* The columns of a run row, in the order put_run writes them. */
static const char *const run_cols[] = {
	"uuid", "user_id", "uid", "host_id", "exec_id", "libset_id", "cwd", "cmdline",
	"start_time", "end_time", "run_time", "exit_how", "exit_status", "exit_signal",
	"sampling_probability", "sampling_forced", "job_scheduler", "job_id", "job_ntasks",
	"job_nnodes", "job_rank", "omp_num_threads", "env", "interp_program", "interp_version",
	"interp_kind", "interp_prefix", "origin", "ingested_at", "parent_uuid", "packages_lost",
	"day",
};
#define NRUN_COLS ((int)(sizeof(run_cols) / sizeof(run_cols[0])))

/* The columns of a package row; primary-key columns first: the SQLite
 * backend sorts on them. The summaries' batch table new_rp has the same. */
static const char *const *const rp_cols = summary_rp_cols;
#define NRP_COLS SUMMARY_NRP_COLS

#define RESERVE_IDS 1024   /* run ids fetched from the sequence at once */
#define STR(x) #x
#define XSTR(x) STR(x)

struct ingest {
	struct db *db;
	struct db_stmt *run;            /* SQLite: INSERT INTO runs; PG: the batch's move */
	struct db_stmt *stored;         /* the stored run of a uuid (same_run) */
	struct db_bulk *run_package;    /* package rows (PG: staged, stage_rp_cols) */
	struct entity_ids *ids;         /* users, hosts, ... */
	size_t added;                   /* runs stored in the open batch (summary_add) */
	/* retention (db_first_raw_day) as the open batch began, or as its move
	 * found it (PostgreSQL): pruned 1 when first_day is set */
	int pruned;
	int64_t first_day;
	char pruned_reason[200];        /* ingest_refusal */
	/* SQLite only: the batch for the summaries (summary.h) */
	struct db_bulk *new_runs;       /* ids and days of the runs stored */
	struct db_bulk *new_rp;         /* their package rows */
	/* PostgreSQL only */
	struct db *edb;                 /* entities' own connection */
	struct db_bulk *stage_runs;     /* run rows, COPY */
	struct db_stmt *reserve;        /* RESERVE_IDS run ids */
	struct db_stmt *new_packages;   /* the batch's packages not stored yet */
	int64_t ids_left[RESERVE_IDS];  /* reserved, not used yet */
	int nids_left;
	size_t queued;                  /* runs staged in the open batch */
	int64_t *months;                /* first days of the months known partitioned */
	size_t nmonths, amonths;
	int64_t *need;                  /* first days of the open batch's months not known */
	size_t nneed, aneed;
	int64_t *staged;                /* run id of each queued record, in queue order */
	size_t astaged;
	struct db_stmt *check;          /* the batch's stored uuids out of staging (SAME_RUN_SQL) */
	struct db_stmt *pruned_out;     /* its runs before the first day kept out (PRUNED_SQL) */
	struct db_stmt *late_check;     /* the runs the move skipped (LATE_SAME_RUN_SQL) */
	enum ingest_result *results;    /* of the last commit's queued records */
	size_t nresults, aresults;
};

/* "a, b, c" of cols into sb. */
static void add_cols(struct xbuf *sb, const char *prefix, const char *const *cols, int n)
{
	for (int i = 0; i < n; i++)
		xbuf_addf(sb, "%s%s%s", i ? ", " : "", prefix, cols[i]);
}

static int open_rowwise(struct ingest *in)
{
	struct xbuf sql = XBUF_INIT;
	int rc;

	xbuf_addstr(&sql, "INSERT INTO runs (");
	add_cols(&sql, "", run_cols, NRUN_COLS);
	xbuf_addstr(&sql, ") VALUES (");
	for (int i = 0; i < NRUN_COLS; i++)
		xbuf_addstr(&sql, i ? ", ?" : "?");
	xbuf_addstr(&sql, ") ON CONFLICT (uuid) DO NOTHING RETURNING id");
	rc = (in->run = db_prepare(in->db, sql.buf)) &&
	     (in->run_package = db_bulk_open(in->db, "run_package", rp_cols, NRP_COLS)) &&
	     !summary_batch_tables(in->db) &&
	     (in->new_runs = db_bulk_open(in->db, "new_runs", (const char *const[]){ "id", "day" }, 2)) &&
	     (in->new_rp = db_bulk_open(in->db, "new_rp", rp_cols, NRP_COLS)) &&
	     (in->ids = entity_ids_open(in->db, 0)) ? 0 : -1;
	xbuf_release(&sql);
	return rc;
}

/* PostgreSQL's staged package rows: rp_cols with version and path instead
 * of the package id, which the batch's move resolves set-based (STAGE_PKG). */
static const char *const stage_rp_cols[] = {
	"name_id", "user_id", "run_id", "version", "path", "import_us", "direct", "startup", "used",
	"functions_used", "imported_by_id", "day",
};
#define STAGE_PKG 3     /* where rp_cols has package_id, stage_rp_cols has version, path */
#define NSTAGE_RP_COLS ((int)(sizeof(stage_rp_cols) / sizeof(stage_rp_cols[0])))

/*
 * PostgreSQL, at commit: the staged runs whose uuid is stored already (in
 * any month: a different run under a stored uuid is a conflict whatever its
 * day), taken out of staging, with whether the stored run is the same run
 * (same_run's fields: uid, user, start time, cwd, command line). A join of
 * the batch to run_uuids, which gives the stored run's id and day, then to
 * runs' primary key in that day's month, in place of a round trip per
 * record.
 */
#define SAME_RUN_FIELDS \
	"(r.uid IS NOT DISTINCT FROM s.uid AND r.user_id = s.user_id" \
	" AND r.start_time = s.start_time AND r.cwd IS NOT DISTINCT FROM s.cwd" \
	" AND r.cmdline IS NOT DISTINCT FROM s.cmdline)"
#define SAME_RUN_SQL \
	"DELETE FROM stage_runs s USING run_uuids u, runs r WHERE u.uuid = s.uuid::uuid" \
	" AND r.id = u.id AND r.day = u.day RETURNING s.id, " SAME_RUN_FIELDS

/*
 * PostgreSQL, after the move, when it skipped staged runs: their uuids were
 * stored meanwhile by another loader (the move waited for its commit; this
 * statement's snapshot sees it), or are twice in the batch. Each such run
 * with whether the stored run is the same run, so none is counted a
 * duplicate (and deleted by --delete) unchecked.
 */
#define LATE_SAME_RUN_SQL \
	"SELECT s.id, " SAME_RUN_FIELDS " FROM stage_runs s" \
	" JOIN run_uuids u ON u.uuid = s.uuid::uuid AND u.id <> s.id" \
	" JOIN runs r ON r.id = u.id AND r.day = u.day"

/*
 * PostgreSQL, at commit after SAME_RUN_SQL: the staged runs before the first
 * day whose raw rows are kept, taken out of staging (INGEST_PRUNED). After
 * it because that statement locks runs, which a prune dropping months locks
 * exclusively: none commits between the two. One deleting rows may; what
 * the move then loads before its day was not stored at the check, so it is
 * counted once (docs/database.md, "Ingest after a prune").
 */
#define PRUNED_SQL \
	"DELETE FROM stage_runs s USING retention t WHERE s.day < t.first_raw_day" \
	" RETURNING s.id, t.first_raw_day"

/*
 * "INSERT INTO run_package (rp_cols) SELECT ..." of the staged package rows
 * in kept (those of the runs inserted), with the package id resolved from
 * packages.
 */
static void add_staged_rp_insert(struct xbuf *sql)
{
	xbuf_addstr(sql, "INSERT INTO run_package (");
	add_cols(sql, "", rp_cols, NRP_COLS);
	xbuf_addstr(sql, ") SELECT ");
	add_cols(sql, "s.", stage_rp_cols, STAGE_PKG);
	xbuf_addstr(sql, ", p.id, ");
	add_cols(sql, "s.", stage_rp_cols + STAGE_PKG + 2, NSTAGE_RP_COLS - STAGE_PKG - 2);
	xbuf_addstr(sql, " FROM kept s JOIN packages p ON p.name_id = s.name_id"
		    " AND p.version = s.version AND p.path = s.path");
}

/*
 * The batch's move, at commit (see the top of the file): new packages first,
 * in key order, then the runs' uuids in uuid order, then the runs whose
 * uuid was inserted and their package rows. Every loader takes its row
 * locks in that one order (packages, then uuids, each sorted), so two
 * loaders at once wait, never deadlock.
 *
 * The package rows of the runs inserted are taken first (kept), then
 * given their package ids: PostgreSQL guesses a join on three columns
 * (name, version, path) at one row, and with the staged rows joined to
 * packages first it looped over the inserted runs for each package row
 * once it guessed the runs few enough: 1.6-4.7 s instead of 0.17-0.27 s
 * for the last batch of 2,000 runs of a generated day (bench/RESULTS.md,
 * "The move's plan").
 */
static int prepare_move(struct ingest *in)
{
	struct xbuf sql = XBUF_INIT;
	int rc;

	/* a uuid twice in the batch: its first staged run's row goes in, the
	 * second meets it and is skipped (DO NOTHING within one statement) */
	xbuf_addstr(&sql, "WITH uu AS (INSERT INTO run_uuids (uuid, id, day) SELECT uuid::uuid, id, day"
		    " FROM stage_runs ORDER BY uuid, id ON CONFLICT DO NOTHING RETURNING id),"
		    " ins AS (INSERT INTO runs (id, ");
	add_cols(&sql, "", run_cols, NRUN_COLS);
	xbuf_addstr(&sql, ") SELECT s.id, ");
	add_cols(&sql, "s.", run_cols, NRUN_COLS);
	xbuf_addstr(&sql, " FROM stage_runs s JOIN uu ON uu.id = s.id RETURNING id, day),"
		    " nr AS (INSERT INTO new_runs (id, day) SELECT id, day FROM ins),"
		    " kept AS MATERIALIZED (SELECT s.* FROM stage_rp s JOIN ins i ON i.id = s.run_id),"
		    " pkg AS (");
	add_staged_rp_insert(&sql);
	xbuf_addstr(&sql, " ORDER BY s.name_id, s.user_id, s.run_id RETURNING ");
	add_cols(&sql, "", rp_cols, NRP_COLS);
	xbuf_addstr(&sql, "), nrp AS (INSERT INTO new_rp (");
	add_cols(&sql, "", rp_cols, NRP_COLS);
	xbuf_addstr(&sql, ") SELECT ");
	add_cols(&sql, "", rp_cols, NRP_COLS);
	xbuf_addstr(&sql, " FROM pkg) SELECT id FROM ins");
	rc = (in->check = db_prepare(in->db, SAME_RUN_SQL)) &&
	     (in->late_check = db_prepare(in->db, LATE_SAME_RUN_SQL)) &&
	     (in->pruned_out = db_prepare(in->db, PRUNED_SQL)) &&
	     (in->new_packages = db_prepare(in->db,
		"INSERT INTO packages (name_id, version, path) SELECT DISTINCT s.name_id, s.version, s.path"
		" FROM stage_rp s WHERE NOT EXISTS (SELECT 1 FROM packages p WHERE p.name_id = s.name_id"
		" AND p.version = s.version AND p.path = s.path) ORDER BY 1, 2, 3"
		" ON CONFLICT DO NOTHING")) &&
	     (in->run = db_prepare(in->db, sql.buf)) ? 0 : -1;
	xbuf_release(&sql);
	return rc;
}

static int open_staged(struct ingest *in)
{
	const char *stage_cols[NRUN_COLS + 1] = { "id" };

	for (int i = 0; i < NRUN_COLS; i++)
		stage_cols[i + 1] = run_cols[i];
	if (db_exec(in->db, "SET work_mem = '64MB'; CREATE TEMP TABLE stage_runs (LIKE runs) ON COMMIT DELETE ROWS;"
		    " CREATE TEMP TABLE stage_rp (name_id BIGINT, user_id BIGINT, run_id BIGINT,"
		    " version TEXT COLLATE \"C\", path TEXT COLLATE \"C\", import_us BIGINT,"
		    " direct BIGINT, startup BIGINT, used BIGINT, functions_used BIGINT,"
		    " imported_by_id BIGINT, day BIGINT) ON COMMIT DELETE ROWS"))
		return -1;
	return summary_batch_tables(in->db) || prepare_move(in) ||
	       !(in->reserve = db_prepare(in->db, "SELECT nextval(pg_get_serial_sequence('runs', 'id'))"
					  " FROM generate_series(1, " XSTR(RESERVE_IDS) ")")) ||
	       !(in->stage_runs = db_copy_open(in->db, "stage_runs", stage_cols, NRUN_COLS + 1)) ||
	       !(in->run_package = db_copy_open(in->db, "stage_rp", stage_rp_cols, NSTAGE_RP_COLS)) ||
	       !(in->edb = db_open_again(in->db)) ||
	       !(in->ids = entity_ids_open(in->edb, 1)) ? -1 : 0;
}

struct ingest *ingest_open(struct db *db)
{
	struct ingest *in = xcalloc(1, sizeof(*in));

	arena_jansson_init();
	in->db = db;
	if ((db_can_copy(db) ? open_staged(in) : open_rowwise(in)) ||
	    !(in->stored = db_prepare(db,
		"SELECT uid, user_id, start_time, cwd, cmdline FROM runs WHERE uuid = ?"))) {
		ingest_close(in);
		return NULL;
	}
	return in;
}

/* Where put_run writes a row: a statement's parameters, or a COPY row. */
struct row_out {
	struct db_stmt *st;     /* bind here (from parameter 1), or */
	struct db_bulk *copy;   /* copy here */
	int i;                  /* next parameter */
};

static void out_str(struct row_out *o, const char *s)
{
	if (o->st)
		db_bind_str(o->st, o->i++, s);
	else
		db_copy_str(o->copy, s);
}

/* DB_BULK_NULL writes NULL */
static void out_int(struct row_out *o, int64_t v)
{
	if (!o->st)
		db_copy_int64(o->copy, v);
	else if (v == DB_BULK_NULL)
		db_bind_null(o->st, o->i++);
	else
		db_bind_int64(o->st, o->i++, v);
}

static void out_real(struct row_out *o, double v)
{
	if (o->st)
		db_bind_double(o->st, o->i++, v);
	else
		db_copy_double(o->copy, v);
}

/* Optional integers (and booleans, stored 0/1): NULL when absent. */
static void out_opt_int(struct row_out *o, json_t *v)
{
	out_int(o, v && json_is_integer(v) ? json_integer_value(v)
		   : v && json_is_boolean(v) ? json_is_true(v) : DB_BULK_NULL);
}

static void out_opt_real(struct row_out *o, json_t *v)
{
	if (v)
		out_real(o, json_number_value(v));
	else if (o->st)
		db_bind_null(o->st, o->i++);
	else
		db_copy_null(o->copy);
}

/* The run row's values, in the order of run_cols. */
static void put_run(struct row_out *o, const struct run_rec *r, int64_t user, int64_t host,
		    int64_t exec, int64_t libset, const char *origin)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	out_str(o, r->uuid);
	out_int(o, user);
	out_opt_int(o, r->uid);
	out_int(o, host);
	out_int(o, exec);
	out_int(o, libset);
	out_str(o, r->cwd);
	out_str(o, r->cmdline);
	out_real(o, r->start_time);
	out_opt_real(o, r->end_time);
	out_opt_real(o, r->run_time);
	out_str(o, r->exit_how);
	out_opt_int(o, r->exit_status);
	out_opt_int(o, r->exit_signal);
	out_opt_real(o, r->sampling_probability);
	out_opt_int(o, r->sampling_forced);
	out_str(o, r->job_scheduler);
	out_str(o, r->job_id);
	out_opt_int(o, r->job_ntasks);
	out_opt_int(o, r->job_nnodes);
	out_opt_int(o, r->job_rank);
	out_str(o, r->omp);
	out_str(o, r->env);
	out_str(o, r->interp_program);
	out_str(o, r->interp_version);
	out_str(o, r->interp_kind);
	out_str(o, r->interp_prefix);
	out_str(o, origin);
	out_real(o, now.tv_sec + now.tv_usec / 1e6);
	out_str(o, r->parent_uuid);
	out_opt_int(o, r->packages_lost);
	out_int(o, db_day(r->start_time));
}

/* SQLite: insert the run row; returns its id, 0 for a duplicate, -1 on error. */
static int64_t insert_run(struct ingest *in, const struct run_rec *r, int64_t user, int64_t host,
			  int64_t exec, int64_t libset, const char *origin)
{
	struct row_out o = { .st = in->run, .i = 1 };
	int64_t id;
	int rc;

	put_run(&o, r, user, host, exec, libset, origin);
	rc = db_step(in->run);
	id = rc == DB_ROW ? db_column_int64(in->run, 0) : rc == DB_DONE ? 0 : -1;
	db_reset(in->run);
	return id;
}

static int same_text(struct db_stmt *st, int col, const char *s)
{
	return db_column_is_null(st, col) ? !s : s && !strcmp(db_column_text(st, col), s);
}

/*
 * Is r (whose uuid is stored) the run stored under its uuid? The fields
 * compared are those another user cannot know or choose for the victim:
 * uid (the file's owner, validate_owner), user, the start time to the
 * microsecond, the working directory and the command line. 1 yes, 0 no,
 * 2 no run stored under that uuid, -1 on a database error.
 */
static int same_run(struct ingest *in, const struct run_rec *r, int64_t user)
{
	struct db_stmt *st = in->stored;
	int rc;

	db_bind_str(st, 1, r->uuid);
	rc = db_step(st);
	if (rc == DB_ROW) {
		int uid_null = db_column_is_null(st, 0);
		rc = (r->uid ? !uid_null && db_column_int64(st, 0) == json_integer_value(r->uid)
			     : uid_null) &&
		     db_column_int64(st, 1) == user && db_column_double(st, 2) == r->start_time &&
		     same_text(st, 3, r->cwd) && same_text(st, 4, r->cmdline);
	} else {
		rc = rc == DB_DONE ? 2 : -1;
	}
	db_reset(st);
	return rc;
}

/* PostgreSQL: a run id from the sequence (RESERVE_IDS fetched at once:
 * ids are never reused, a batch rolled back leaves a gap). -1 on error. */
static int64_t reserve_run_id(struct ingest *in)
{
	if (!in->nids_left) {
		int rc;
		while ((rc = db_step(in->reserve)) == DB_ROW && in->nids_left < RESERVE_IDS)
			in->ids_left[in->nids_left++] = db_column_int64(in->reserve, 0);
		db_reset(in->reserve);
		if (rc < 0 || !in->nids_left)
			return -1;
		/* hand them out in ascending order */
		for (int i = 0, j = in->nids_left - 1; i < j; i++, j--) {
			int64_t t = in->ids_left[i];
			in->ids_left[i] = in->ids_left[j];
			in->ids_left[j] = t;
		}
	}
	return in->ids_left[--in->nids_left];
}

/* Is day before the first day kept, as the open batch began? */
static int before_kept(const struct ingest *in, int64_t day)
{
	return in->pruned > 0 && day < in->first_day;
}

const char *ingest_refusal(struct ingest *in, enum ingest_result res)
{
	char date[DB_DATE_MAX];

	if (res != INGEST_PRUNED)
		return INGEST_CONFLICT_REASON;
	db_format_day(in->first_day, date);
	snprintf(in->pruned_reason, sizeof(in->pruned_reason),
		 "the run started before %s, the first day whose raw rows are kept (xalt db prune):"
		 " not loaded (the summaries may count it already), and not a duplicate", date);
	return in->pruned_reason;
}

/* Is the month holding day known to have its partitions? */
static int month_known(const struct ingest *in, int64_t day)
{
	struct db_month mo;

	db_month_of_day(day, &mo);
	for (size_t i = 0; i < in->nmonths; i++)
		if (in->months[i] == mo.first)
			return 1;
	return 0;
}

/* PostgreSQL: note that the open batch holds a run of day. */
static void need_month(struct ingest *in, int64_t day)
{
	struct db_month mo;

	if (month_known(in, day))
		return;
	db_month_of_day(day, &mo);
	for (size_t i = 0; i < in->nneed; i++)
		if (in->need[i] == mo.first)
			return;
	if (in->nneed == in->aneed) {
		in->aneed = in->aneed ? 2 * in->aneed : 8;
		in->need = xrealloc(in->need, in->aneed * sizeof(*in->need));
	}
	in->need[in->nneed++] = mo.first;
}

/*
 * PostgreSQL, at commit before the move: create the partitions of the months
 * the batch needs (db_part_ensure, on the autocommit connection), once per
 * month and process. The batch's own transaction holds no lock on runs or
 * run_package yet (it has only staged rows in its temporary tables), so
 * neither the months' creation nor a `db prune` waiting on it can wait for
 * this batch. 0, or -1 after error().
 */
static int ensure_months(struct ingest *in)
{
	for (size_t i = 0; i < in->nneed; i++) {
		struct db_month mo;
		if (month_known(in, in->need[i]))
			continue;
		if (db_part_ensure(in->edb, in->need[i]))
			return -1;
		db_month_of_day(in->need[i], &mo);
		if (in->nmonths == in->amonths) {
			in->amonths = in->amonths ? 2 * in->amonths : 8;
			in->months = xrealloc(in->months, in->amonths * sizeof(*in->months));
		}
		in->months[in->nmonths++] = mo.first;
	}
	in->nneed = 0;
	return 0;
}

/* PostgreSQL: the run's row and its package rows into the staging tables. */
static enum ingest_result stage_run(struct ingest *in, const struct run_rec *r, int64_t user,
				    int64_t host, int64_t exec, int64_t libset, const char *origin)
{
	struct row_out o = { .copy = in->stage_runs };
	struct db_bulk *rp = in->run_package;
	int64_t run = reserve_run_id(in), day = db_day(r->start_time);

	if (run < 0)
		return INGEST_ERROR;
	if (in->queued == in->astaged) {
		in->astaged = in->astaged ? 2 * in->astaged : 1024;
		in->staged = xrealloc(in->staged, in->astaged * sizeof(*in->staged));
	}
	in->staged[in->queued] = run;
	db_copy_int64(in->stage_runs, run);
	put_run(&o, r, user, host, exec, libset, origin);
	db_copy_end_row(in->stage_runs);
	if (!before_kept(in, day))  /* else its move takes it out: no month made again */
		need_month(in, day);
	for (size_t i = 0; i < r->npkgs; i++) {
		const struct run_pkg *pk = &r->pkgs[i];
		db_copy_int64(rp, pk->name_id);
		db_copy_int64(rp, user);
		db_copy_int64(rp, run);
		db_copy_str(rp, pk->version);
		db_copy_str(rp, pk->path);
		db_copy_int64(rp, pk->import_us);
		db_copy_int64(rp, pk->direct);
		db_copy_int64(rp, pk->startup);
		db_copy_int64(rp, pk->used);
		db_copy_int64(rp, pk->functions_used);
		db_copy_int64(rp, pk->imported_by_id);
		db_copy_int64(rp, day);
		db_copy_end_row(rp);
	}
	in->queued++;
	return INGEST_QUEUED;
}

enum ingest_result ingest_load(struct ingest *in, struct ingest_parsed *p, const char *origin)
{
	struct run_rec *r = ingest_parsed_record(p);
	int64_t user, host, exec, libset, run, day;

	if (!r)
		return INGEST_REJECTED;
	/* a batch begins holding the schema: a migration since the last one
	 * stops the load before this batch writes anything; and reads how far
	 * raw rows were pruned (SQLite: exact, the batch holds the write lock) */
	if (!in->db->in_txn && (db_begin(in->db) || db_hold_schema(in->db) ||
				(in->pruned = db_first_raw_day(in->db, &in->first_day)) < 0))
		return INGEST_ERROR;
	day = db_day(r->start_time);
	if (!in->stage_runs && before_kept(in, day))
		return INGEST_PRUNED;
	if ((user = entity_user_id(in->ids, r)) < 0 || (host = entity_host_id(in->ids, r)) < 0 ||
	    (exec = entity_exec_id(in->ids, r)) < 0 || (libset = entity_libset_id(in->ids, r)) == -1 ||
	    (in->stage_runs ? entity_package_name_ids(in->ids, r) : entity_package_ids(in->ids, r)))
		return INGEST_ERROR;
	if (in->stage_runs)
		return stage_run(in, r, user, host, exec, libset, origin);
	if ((run = insert_run(in, r, user, host, exec, libset, origin)) < 0)
		return INGEST_ERROR;
	if (run == 0) {
		int same = same_run(in, r, user);
		return same < 0 ? INGEST_ERROR : same ? INGEST_DUPLICATE : INGEST_CONFLICT;
	}
	if (db_bulk_row(in->new_runs, (int64_t[]){ run, day }))
		return INGEST_ERROR;
	for (size_t i = 0; i < r->npkgs; i++) {
		const struct run_pkg *pk = &r->pkgs[i];
		int64_t row[NRP_COLS] = { pk->name_id, user, run, pk->package_id, pk->import_us,
					  pk->direct, pk->startup, pk->used, pk->functions_used,
					  pk->imported_by_id, day };
		if (db_bulk_row(in->run_package, row) || db_bulk_row(in->new_rp, row))
			return INGEST_ERROR;
	}
	in->added++;
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
	} else if (res == INGEST_CONFLICT || res == INGEST_PRUNED) {
		xbuf_reset(why);
		xbuf_addstr(why, ingest_refusal(in, res));
	}
	ingest_parsed_free(p);
	return res;
}

/* The index of id in the sorted ids[0..n), or -1. */
static ssize_t find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return (ssize_t)mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * PostgreSQL: each staged run st (SAME_RUN_SQL, LATE_SAME_RUN_SQL) returns,
 * with whether its stored run is the same run, a duplicate or a conflict
 * in in->results. DB_DONE, or -1.
 */
static int same_run_results(struct ingest *in, struct db_stmt *st, size_t n)
{
	int rc;

	while ((rc = db_step(st)) == DB_ROW) {
		ssize_t k = find_id(in->staged, n, db_column_int64(st, 0));
		if (k >= 0)
			in->results[k] = !strcmp(db_column_text(st, 1), "t") ? INGEST_DUPLICATE
									      : INGEST_CONFLICT;
	}
	db_reset(st);
	return rc;
}

/*
 * PostgreSQL: check, then move the open batch, and set in->results: per
 * queued record, INGEST_CONFLICT or INGEST_DUPLICATE (its uuid stored:
 * SAME_RUN_SQL), INGEST_PRUNED (PRUNED_SQL), INGEST_LOADED (inserted by the
 * move), or for one not inserted (stored meanwhile by another loader, or
 * twice in the batch) INGEST_DUPLICATE or INGEST_CONFLICT as
 * LATE_SAME_RUN_SQL finds it; a conflict when it finds no stored run (a
 * uuid a prune stopped between its two transactions left claimed).
 * Staged ids ascend in queue order (reserve_run_id). 0, or -1 after error().
 */
static int move_batch(struct ingest *in)
{
	struct xbuf ids = XBUF_INIT;       /* int64_t ids inserted by the move */
	size_t n = in->queued, nins;
	int rc;

	if (in->aresults < n) {
		in->aresults = n;
		in->results = xrealloc(in->results, n * sizeof(*in->results));
	}
	for (size_t k = 0; k < n; k++)
		in->results[k] = INGEST_LOADED;
	/* the staging tables' statistics before the statements that join them:
	 * without, the planner guessed their size and could loop over the
	 * move's CTE per package row, or scan all of runs. Only the columns
	 * those statements join, match or group on (db_analyze_batch); the
	 * move reads stage_rp through a CTE (kept), so its three columns
	 * serve the new packages' statement */
	if (ensure_months(in) || db_flush(in->db) ||
	    db_analyze_batch(in->db, "stage_runs (uuid), stage_rp (run_id, name_id, version, path)"))
		return -1;
	if (same_run_results(in, in->check, n) < 0)
		return -1;
	while ((rc = db_step(in->pruned_out)) == DB_ROW) {
		ssize_t k = find_id(in->staged, n, db_column_int64(in->pruned_out, 0));
		in->pruned = 1;
		in->first_day = db_column_int64(in->pruned_out, 1);
		if (k >= 0)
			in->results[k] = INGEST_PRUNED;
	}
	db_reset(in->pruned_out);
	if (rc < 0 || db_step(in->new_packages) < 0)
		return -1;
	db_reset(in->new_packages);
	while ((rc = db_step(in->run)) == DB_ROW) {
		int64_t id = db_column_int64(in->run, 0);
		xbuf_add(&ids, &id, sizeof(id));
	}
	db_reset(in->run);
	nins = ids.len / sizeof(int64_t);
	/* the runs inserted, and their package rows, for the summaries */
	in->added = nins;
	if (rc == DB_DONE) {
		int64_t *ins = (int64_t *)ids.buf;
		size_t skipped = 0;
		qsort(ins, nins, sizeof(*ins), cmp_id);
		for (size_t k = 0; k < n; k++)
			if (in->results[k] == INGEST_LOADED && find_id(ins, nins, in->staged[k]) < 0) {
				in->results[k] = INGEST_CONFLICT;
				skipped++;
			}
		if (skipped)
			rc = same_run_results(in, in->late_check, n);
	}
	xbuf_release(&ids);
	return rc == DB_DONE ? 0 : -1;
}

int ingest_commit(struct ingest *in)
{
	in->nresults = 0;
	if (!in->db->in_txn)
		return 0;
	if (in->queued && move_batch(in))
		return -1;
	/* the summaries in the batch's transaction: a batch stays atomic */
	if (in->added && (db_flush(in->db) || summary_add(in->db)))
		return -1;
	if (db_commit(in->db))
		return -1;
	in->nresults = in->queued;
	in->queued = 0;
	in->added = 0;
	return 0;
}

const enum ingest_result *ingest_commit_results(const struct ingest *in, size_t *n)
{
	*n = in->nresults;
	return in->results;
}

void ingest_close(struct ingest *in)
{
	if (!in)
		return;
	if (in->db->in_txn)
		db_rollback(in->db);
	db_finalize(in->run);
	db_finalize(in->stored);
	db_finalize(in->reserve);
	db_finalize(in->new_packages);
	db_finalize(in->check);
	db_finalize(in->pruned_out);
	db_finalize(in->late_check);
	entity_ids_close(in->ids);
	db_close(in->edb);
	free(in->months);
	free(in->need);
	free(in->staged);
	free(in->results);
	free(in);
	known_libs_clear();
}
