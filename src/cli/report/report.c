/*
 * Report queries and table output (see report.h).
 *
 * The packages report is the one with a budget (issue 4: 1 M runs / 10 M
 * package rows in <= 1 s on SQLite). It reads only run_package's covering
 * index (name_id, user_id): first one row per (package, user) with its run
 * count, then per package the sum (runs) and the row count (distinct users).
 * Measured here: 10 M rows in 0.48 s this way, 0.63 s with COUNT(DISTINCT).
 * Filters on host, syshost or time select a set of run ids first and are
 * slower (several seconds at that size), as expected.
 *
 * Sections: filters | queries | table | output formats | time parsing
 */
#include "report.h"
#include "cli.h"
#include "db.h"
#include "summary.h"
#include "visible.h"
#include "xalt-env.h"
#include "xbuf.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const report_kinds[] = {
	"packages", "versions", "conda", "import-time", "executables", "libraries", "summary",
	"unused", "deps", NULL
};

/* === filters ================================================================ */

struct params {
	int n;
	struct { int real; const char *s; double d; } v[16];
};

static void param_str(struct params *p, const char *s) { p->v[p->n].real = 0; p->v[p->n++].s = s; }
static void param_real(struct params *p, double d) { p->v[p->n].real = 1; p->v[p->n++].d = d; }

/* " AND <cond>" for each filter on the runs row r, the user excepted. */
static void runs_filters(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	if (f->host) {
		xbuf_addstr(sql, " AND r.host_id IN (SELECT id FROM hosts WHERE host = ?)");
		param_str(p, f->host);
	}
	if (f->syshost) {
		xbuf_addstr(sql, " AND r.host_id IN (SELECT id FROM hosts WHERE syshost = ?)");
		param_str(p, f->syshost);
	}
	if (f->has_since) {
		xbuf_addstr(sql, " AND r.start_time >= ?");
		param_real(p, f->since);
	}
	if (f->has_until) {
		xbuf_addstr(sql, " AND r.start_time < ?");
		param_real(p, f->until);
	}
}

static int needs_runs(const struct report_filter *f)
{
	return f->host || f->syshost || f->has_since || f->has_until;
}

static void user_filter(struct xbuf *sql, struct params *p, const struct report_filter *f,
			const char *user_col)
{
	if (f->user) {
		xbuf_addf(sql, " AND %s = (SELECT id FROM users WHERE name = ?)", user_col);
		param_str(p, f->user);
	}
}

/* Filters of a query over runs r. */
static void run_filters(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	user_filter(sql, p, f, "r.user_id");
	runs_filters(sql, p, f);
}

/*
 * Filters of a query over run_package rp: the user on rp's own copy, the rest
 * as a set of run ids. Measured on 1 M runs / 10 M rows with a time window:
 * the set costs 3.6 s CPU, a join to runs 4.4 s + 6.3 s system time (a
 * random page of runs per row).
 */
static void rp_filters(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	user_filter(sql, p, f, "rp.user_id");
	if (needs_runs(f)) {
		xbuf_addstr(sql, " AND rp.run_id IN (SELECT r.id FROM runs r WHERE 1 = 1");
		runs_filters(sql, p, f);
		xbuf_addstr(sql, ")");
	}
}

static void limit(struct xbuf *sql, const struct report_filter *f)
{
	if (f->top > 0)
		xbuf_addf(sql, " LIMIT %ld", f->top);
}

/* === summaries ============================================================= */

/*
 * A report answers from the summary tables (summary.h) when its filters
 * allow: no --user or --host (no summary is keyed by them) and a window
 * whose ends are midnights UTC (summaries count whole days). Otherwise, or
 * with XALT_REPORT_SOURCE=raw (tests; checking a site's data), from the raw
 * rows: the queries kept as the reference.
 */
static int from_summaries(const struct report_filter *f)
{
	const char *src = getenv(XALT_ENV_REPORT_SOURCE);

	if (src && !strcmp(src, "raw"))
		return 0;
	return !f->user && !f->host &&
	       (!f->has_since || fmod(f->since, 86400.0) == 0.0) &&
	       (!f->has_until || fmod(f->until, 86400.0) == 0.0);
}

/* No window: the level-2 rows (periods), or lib_rank (q_libraries). */
static int all_time(const struct report_filter *f)
{
	return !f->has_since && !f->has_until;
}

/* Beyond any day a report is asked about (2^40 days: no overflow below). */
#define DAY_FAR ((int64_t)1 << 40)

static int64_t ceil_block(int64_t day)
{
	return -summary_block(-day);
}

/*
 * The periods of a window: the whole blocks [b0, b1) inside [d0, d1) and
 * the days at its edges, [d0, b0 * SUMMARY_BLOCK_DAYS) and
 * [b1 * SUMMARY_BLOCK_DAYS, d1); days [d0, d1) only when no block fits.
 */
struct periods {
	int64_t d0, d1, b0, b1;
};

static struct periods periods_of(const struct report_filter *f)
{
	struct periods w;

	w.d0 = f->has_since ? (int64_t)(f->since / 86400) : -DAY_FAR;
	w.d1 = f->has_until ? (int64_t)(f->until / 86400) : DAY_FAR;
	w.b0 = ceil_block(w.d0);
	w.b1 = summary_block(w.d1);
	return w;
}

/*
 * " AND <the periods of the window>" on the columns lvl and p of the
 * summary table aliased a (a "s." or ""): level 2 without a window (its one
 * period, 0, written too: the key's next column can then be looked up by
 * index), else the window's blocks and edge days as ranges. The numbers
 * are computed here, so they are written into the SQL.
 */
