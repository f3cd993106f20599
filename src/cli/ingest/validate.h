/*
 * Validation of one parsed run record against the xalt-run/1 schema
 * (docs/records.md), and the record it yields for the loader.
 *
 * Every rule that can reject a record lives here, and the wording of each
 * reason is part of the interface: admins grep for them and tests
 * (t/t3000, t3010, t4310, t/unit/test-ingest.c) check them. A reason quotes
 * no path (the caller adds it) and shows any byte outside printable ASCII
 * as \xHH.
 */
#ifndef XALT_VALIDATE_H
#define XALT_VALIDATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct known_libs;
struct xbuf;

/* One package entry; strings borrow from the JSON tree. The flags of issue
 * 11 (direct, startup, used) are 1, 0, or DB_BULK_NULL when unknown (older
 * records have none of them). */
struct run_pkg {
	const char *program, *name, *version, *path;  /* version/path "" if null */
	const char *imported_by;                      /* top-level package, or NULL */
	int64_t import_us;                            /* DB_BULK_NULL if unknown */
	int64_t direct, startup, used;                /* 1, 0 or DB_BULK_NULL */
	int64_t functions_used;                       /* count or DB_BULK_NULL */
	int64_t name_id, package_id;                  /* set by the loader */
	int64_t imported_by_id;                       /* ditto; DB_BULK_NULL if none */
};

/* A record after validation: strings and json_t pointers borrow from the
 * tree, which must outlive it. */
struct run_rec {
	const char *uuid, *syshost, *host, *user;
	const char *parent_uuid;                       /* parent_run_uuid or NULL */
	json_t *uid;                                   /* integer or NULL */
	const char *exec_path, *exec_sha1, *exec_program;
	int64_t exec_size, exec_mtime, exec_inode;
	const char *cwd;
	char *cmdline, *env;                           /* compact JSON (jansson's allocator) */
	double start_time;
	json_t *end_time, *run_time;                   /* numbers or NULL */
	const char *exit_how;                          /* exit, signal, unknown, recovered */
	json_t *exit_status, *exit_signal;
	json_t *sampling_probability, *sampling_forced;
	const char *job_scheduler, *omp;
	char *job_id;                                  /* malloc'd (may be a number) */
	json_t *job_ntasks, *job_nnodes, *job_rank;
	const char *interp_program, *interp_version, *interp_kind, *interp_prefix;
	json_t *packages_lost;                         /* true, false or NULL (absent) */
	size_t nlibs, npkgs;
	const char **libs;                             /* library paths */
	const struct known_libs *known;                /* libs borrowed from there, or NULL */
	struct run_pkg *pkgs;
};

/*
 * Check root against xalt-run/1 and fill r, which must be zeroed. Returns
 * 0, or -1 with why set to the reason of the first rule broken (in the
 * order of docs/records.md). With kl, root's "libraries" must be the []
 * put in place of that known array (known-libs.h) and r takes its paths.
 * Either way the caller releases r with run_rec_release.
 */
int validate_run(json_t *root, struct run_rec *r, const struct known_libs *kl, struct xbuf *why);

/*
 * Check a valid record against the file it came from (docs/security.md,
 * "Who may write a record"): a file owned by root (a site's collector)
 * may carry any record; any other file's owner must be the record's
 * `uid`; a record without `uid` (hash_users = yes) is accepted from a
 * user's file only when that user also owns the directory holding it
 * (their own record directory, which no one else can write into), never
 * from a directory shared with others. Returns 0, or -1 with why set to
 * the reason.
 */
int validate_owner(const struct run_rec *r, uid_t file_uid, uid_t dir_uid, struct xbuf *why);

/* Free what validate_run allocated. in_arena: the JSON dumps came from an
 * arena (arena.h) and die with it. r is left zeroed. */
void run_rec_release(struct run_rec *r, int in_arena);

/* Set why to the formatted reason, bytes outside printable ASCII as \xHH
 * (a hostile record must not put escape sequences on the admin's
 * terminal). Returns -1. */
__attribute__((format(printf, 2, 3)))
int validate_reject(struct xbuf *why, const char *fmt, ...);

#endif
