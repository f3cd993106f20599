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
 * another owner or group/other bits. The path is in out either way.
 */
int spool_user_dir_check(const char *base, uid_t uid, char *out, size_t len);

/* Create "<user dir>/<uuid>.<pid>" mode 0700 (EEXIST is a failure); path in out. */
int spool_create(char *out, size_t len, const char *uuid, pid_t pid);

/*
 * Find the run dir of `uuid` owned by the caller (used by xalt_record_pkg -u):
 * "<user dir>/<uuid>.<pid>" for any pid; path in out. ENOENT if there is none.
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