static void periods(struct xbuf *sql, const struct report_filter *f, const char *a)
{
	struct periods w = periods_of(f);

	if (all_time(f)) {
		xbuf_addf(sql, " AND %slvl = 2 AND %sp = 0", a, a);
	} else if (w.b0 >= w.b1) {
		xbuf_addf(sql, " AND %slvl = 0 AND %sp >= %" PRId64 " AND %sp < %" PRId64,
			  a, a, w.d0, a, w.d1);
	} else {
		xbuf_addf(sql, " AND ((%slvl = 0 AND %sp >= %" PRId64 " AND %sp < %" PRId64 ")"
			  " OR (%slvl = 1 AND %sp >= %" PRId64 " AND %sp < %" PRId64 ")"
			  " OR (%slvl = 0 AND %sp >= %" PRId64 " AND %sp < %" PRId64 "))",
			  a, a, w.d0, a, w.b0 * SUMMARY_BLOCK_DAYS, a, a, w.b0, a, w.b1,
			  a, a, w.b1 * SUMMARY_BLOCK_DAYS, a, w.d1);
	}
}

/* periods, and the cluster when --syshost: the filters of a summary row. */
static void sum_filters(struct xbuf *sql, struct params *p, const struct report_filter *f,
			const char *a)
{
	periods(sql, f, a);
	if (f->syshost) {
		xbuf_addf(sql, " AND %ssyshost = ?", a);
		param_str(p, f->syshost);
	}
}

/* " AND n.name = ? [AND n.program = ?]": the package of versions and deps */
static void package_filter(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	xbuf_addstr(sql, " AND n.name = ?");
	param_str(p, f->package);
	if (f->program) {
		xbuf_addstr(sql, " AND n.program = ?");
		param_str(p, f->program);
	}
}

/*
 * The distinct users of a group: over its words m (the presence rows'
 * bits OR-ed per key and word over the window's periods), the bits set
 * (summary.h, "user words").
 */
#define USERS "SUM(@POPCOUNT@(m@BITS@))"

/* === queries ================================================================ */

/* The counters per package: runs (or direct runs), direct and used runs. */
static void pkg_counters(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	xbuf_addf(sql, "SELECT name_id, SUM(%s) AS runs, SUM(direct_runs) AS direct_runs,"
		  " SUM(%s) AS used_runs FROM sum_pkg WHERE 1 = 1", f->direct ? "direct_runs" : "runs",
		  f->direct ? "direct_used" : "used_runs");
	sum_filters(sql, p, f, "");
	xbuf_addf(sql, " GROUP BY name_id HAVING SUM(%s) > 0", f->direct ? "direct_runs" : "runs");
}

/* Beyond this many days (eleven years: 62 edge days and 128 blocks at
 * most), rows_of_keys names a window's periods by range. */
#define LISTED_DAYS_MAX 4096

/* each n in [from, to) into a list, after the *n items written before */
static void add_each(struct xbuf *sql, int *n, int64_t from, int64_t to)
{
	for (int64_t v = from; v < to; v++)
		xbuf_addf(sql, "%s%" PRId64, (*n)++ ? ", " : "", v);
}

/* The columns, table and keys of rows_of_keys: "SELECT cols FROM table
 * WHERE key IN (SELECT key FROM keys)", or when correlated "... WHERE key
 * = keys.key" (keys: a table of the enclosing query); clusters: name every
 * cluster, the table's key having syshost before key. */
struct keyed {
	const char *cols, *table, *key, *keys;
	int correlated, clusters;
};

/*
 * A branch of rows_of_keys, its periods left to the caller: on the
 * --syshost cluster, or on each cluster named when q->clusters (a summary
 * syshost is a hosts.syshost, and no hosts row is ever deleted: prune
 * keeps the entities).
 */
static void keyed_branch(struct xbuf *sql, struct params *p, const struct report_filter *f,
			 const struct keyed *q, int *branches)
{
	xbuf_addf(sql, "%sSELECT %s FROM %s WHERE %s", (*branches)++ ? " UNION ALL " : "",
		  q->cols, q->table, q->key);
	if (q->correlated)
		xbuf_addf(sql, " = %s.%s", q->keys, q->key);
	else
		xbuf_addf(sql, " IN (SELECT %s FROM %s)", q->key, q->keys);
	if (f->syshost) {
		xbuf_addstr(sql, " AND syshost = ?");
		param_str(p, f->syshost);
	} else if (q->clusters) {
		xbuf_addstr(sql, " AND syshost IN (SELECT DISTINCT syshost FROM hosts)");
	}
}

/*
 * The rows of a report's first keys (their users: q_packages' k,
 * q_libraries' c) over the window: the periods of periods(), each named, a
 * branch per level ("... AND lvl = 0 AND p IN (days) UNION ALL ... AND lvl
 * = 1 AND p IN (blocks)"), so that each (period, key) is one descent of an
 * index. A btree can't skip through a range of p to a key's later
 * columns: a range read every key's rows of the window (PostgreSQL, a
 * month: 950,000 presence rows for 40 packages' 309,000), and an OR of the
 * levels made PostgreSQL read the table's pages. Ranges when the window is
 * open (all time too: one period), empty, or longer than LISTED_DAYS_MAX.
 */
