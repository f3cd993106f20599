/*
 * An LD_PRELOAD shim: the time SQLite spent in each statement of a
 * process, summed per statement text (its first 88 characters), printed to
 * stderr at exit, the costliest first. It registers SQLite's own profile
 * callback (sqlite3_trace_v2, SQLITE_TRACE_PROFILE: wall nanoseconds per
 * statement run) on every connection the process opens with
 * sqlite3_open_v2, so statements run by sqlite3_exec count too.
 *
 * usage: bench/sqlite-profile COMMAND [ARGS...]   (builds it, then runs
 *        COMMAND with it preloaded)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STMTS 512
#define KEY_LEN 89

struct stmt_time {
	char sql[KEY_LEN];
	double ns;
	long runs;
};

static struct stmt_time stmts[MAX_STMTS];
static int nstmts;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int on_trace(unsigned type, void *ctx, void *stmt, void *ns)
{
	const char *sql = sqlite3_sql(stmt);
	char key[KEY_LEN];
	int i;

	(void)ctx;
	if (type != SQLITE_TRACE_PROFILE)
		return 0;
	if (!sql)
		sql = "?";
	while (*sql == ' ' || *sql == '\n')
		sql++;
	snprintf(key, sizeof(key), "%s", sql);
	for (char *c = key; *c; c++)
		if (*c == '\n')
			*c = ' ';
	pthread_mutex_lock(&mu);
	for (i = 0; i < nstmts && strcmp(stmts[i].sql, key); i++)
		;
	if (i == nstmts && nstmts < MAX_STMTS)
		memcpy(stmts[nstmts++].sql, key, sizeof(key));
	if (i < nstmts) {
		stmts[i].ns += (double)*(sqlite3_int64 *)ns;
		stmts[i].runs++;
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	double x = ((const struct stmt_time *)a)->ns, y = ((const struct stmt_time *)b)->ns;

	return (x < y) - (x > y);
}

__attribute__((destructor)) static void print_times(void)
{
	double total = 0;

	if (!nstmts)
		return;
	qsort(stmts, nstmts, sizeof(stmts[0]), by_time);
	for (int i = 0; i < nstmts; i++)
		total += stmts[i].ns;
	fprintf(stderr, "sqlite statements: %.2f s\n", total / 1e9);
	for (int i = 0; i < nstmts && i < 30; i++)
		fprintf(stderr, "%7.2f s %8ld  %s\n", stmts[i].ns / 1e9, stmts[i].runs, stmts[i].sql);
}

int sqlite3_open_v2(const char *file, sqlite3 **db, int flags, const char *vfs)
{
	static int (*real)(const char *, sqlite3 **, int, const char *);
	int rc;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_open_v2");
	rc = real(file, db, flags, vfs);
	if (rc == SQLITE_OK)
		sqlite3_trace_v2(*db, SQLITE_TRACE_PROFILE, on_trace, NULL);
	return rc;
}
