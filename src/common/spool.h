/*
 * The per-run spool: a private directory under /dev/shm where package hooks
 * append one line per import while the program runs.
 *
 * Layout and line format are the contract in docs/design.md ("Spool"). All
 * functions here are libc only, never allocate, and return 0 on success, -1
 * on failure with errno set; callers in the preload library then stop
 * tracking packages for this run, silently.
 */
#ifndef XALT_SPOOL_H
#define XALT_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SPOOL_PKGS_FILE "pkgs"   /* the file hooks append to */
#define SPOOL_PATH_MAX 4096

/*
 * Fill `out` (size `len`) with "<base>/xalt-<uid>", creating it mode 0700 if
 * missing, and check it: a real directory (lstat), owned by `uid`, no group or
 * other permission bits. Base: paths_spool_base(environ) (XALT_SPOOL_BASE,
 * /dev/shm, $TMPDIR, /tmp: the first that is a directory).
 */
int spool_user_dir(char *out, size_t len, uid_t uid);

/*
 * The same checks of "<base>/xalt-<uid>" for a given base, creating nothing
 * (doctor): 0 when it is there and may be used, -1 with errno: ENOENT
 * missing (spool_user_dir would create it), ELOOP a link, ENOTDIR, EPERM
 * another owner or group/other bits, or, for uid 0, a base root does not
 * own (paths_may_create_in). The path is in out either way.
 */
int spool_user_dir_check(const char *base, uid_t uid, char *out, size_t len);

/* Create "<user dir>/<uuid>.<pid>" mode 0700 (EEXIST is a failure); path in out.
 * spool_create_at with environ and no notes. */
int spool_create(char *out, size_t len, const char *uuid, pid_t pid);

#define SPOOL_MIN_FREE (256 * 1024)   /* bytes free for a run's package lines */
#define SPOOL_MIN_INODES 16           /* inodes free (where the file system counts them) */
#define SPOOL_TRIED_MAX 8

/* The bases spool_create_at passed over, and why (doctor tells them). */
struct spool_tried {
	int n;                            /* entries used */
	struct {
		const char *base;         /* the candidate (envp's string or a literal) */
		int err;                  /* errno: ELOOP/EPERM/ENOTDIR the user dir is
		                           * taken; EROFS, EACCES; ENOSPC/EDQUOT full */
	} at[SPOOL_TRIED_MAX];
};

/*
 * The spool's fallback walk, one for the library and doctor (issue 10
 * item 5): for each spool base candidate that is a directory
 * (paths_spool_candidate: $XALT_SPOOL_BASE, /dev/shm, $TMPDIR, /tmp), its
 * user dir made and checked (spool_user_dir's rules, root's rule of
 * paths_may_create_in), room on its file system (SPOOL_MIN_FREE bytes and
 * SPOOL_MIN_INODES inodes, statvfs), then "<user dir>/<uuid>.<pid>" made
 * 0700. The first candidate where all of it works is the run's spool: 0,
 * path in out. A candidate that fails is passed over, noted in `tried`
 * (may be NULL). -1 when none worked, errno of the last base noted, or
 * when none was a directory the last stat's (ENOTDIR for a file); the
 * record then says packages_lost.
 */
int spool_create_at(char *const *envp, char *out, size_t len, const char *uuid, pid_t pid,
		    struct spool_tried *tried);

/*
 * Is `dir` one of uid's spool user dirs, "<candidate>/xalt-<uid>" for a
 * candidate of envp whose user dir passes spool_user_dir_check? 1 or 0.
 * The fallback puts a run's spool in any of them.
 */
int spool_is_user_dir(char *const *envp, const char *dir, size_t dirlen, uid_t uid);

/*
 * Find the run dir of `uuid` owned by the caller (used by xalt_record_pkg -u):
 * "<user dir>/<uuid>.<pid>" for any pid, in the user dir of every spool base
 * candidate (the fallback may have put it in any); path in out. ENOENT if
 * there is none.
 */
int spool_find(char *out, size_t len, const char *uuid);

/* Append one already-formatted line to <dir>/pkgs with a single write(). */
int spool_append(const char *dir, const char *line, size_t len);

/*
 * Escape one field for a spool line into out: '\\' -> "\\\\", TAB -> "\\t",
 * LF -> "\\n", CR -> "\\r". Returns the length written (without NUL), or -1
 * if out is too small.
 */
ssize_t spool_escape(char *out, size_t len, const char *field, size_t flen);

/* Undo spool_escape in place on [s, s+len); returns the new length. */
size_t spool_unescape(char *s, size_t len);

/* Remove a run dir and the files in it (no recursion into subdirs). */
int spool_remove(const char *dir);

/* The same for the entry `name` of the directory open at `parent`. */
int spool_remove_at(int parent, const char *name);

/*
 * The pid in a run dir's name "<uuid>.<pid>" (uuid as spool_create allows),
 * or 0 when `name` is not one.
 */
pid_t spool_run_dir_pid(const char *name);

/*
 * List the directory open at dirfd without malloc (getdents64 into a stack
 * buffer): fn(dirfd, name, ctx) for each entry but "." and "..", until fn
 * returns nonzero, which is returned. 0 after the last entry, -1 with errno
 * if reading fails.
 */
typedef int (*spool_entry_fn)(int dirfd, const char *name, void *ctx);
int spool_each_entry(int dirfd, spool_entry_fn fn, void *ctx);

#endif