static void rows_of_keys(struct xbuf *sql, struct params *p, const struct report_filter *f,
			 const struct keyed *q)
{
	struct periods w = periods_of(f);
	int64_t e0 = w.b0 * SUMMARY_BLOCK_DAYS, e1 = w.b1 * SUMMARY_BLOCK_DAYS;
	int branches = 0, n = 0;

	if (!f->has_since || !f->has_until || w.d0 >= w.d1 ||
	    w.d1 - w.d0 > LISTED_DAYS_MAX) {
		keyed_branch(sql, p, f, q, &branches);
		periods(sql, f, "");
		return;
	}
	if (w.b0 >= w.b1) {
		e0 = w.d1;   /* days only: [d0, d1) */
		e1 = w.d1;
	}
	if (w.d0 < e0 || e1 < w.d1) {
		keyed_branch(sql, p, f, q, &branches);
		xbuf_addstr(sql, " AND lvl = 0 AND p IN (");
		add_each(sql, &n, w.d0, e0);
		add_each(sql, &n, e1, w.d1);
		xbuf_addstr(sql, ")");
	}
	if (w.b0 < w.b1) {
		keyed_branch(sql, p, f, q, &branches);
		xbuf_addstr(sql, " AND lvl = 1 AND p IN (");
		n = 0;
		add_each(sql, &n, w.b0, w.b1);
		xbuf_addstr(sql, ")");
	}
}

/* " (SELECT name_id, users FROM pres_pkg ...) u": users per package, of
 * those in keys (a table of name_id) when keys */
static void pkg_users(struct xbuf *sql, struct params *p, const struct report_filter *f,
		      const char *keys)
{
	const char *bits = f->direct ? "dbits" : "bits";

	xbuf_addf(sql, " (SELECT name_id, " USERS " AS users FROM (SELECT name_id, @BIT_OR@(%s) AS m"
		  " FROM ", bits);
	if (keys) {
		xbuf_addstr(sql, "(");
		rows_of_keys(sql, p, f, &(struct keyed){
			.cols = f->direct ? "name_id, w, dbits" : "name_id, w, bits",
			.table = "pres_pkg", .key = "name_id", .keys = keys });
		xbuf_addstr(sql, ") s");
	} else {
		xbuf_addstr(sql, "pres_pkg WHERE 1 = 1");
		sum_filters(sql, p, f, "");
	}
	xbuf_addstr(sql, " GROUP BY name_id, w) y GROUP BY name_id) u");
}

/*
 * Per package: runs, distinct users, and of those runs the direct imports
 * and the used ones (issue 11; rows of older records count in runs only:
 * their flags are NULL). --direct keeps the direct rows only. The inner
 * table x (name_id, runs, users, direct_runs, used_runs) comes from the raw
 * rows or from the summaries.
 *
 * From the summaries with --top N, ranked by runs: the counters of every
 * package first, then the users of the first N of each program alone (k,
 * ties included: rr is 1 + the number of the program's packages with more
 * runs, so rr <= N means runs >= the N-th largest). Users OR-ed by word and
 * counted for every package in the window were most of this report's time
 * (bench/RESULTS.md, "Reports as the history grows").
 */
static void q_packages(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	int ranked = from_summaries(f) && f->top > 0 && !f->by_users;

	if (ranked) {
		xbuf_addstr(sql, "WITH k AS MATERIALIZED (SELECT * FROM (SELECT c.*, RANK() OVER"
			    " (PARTITION BY n.program ORDER BY c.runs DESC) AS rr FROM (");
		pkg_counters(sql, p, f);
		xbuf_addstr(sql, ") c JOIN package_names n ON n.id = c.name_id");
		if (f->program) {
			xbuf_addstr(sql, " AND n.program = ?");
			param_str(p, f->program);
		}
		xbuf_addf(sql, ") t WHERE rr <= %ld) ", f->top);
	}
	xbuf_addstr(sql,
		"SELECT program, name, runs, users, direct_runs, used_runs FROM ("
		" SELECT n.program, n.name, x.runs, x.users, x.direct_runs, x.used_runs,"
		" ROW_NUMBER() OVER (PARTITION BY n.program ORDER BY ");
	xbuf_addstr(sql, f->by_users ? "x.users DESC, x.runs DESC" : "x.runs DESC, x.users DESC");
	xbuf_addstr(sql, ", n.name) AS rk FROM ");
	if (ranked) {
		xbuf_addstr(sql, "(SELECT k.name_id, k.runs, u.users, k.direct_runs, k.used_runs FROM k JOIN");
		pkg_users(sql, p, f, "k");
		xbuf_addstr(sql, " ON u.name_id = k.name_id) x");
	} else if (from_summaries(f)) {
		xbuf_addstr(sql, "(SELECT c.name_id, c.runs, u.users, c.direct_runs, c.used_runs FROM (");
		pkg_counters(sql, p, f);
		xbuf_addstr(sql, ") c JOIN");
		pkg_users(sql, p, f, NULL);
		xbuf_addstr(sql, " ON u.name_id = c.name_id) x");
	} else {
		xbuf_addstr(sql,
			"(SELECT name_id, SUM(c) AS runs, COUNT(*) AS users, SUM(d) AS direct_runs,"
			"  SUM(u) AS used_runs FROM"
			"  (SELECT rp.name_id, rp.user_id, COUNT(*) AS c, COUNT(CASE WHEN rp.direct = 1 THEN 1 END) AS d,"
			"   COUNT(CASE WHEN rp.used = 1 THEN 1 END) AS u FROM run_package rp WHERE 1 = 1");
		if (f->direct)
			xbuf_addstr(sql, " AND rp.direct = 1");
		rp_filters(sql, p, f);
		xbuf_addstr(sql, " GROUP BY rp.name_id, rp.user_id) y GROUP BY name_id) x");
	}
	xbuf_addstr(sql, " JOIN package_names n ON n.id = x.name_id");
	if (f->program) {
		xbuf_addstr(sql, " WHERE n.program = ?");
		param_str(p, f->program);
	}
	xbuf_addstr(sql, ") z");
	if (f->top > 0)
		xbuf_addf(sql, " WHERE rk <= %ld", f->top);
	xbuf_addstr(sql, " ORDER BY program, rk");
}

