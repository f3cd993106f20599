/*
 * The record loader behind `xalt ingest`: one run record's JSON text in, rows
 * in the database out.
 *
 * It knows nothing of files: the file reader (cmd-ingest.c, reader.c) and
 * the syslog reassembler (syslog-reassemble.h) both hand it a complete
 * record text plus an origin name (a path, or "syslog:<file>:<line>"), and
 * commit in batches.
 *
 * Files: parse.c (text -> validated record, no database: arena.h,
 * known-libs.h, validate.h) and load.c (validated record -> rows:
 * entity-ids.h).
 */
#ifndef XALT_INGEST_H
#define XALT_INGEST_H

#include <stddef.h>

struct db;
struct xbuf;
struct ingest;
struct run_rec;

enum ingest_result {
	INGEST_ERROR = -1,      /* database failure: stop, the batch is lost */
	INGEST_LOADED = 0,      /* new run stored (durable after ingest_commit) */
	INGEST_DUPLICATE = 1,   /* the same run already stored: nothing written */
	INGEST_REJECTED = 2,    /* not a valid xalt-run/1 record: reason in why */
	INGEST_CONFLICT = 3,    /* run_uuid already stored for another run (another uid,
	                           user, start time, cwd or command line): nothing written,
	                           and the record is no duplicate to delete */
	INGEST_QUEUED = 4,      /* PostgreSQL: valid and staged; ingest_commit stores it,
				 * or finds it a duplicate, a conflict or pruned
				 * (ingest_commit_results) */
	INGEST_PRUNED = 5,      /* the run's day is before the first day whose raw rows
				 * are kept (`xalt db prune`): nothing written, and no
				 * duplicate to delete (ingest_refusal) */
};

/*
 * The reason given for INGEST_CONFLICT (INGEST_CONFLICT_REASON) or
 * INGEST_PRUNED (naming the first day kept: a pruned run's summaries were
 * kept, so loading it again would count it twice if it was loaded before
 * the prune, and nothing tells a late record from one loaded then). Valid
 * until the next ingest_load or ingest_commit.
 */
const char *ingest_refusal(struct ingest *in, enum ingest_result res);

/* The reason given for INGEST_CONFLICT. */
#define INGEST_CONFLICT_REASON "run_uuid already stored for another run (another uid, user," \
	" start time, cwd or command line): not loaded, and not a duplicate"

/* Limits on strings that are part of a unique key (see docs/database.md):
 * PostgreSQL cannot index a row above ~2700 bytes. Longer values reject the
 * record with a reason; free-text fields (cmdline, cwd, env) have no limit. */
#define INGEST_NAME_MAX 1024     /* user, host, package name/version, ... */
#define INGEST_PATH_MAX 1536     /* executable, library and package paths */

/* Prepare the statements on db (which must hold the current schema).
 * Returns NULL after error(). */
struct ingest *ingest_open(struct db *db);

/*
 * Validate and load one record. text need not be NUL-terminated. A
 * transaction is opened when none is; rows become durable at ingest_commit.
 * On INGEST_REJECTED, INGEST_CONFLICT and INGEST_PRUNED, why holds a
 * one-line reason (no path).
 */
enum ingest_result ingest_record(struct ingest *in, const char *text, size_t len,
				 const char *origin, struct xbuf *why);

/*
 * The same in two stages, so files can be parsed on another thread while
 * this one writes: ingest_parse needs no database and is thread-safe (once
 * ingest_open has run); ingest_load must run on the thread owning in.
 * ingest_parsed_error is the rejection reason, or NULL for a valid record;
 * ingest_parsed_record the validated record, or NULL for a rejected one.
 * Free with ingest_parsed_free on the thread (and with the arena, arena.h)
 * that parsed it.
 */
struct ingest_parsed;
struct ingest_parsed *ingest_parse(const char *text, size_t len);
const char *ingest_parsed_error(const struct ingest_parsed *p);
struct run_rec *ingest_parsed_record(struct ingest_parsed *p);
enum ingest_result ingest_load(struct ingest *in, struct ingest_parsed *p, const char *origin);
void ingest_parsed_free(struct ingest_parsed *p);

/* Commit the open transaction, if any; what became of its INGEST_QUEUED
 * records: ingest_commit_results. 0 or -1 after error(). */
int ingest_commit(struct ingest *in);

/*
 * What the last successful ingest_commit did with each INGEST_QUEUED
 * record of its batch, in the order ingest_load queued them:
 * INGEST_LOADED, INGEST_DUPLICATE, INGEST_CONFLICT or INGEST_PRUNED (not
 * stored, and no duplicate to delete: ingest_refusal). *n is 0 after a
 * commit with none. Valid until the next ingest_load or ingest_commit.
 */
const enum ingest_result *ingest_commit_results(const struct ingest *in, size_t *n);

/* Roll back anything uncommitted and free in (NULL is fine). Forgets the
 * known library arrays: no parsed record may be in use. */
void ingest_close(struct ingest *in);

#endif
