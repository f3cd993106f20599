/*
 * The report queries behind `xalt report` and its HTML page, and the table
 * they produce: rows of formatted cells with a type per column, printed as
 * aligned text, CSV or JSON.
 *
 * Each report is one SQL query written once for both engines (db.h). All
 * numbers shown are computed from integers, or rounded from doubles in C, so
 * SQLite and PostgreSQL give byte-identical tables.
 */
#ifndef XALT_REPORT_H
#define XALT_REPORT_H

#include <stddef.h>
#include <stdio.h>

struct db;

/* Filters shared by every report; NULL/0 fields are not applied. */
struct report_filter {
	const char *program;      /* python, R, ... (packages, versions, import-time) */
	const char *user;         /* user name */
	const char *host;         /* node name */
	const char *syshost;      /* cluster name */
	double since, until;      /* start_time window [since, until) */
	int has_since, has_until;
	long top;                 /* rows (per program for packages); 0: no limit */
	int by_users;             /* packages: rank by distinct users, not runs */
	int direct;               /* packages: direct imports only (the user's code) */
	const char *sort;         /* unused: "unused" (default), "ratio" or "runs" */
	const char *package;      /* versions, deps: the package name */
};

enum report_coltype {
	RC_TEXT,                  /* left aligned; NULL shown as "-" */
	RC_INT,                   /* right aligned integer */
	RC_REAL,                  /* right aligned, formatted with 3 decimals */
};

#define REPORT_MAXCOLS 8

struct report_table {
	const char *title;        /* human title (HTML, and --format text header) */
	int ncols;
	const char *colname[REPORT_MAXCOLS];   /* header names */
	enum report_coltype coltype[REPORT_MAXCOLS];
	size_t nrows, arows;
	char **cells;             /* nrows * ncols strings, NULL for SQL NULL */
};

enum report_format { RF_TEXT, RF_CSV, RF_JSON };

/* The report kinds `xalt report KIND` knows (NULL-terminated). */
extern const char *const report_kinds[];

/*
 * Run report kind with filter f into t (which the caller releases with
 * report_table_release). Returns 0, or -1 after error().
 */
int report_run(struct db *db, const char *kind, const struct report_filter *f,
	       struct report_table *t);
void report_table_release(struct report_table *t);
const char *report_cell(const struct report_table *t, size_t row, int col);

/* Print t in format fmt to out. 0, or -1 after error(). */
int report_print(const struct report_table *t, enum report_format fmt, FILE *out);

/* report-html.c: write the self-contained page to path. 0 or -1 after error(). */
int report_html(struct db *db, const struct report_filter *f, const char *path);

/* Parse a time for --since/--until: epoch seconds, YYYY-MM-DD, or
 * YYYY-MM-DD[T ]HH:MM[:SS] (UTC). 0, or -1 if unparsable. */
int report_parse_time(const char *s, double *out);

#endif