/*
 * Imported but not used: among the runs whose interpreter can tell (used
 * not NULL: Python >= 3.12), per package the runs, the used runs and the
 * rest. The order compares integers only (used * 10^6 / runs), so both
 * engines sort ties alike.
 */
static void q_unused(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	xbuf_addstr(sql,
		"SELECT n.program, n.name, x.runs, x.used_runs, x.runs - x.used_runs AS unused_runs FROM ");
	if (from_summaries(f)) {
		xbuf_addstr(sql, "(SELECT name_id, SUM(used_known) AS runs, SUM(used_runs) AS used_runs"
			    " FROM sum_pkg WHERE 1 = 1");
		sum_filters(sql, p, f, "");
		xbuf_addstr(sql, " GROUP BY name_id HAVING SUM(used_known) > 0) x");
	} else {
		xbuf_addstr(sql, "(SELECT rp.name_id, COUNT(*) AS runs, COUNT(CASE WHEN rp.used = 1 THEN 1 END) AS used_runs"
			    " FROM run_package rp WHERE rp.used IS NOT NULL");
		rp_filters(sql, p, f);
		xbuf_addstr(sql, " GROUP BY rp.name_id) x");
	}
	xbuf_addstr(sql, " JOIN package_names n ON n.id = x.name_id");
	if (f->program) {
		xbuf_addstr(sql, " WHERE n.program = ?");
		param_str(p, f->program);
	}
	if (f->sort && !strcmp(f->sort, "ratio"))
		xbuf_addstr(sql, " ORDER BY x.used_runs * 1000000 / x.runs, x.runs DESC");
	else if (f->sort && !strcmp(f->sort, "runs"))
		xbuf_addstr(sql, " ORDER BY x.runs DESC, x.used_runs");
	else
		xbuf_addstr(sql, " ORDER BY unused_runs DESC, x.runs DESC");
	xbuf_addstr(sql, ", n.program, n.name");
	limit(sql, f);
}

/*
 * Summaries keep runs and users apart (counters, presence rows; libraries
 * excepted, q_libraries): the answer joins c (the groups with their
 * counters) and u (their users) on the group's columns. A query of that shape:
 *   SELECT cols FROM (SELECT keys, sums FROM counters s join ... GROUP BY keys) c
 *   JOIN (SELECT names, USERS AS users FROM (SELECT keys, @BIT_OR@(s.bits) AS m
 *   FROM presence s join ... GROUP BY keys, s.w) y GROUP BY names) u
 *   ON (the names of keys equal) ORDER BY order
 * with the window's filters (and the package's, when pkg) on both sides.
 */
struct counted {
	const char *cols, *keys, *names[3], *sums, *counters, *presence, *join, *order;
	int pkg;
};

static void add_names(struct xbuf *sql, const struct counted *q)
{
	for (int i = 0; q->names[i]; i++)
		xbuf_addf(sql, "%s%s", i ? ", " : "", q->names[i]);
}

static void counted_users(struct xbuf *sql, struct params *p, const struct report_filter *f,
			  const struct counted *q)
{
	for (int side = 0; side < 2; side++) {
		if (!side) {
			xbuf_addf(sql, "SELECT %s FROM (SELECT %s, %s FROM %s s%s", q->cols, q->keys,
				  q->sums, q->counters, q->join);
		} else {
			xbuf_addf(sql, " GROUP BY %s) c JOIN (SELECT ", q->keys);
			add_names(sql, q);
			xbuf_addf(sql, ", " USERS " AS users FROM (SELECT %s, @BIT_OR@(s.bits) AS m"
				  " FROM %s s%s", q->keys, q->presence, q->join);
		}
		if (q->pkg)
			package_filter(sql, p, f);
		sum_filters(sql, p, f, "s.");
	}
	xbuf_addf(sql, " GROUP BY %s, s.w) y GROUP BY ", q->keys);
	add_names(sql, q);
	xbuf_addstr(sql, ") u ON");
	for (int i = 0; q->names[i]; i++)
		xbuf_addf(sql, "%s u.%s = c.%s", i ? " AND" : "", q->names[i], q->names[i]);
	xbuf_addf(sql, " ORDER BY %s", q->order);
	limit(sql, f);
}


/* Which packages pull PKG in (imported_by), how often and for how many users. */
static void q_deps(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	static const struct counted q = {
		.cols = "c.program, c.name, c.runs, u.users", .keys = "n.program, b.name",
		.names = { "program", "name" }, .sums = "SUM(s.runs) AS runs",
		.counters = "sum_dep", .presence = "pres_dep",
		.join = " JOIN package_names n ON n.id = s.name_id"
			" JOIN package_names b ON b.id = s.by_id WHERE 1 = 1",
		.order = "c.program, c.runs DESC, c.name", .pkg = 1,
	};

	if (from_summaries(f)) {
		counted_users(sql, p, f, &q);
		return;
	}
	xbuf_addstr(sql,
		"SELECT n.program, b.name, COUNT(*) AS runs, COUNT(DISTINCT rp.user_id) AS users"
		" FROM run_package rp JOIN package_names n ON n.id = rp.name_id"
		" JOIN package_names b ON b.id = rp.imported_by_id WHERE 1 = 1");
	package_filter(sql, p, f);
	rp_filters(sql, p, f);
	xbuf_addstr(sql, " GROUP BY n.program, b.name ORDER BY n.program, runs DESC, b.name");
	limit(sql, f);
}

static void q_versions(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	static const struct counted q = {
		.cols = "c.program, CASE WHEN c.version = '' THEN NULL ELSE c.version END,"
			" c.runs, u.users",
		.keys = "n.program, s.version", .names = { "program", "version" },
		.sums = "SUM(s.runs) AS runs", .counters = "sum_pkg", .presence = "pres_pkg",
		.join = " JOIN package_names n ON n.id = s.name_id WHERE 1 = 1",
		.order = "c.program, c.runs DESC, c.version", .pkg = 1,
	};

	if (from_summaries(f)) {
		counted_users(sql, p, f, &q);
		return;
	}
	xbuf_addstr(sql,
		"SELECT n.program, CASE WHEN pk.version = '' THEN NULL ELSE pk.version END AS version,"
		" COUNT(*) AS runs, COUNT(DISTINCT rp.user_id) AS users"
		" FROM run_package rp JOIN packages pk ON pk.id = rp.package_id"
		" JOIN package_names n ON n.id = rp.name_id WHERE 1 = 1");
	package_filter(sql, p, f);
	rp_filters(sql, p, f);
	xbuf_addstr(sql, " GROUP BY n.program, pk.version ORDER BY n.program, runs DESC, pk.version");
	limit(sql, f);
}

static void q_conda(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	if (from_summaries(f)) {
		xbuf_addstr(sql,
			"SELECT u.name AS user_name, SUM(s.system_runs) AS system_runs,"
			" SUM(s.venv_runs) AS venv_runs, SUM(s.conda_runs) AS conda_runs,"
			" SUM(s.runs) AS total FROM sum_kind s JOIN users u ON u.id = s.user_id"
			" WHERE s.interp = ?");
		param_str(p, f->program ? f->program : "python");
		sum_filters(sql, p, f, "s.");
	} else {
		xbuf_addstr(sql,
			"SELECT u.name AS user_name,"
			" SUM(CASE WHEN r.interp_kind = 'system' THEN 1 ELSE 0 END) AS system_runs,"
			" SUM(CASE WHEN r.interp_kind = 'venv' THEN 1 ELSE 0 END) AS venv_runs,"
			" SUM(CASE WHEN r.interp_kind = 'conda' THEN 1 ELSE 0 END) AS conda_runs,"
			" COUNT(*) AS total"
			" FROM runs r JOIN users u ON u.id = r.user_id WHERE r.interp_program = ?");
		param_str(p, f->program ? f->program : "python");
		run_filters(sql, p, f);
	}
	xbuf_addstr(sql, " GROUP BY u.name ORDER BY total DESC, u.name");
	limit(sql, f);
}

static void q_import_time(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	int sums = from_summaries(f);

	if (sums) {
		xbuf_addstr(sql,
			"SELECT n.program, n.name, SUM(s.import_runs) AS runs, SUM(s.import_us) AS total_us"
			" FROM sum_pkg s JOIN package_names n ON n.id = s.name_id WHERE 1 = 1");
		sum_filters(sql, p, f, "s.");
	} else {
		xbuf_addstr(sql,
			"SELECT n.program, n.name, COUNT(*) AS runs, SUM(rp.import_us) AS total_us"
			" FROM run_package rp JOIN package_names n ON n.id = rp.name_id"
			" WHERE rp.import_us IS NOT NULL");
		rp_filters(sql, p, f);
	}
	if (f->program) {
		xbuf_addstr(sql, " AND n.program = ?");
		param_str(p, f->program);
	}
	xbuf_addstr(sql, " GROUP BY n.program, n.name");
	if (sums)
		xbuf_addstr(sql, " HAVING SUM(s.import_runs) > 0");
	xbuf_addstr(sql, " ORDER BY total_us DESC, n.program, n.name");
	limit(sql, f);
}

/* Run time is summed in whole ms (@RUN_MS@, db.h) on both paths. */
static void q_executables(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	static const struct counted q = {
		.cols = "c.path, c.runs, u.users, c.run_ms", .keys = "e.path", .names = { "path" },
		.sums = "SUM(s.runs) AS runs, CASE WHEN SUM(s.rt_runs) > 0 THEN SUM(s.run_ms) END"
			" AS run_ms",
		.counters = "sum_exec", .presence = "pres_exec",
		.join = " JOIN executables e ON e.id = s.exec_id WHERE 1 = 1",
		.order = "c.runs DESC, c.path",
	};

	if (from_summaries(f)) {
		counted_users(sql, p, f, &q);
		return;
	}
	xbuf_addstr(sql,
		"SELECT e.path, COUNT(*) AS runs, COUNT(DISTINCT r.user_id) AS users,"
		" SUM(@RUN_MS@) AS run_ms FROM runs r JOIN executables e ON e.id = r.exec_id"
		" WHERE 1 = 1");
	run_filters(sql, p, f);
	xbuf_addstr(sql, " GROUP BY e.path ORDER BY runs DESC, e.path");
	limit(sql, f);
}

/*
 * From the summaries: sum_lib holds runs and user words in one row
 * (summary.c). Without --top, one pass: runs and users of every library.
 * With --top N, the runs of every library first (a plain sum: no words,
 * one grouping), then the users and paths of the libraries with the N
 * highest run counts only (ties included; every library of c has rows in
 * the window, so the join to u keeps them all). Users were the cost: each
 * of a month's 135,000 libraries grouped by word, then by library, through
 * @BIT_OR@ (bench/RESULTS.md, "Reports as the history grows"); and
 * PostgreSQL, expecting 200 libraries, looked every path up by index.
 * All time over every cluster, the runs come ranked from lib_rank
 * (summary.c): its first N by index, not a sum over every library ever
 * seen, whose number grows with the history. The N's users are looked up
 * by key (rows_of_keys): PostgreSQL scanned the window's rows a second
 * time for them. A subquery per library (correlated), so that PostgreSQL
 * looks each up whatever it guesses of their number: guessing 74,000 from
 * "runs >=", it read the whole all-time partition instead. On PostgreSQL
 * the day rows are a partition of their own, indexed for both passes
 * (summary.c, "version 9").
 */
static void q_libraries(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	if (from_summaries(f) && f->top <= 0) {
		xbuf_addstr(sql, "SELECT l.path, c.runs, c.users FROM (SELECT library_id, SUM(runs) AS runs, "
			    USERS " AS users FROM (SELECT library_id, SUM(runs) AS runs,"
			    " @BIT_OR@(bits) AS m FROM sum_lib WHERE 1 = 1");
		sum_filters(sql, p, f, "");
		xbuf_addstr(sql, " GROUP BY library_id, w) y GROUP BY library_id) c"
			    " JOIN libraries l ON l.id = c.library_id ORDER BY c.runs DESC, l.path");
		return;
	}
	if (from_summaries(f)) {
		/* all time, every cluster: lib_rank itself, so that both engines
		 * read its first N by index (a CTE named twice is materialized) */
		int from_rank = all_time(f) && !f->syshost;
		const char *r = from_rank ? "lib_rank" : "r";

		xbuf_addstr(sql, "WITH ");
		if (!from_rank) {
			xbuf_addstr(sql, "r AS MATERIALIZED (SELECT library_id, SUM(runs) AS runs"
				    " FROM sum_lib WHERE 1 = 1");
			sum_filters(sql, p, f, "");
			xbuf_addstr(sql, " GROUP BY library_id), ");
		}
		xbuf_addf(sql, "c AS MATERIALIZED (SELECT library_id, runs FROM %s WHERE runs >="
			  " COALESCE((SELECT runs FROM %s ORDER BY runs DESC LIMIT 1 OFFSET %ld), 0))"
			  " SELECT l.path, c.runs, (SELECT " USERS " FROM (SELECT @BIT_OR@(bits) AS m"
			  " FROM (", r, r, f->top - 1);
		rows_of_keys(sql, p, f, &(struct keyed){ .cols = "w, bits", .table = "sum_lib",
			.key = "library_id", .keys = "c", .correlated = 1, .clusters = 1 });
		xbuf_addstr(sql, ") s GROUP BY w) y) AS users FROM c JOIN libraries l ON l.id = c.library_id"
			    " ORDER BY c.runs DESC, l.path");
		limit(sql, f);
		return;
	}
	xbuf_addstr(sql,
		"SELECT l.path, COUNT(DISTINCT r.id) AS runs, COUNT(DISTINCT r.user_id) AS users"
		" FROM runs r JOIN libset_library ll ON ll.libset_id = r.libset_id"
		" JOIN libraries l ON l.id = ll.library_id WHERE 1 = 1");
	run_filters(sql, p, f);
	xbuf_addstr(sql, " GROUP BY l.path ORDER BY runs DESC, l.path");
	limit(sql, f);
}

static void q_summary(struct xbuf *sql, struct params *p, const struct report_filter *f)
{
	if (from_summaries(f)) {
		xbuf_addstr(sql, "SELECT (SELECT COALESCE(SUM(runs), 0) FROM sum_exec WHERE 1 = 1");
		sum_filters(sql, p, f, "");
		xbuf_addstr(sql, "), (SELECT COALESCE(" USERS ", 0) FROM (SELECT @BIT_OR@(bits) AS m"
			    " FROM pres_exec WHERE 1 = 1");
		sum_filters(sql, p, f, "");
		xbuf_addstr(sql, " GROUP BY w) y");
		xbuf_addstr(sql, "), (SELECT COUNT(DISTINCT host_id) FROM pres_host WHERE 1 = 1");
		periods(sql, f, "");
		if (f->syshost) {
			xbuf_addstr(sql, " AND host_id IN (SELECT id FROM hosts WHERE syshost = ?)");
			param_str(p, f->syshost);
		}
		xbuf_addstr(sql, "), (SELECT COUNT(DISTINCT exec_id) FROM sum_exec WHERE 1 = 1");
		sum_filters(sql, p, f, "");
		xbuf_addstr(sql, "), (SELECT COUNT(*) FROM package_names)");
		return;
	}
	xbuf_addstr(sql,
		"SELECT COUNT(*) AS runs, COUNT(DISTINCT r.user_id) AS users,"
		" COUNT(DISTINCT r.host_id) AS hosts, COUNT(DISTINCT r.exec_id) AS executables,"
		" (SELECT COUNT(*) FROM package_names) AS packages FROM runs r WHERE 1 = 1");
	run_filters(sql, p, f);
}

struct kind {
	const char *name;
	const char *title;
	void (*query)(struct xbuf *sql, struct params *p, const struct report_filter *f);
	int ncols;
	const char *cols[REPORT_MAXCOLS];
	enum report_coltype types[REPORT_MAXCOLS];
	/* a row from the query's columns, when not one cell per column */
	void (*row)(struct report_table *t, struct db_stmt *st);
};

static void set_cell(struct report_table *t, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* import-time: runs, total_us -> runs, total_s, mean_ms */
static void row_import_time(struct report_table *t, struct db_stmt *st)
{
	int64_t runs = db_column_int64(st, 2), us = db_column_int64(st, 3);

	set_cell(t, 0, "%s", db_column_text(st, 0));
	set_cell(t, 1, "%s", db_column_text(st, 1));
	set_cell(t, 2, "%" PRId64, runs);
	set_cell(t, 3, "%.3f", us / 1e6);
	set_cell(t, 4, "%.3f", runs ? us / 1e3 / runs : 0.0);
}

/* unused: the used ratio computed here from the two integer counts */
static void row_unused(struct report_table *t, struct db_stmt *st)
{
	int64_t runs = db_column_int64(st, 2), used = db_column_int64(st, 3);

	for (int c = 0; c < 2; c++)
		set_cell(t, c, "%s", db_column_text(st, c));
	set_cell(t, 2, "%" PRId64, runs);
	set_cell(t, 3, "%" PRId64, used);
	set_cell(t, 4, "%" PRId64, db_column_int64(st, 4));
	set_cell(t, 5, "%.3f", runs ? (double)used / runs : 0.0);
}

/* executables: run_ms -> run_time_s, printed from the integer (no rounding) */
static void row_executables(struct report_table *t, struct db_stmt *st)
{
	set_cell(t, 0, "%s", db_column_text(st, 0));
	set_cell(t, 1, "%" PRId64, db_column_int64(st, 1));
	set_cell(t, 2, "%" PRId64, db_column_int64(st, 2));
	if (!db_column_is_null(st, 3)) {
		int64_t ms = db_column_int64(st, 3);
		uint64_t a = ms < 0 ? -(uint64_t)ms : (uint64_t)ms;
		set_cell(t, 3, "%s%" PRIu64 ".%03" PRIu64, ms < 0 ? "-" : "", a / 1000, a % 1000);
	}
}

static const struct kind kinds[] = {
	{ "packages", "Most used packages", q_packages, 6,
	  { "program", "package", "runs", "users", "direct", "used" },
	  { RC_TEXT, RC_TEXT, RC_INT, RC_INT, RC_INT, RC_INT }, NULL },
	{ "versions", "Versions in use", q_versions, 4,
	  { "program", "version", "runs", "users" }, { RC_TEXT, RC_TEXT, RC_INT, RC_INT }, NULL },
	{ "conda", "Python interpreters by user", q_conda, 5,
	  { "user", "system", "venv", "conda", "total" }, { RC_TEXT, RC_INT, RC_INT, RC_INT, RC_INT },
	  NULL },
	{ "import-time", "Total import time by package", q_import_time, 5,
	  { "program", "package", "runs", "total_s", "mean_ms" },
	  { RC_TEXT, RC_TEXT, RC_INT, RC_REAL, RC_REAL }, row_import_time },
	{ "executables", "Executables", q_executables, 4,
	  { "executable", "runs", "users", "run_time_s" }, { RC_TEXT, RC_INT, RC_INT, RC_REAL },
	  row_executables },
	{ "libraries", "Shared libraries", q_libraries, 3,
	  { "library", "runs", "users" }, { RC_TEXT, RC_INT, RC_INT }, NULL },
	{ "summary", "Summary", q_summary, 5,
	  { "runs", "users", "hosts", "executables", "packages" },
	  { RC_INT, RC_INT, RC_INT, RC_INT, RC_INT }, NULL },
	{ "unused", "Imported but not used", q_unused, 6,
	  { "program", "package", "runs", "used", "unused", "used_ratio" },
	  { RC_TEXT, RC_TEXT, RC_INT, RC_INT, RC_INT, RC_REAL }, row_unused },
	{ "deps", "What pulls the package in", q_deps, 4,
	  { "program", "imported_by", "runs", "users" }, { RC_TEXT, RC_TEXT, RC_INT, RC_INT }, NULL },
};

/* === table ================================================================== */

static void add_row(struct report_table *t)
{
	if (t->nrows == t->arows) {
		t->arows = t->arows ? 2 * t->arows : 32;
		t->cells = xrealloc(t->cells, t->arows * t->ncols * sizeof(char *));
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(char *));
	t->nrows++;
}

static void set_cell(struct report_table *t, int col, const char *fmt, ...)
{
	struct xbuf sb = XBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	xbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	t->cells[(t->nrows - 1) * t->ncols + col] = xbuf_detach(&sb, NULL);
}

const char *report_cell(const struct report_table *t, size_t row, int col)
{
	return t->cells[row * t->ncols + col];
}

void report_table_release(struct report_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int report_run(struct db *db, const char *kind, const struct report_filter *f,
	       struct report_table *t)
{
	const struct kind *k = NULL;
	struct xbuf sql = XBUF_INIT;
	struct params p = { 0 };
	struct db_stmt *st;
	char *expanded;
	int rc;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, kind))
			k = &kinds[i];
	if (!k)
		return error("unknown report '%s'", kind);
	memset(t, 0, sizeof(*t));
	t->title = k->title;
	t->ncols = k->ncols;
	for (int c = 0; c < k->ncols; c++) {
		t->colname[c] = k->cols[c];
		t->coltype[c] = k->types[c];
	}
	k->query(&sql, &p, f);
	expanded = db_expand(db, sql.buf);
	xbuf_release(&sql);
	cli_trace("report %s from %s: %s", kind, from_summaries(f) ? "summaries" : "raw rows", expanded);
	st = db_prepare(db, expanded);
	free(expanded);
	if (!st)
		return -1;
	for (int i = 0; i < p.n; i++) {
		if (p.v[i].real)
			db_bind_double(st, i + 1, p.v[i].d);
		else
			db_bind_str(st, i + 1, p.v[i].s);
	}
	while ((rc = db_step(st)) == DB_ROW) {
		add_row(t);
		if (k->row) {
			k->row(t, st);
			continue;
		}
		for (int c = 0; c < k->ncols; c++) {
			if (db_column_is_null(st, c))
				continue;
			if (k->types[c] == RC_INT)
				set_cell(t, c, "%" PRId64, db_column_int64(st, c));
			else if (k->types[c] == RC_REAL)
				set_cell(t, c, "%.3f", db_column_double(st, c));
			else
				set_cell(t, c, "%s", db_column_text(st, c));
		}
	}
	db_finalize(st);
	return rc < 0 ? -1 : 0;
}

/* === output formats ========================================================= */

/* Display width of a UTF-8 string (code points; good enough for names). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Cell (row, col) of t as shown (visible.h), malloc'd; row 0 is the header,
 * NULL (SQL NULL) is "-". */
static char *shown(const struct report_table *t, size_t row, int col)
{
	const char *s = row ? report_cell(t, row - 1, col) : t->colname[col];
	struct xbuf sb = XBUF_INIT;

	if (!s)
		s = "-";
	visible_add(&sb, s, strlen(s));
	return xbuf_detach(&sb, NULL);
}

static void print_text(const struct report_table *t, FILE *out)
{
	size_t w[8], n = (t->nrows + 1) * (size_t)t->ncols;
	char **cell = xcalloc(n, sizeof(*cell));

	for (int c = 0; c < t->ncols; c++) {
		w[c] = 0;
		for (size_t r = 0; r <= t->nrows; r++) {
			char *s = cell[r * t->ncols + c] = shown(t, r, c);
			if (width(s) > w[c])
				w[c] = width(s);
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = cell[r * t->ncols + c];
			int pad = (int)(w[c] - width(s));
			if (c)
				fputs("  ", out);
			if (t->coltype[c] != RC_TEXT)
				fprintf(out, "%*s%s", pad, "", s);
			else if (c == t->ncols - 1)
				fputs(s, out);
			else
				fprintf(out, "%s%*s", s, pad, "");
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < n; i++)
		free(cell[i]);
	free(cell);
}

/* A plain decimal number (what a spreadsheet reads as one, harmlessly). */
static int is_number(const char *s)
{
	int digits = 0;

	s += *s == '-' || *s == '+';
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits && (*s == 'e' || *s == 'E')) {
		s++;
		s += *s == '-' || *s == '+';
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return digits && !*s;
}

/*
 * One CSV field (RFC 4180 quoting), shown visibly (visible.h). A text cell
 * a spreadsheet would take for a formula (starting with =, +, -, @, TAB or
 * CR; OWASP's "CSV injection") gets a leading ' unless it is a plain number;
 * numeric columns are never changed. docs/database.md, "Reports".
 */
static void csv_field(const char *s, int text, FILE *out)
{
	struct xbuf sb = XBUF_INIT;

	if (!s)
		return;
	if (text && *s && strchr("=+-@\t\r", *s) && !is_number(s))
		xbuf_addch(&sb, '\'');
	visible_add(&sb, s, strlen(s));
	if (!strpbrk(sb.buf, ",\"")) {
		fputs(sb.buf, out);
	} else {
		fputc('"', out);
		for (const char *p = sb.buf; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	}
	xbuf_release(&sb);
}

static int print_json(const struct report_table *t, FILE *out)
{
	json_t *arr = json_array();
	int rc;

	for (size_t r = 0; r < t->nrows; r++) {
		json_t *o = json_object();
		for (int c = 0; c < t->ncols; c++) {
			const char *s = report_cell(t, r, c);
			json_t *v;
			if (!s)
				v = json_null();
			else if (t->coltype[c] == RC_INT)
				v = json_integer(strtoll(s, NULL, 10));
			else if (t->coltype[c] == RC_REAL)
				v = json_real(strtod(s, NULL));
			else if (!(v = json_string(s))) {
				/* not valid UTF-8 (a database not written by us):
				 * the visible form rather than null */
				char *shown_s = shown(t, r + 1, c);
				v = json_string(shown_s);
				free(shown_s);
			}
			json_object_set_new(o, t->colname[c], v ? v : json_null());
		}
		json_array_append_new(arr, o);
	}
	/* jansson escapes C0 (not DEL, which terminals ignore); JSON_ENSURE_ASCII
	 * escapes C1 and every other non-ASCII character as \uXXXX, so the output
	 * is safe to print as it is */
	rc = json_dumpf(arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12) |
			JSON_ENSURE_ASCII);
	fputc('\n', out);
	json_decref(arr);
	return rc ? error("cannot write JSON output") : 0;
}

int report_print(const struct report_table *t, enum report_format fmt, FILE *out)
{
	switch (fmt) {
	case RF_TEXT:
		print_text(t, out);
		return 0;
	case RF_CSV:
		for (size_t r = 0; r <= t->nrows; r++) {
			for (int c = 0; c < t->ncols; c++) {
				if (c)
					fputc(',', out);
				csv_field(r ? report_cell(t, r - 1, c) : t->colname[c],
					  t->coltype[c] == RC_TEXT, out);
			}
			fputc('\n', out);
		}
		return 0;
	case RF_JSON:
		return print_json(t, out);
	}
	return -1;
}

/* === time parsing =========================================================== */

int report_parse_time(const char *s, double *out)
{
	static const char *const fmts[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d",
	};
	char *end;
	double d;

	if (!*s)
		return -1;
	d = strtod(s, &end);
	if (!*end && strchr(s, '-') == NULL) {
		*out = d;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *e;
		memset(&tm, 0, sizeof(tm));
		e = strptime(s, fmts[i], &tm);
		if (e && !*e) {
			*out = (double)timegm(&tm);
			return 0;
		}
	}
	return -1;
}
