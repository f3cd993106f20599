/*
 * Where xalt's files are: the one implementation of the path rules, for a
 * given environment and config. The preload library (at start and at
 * exit), xalt_record_pkg, and the CLI's run, config and doctor commands all
 * call these functions, so that doctor's verdicts are the library's own
 * answers and not a second reading of the rules (issue 14: a doctor that
 * wrote the rules again said "ok" for a relative prefix, an unset HOME and
 * a symlinked prefix, where the library wrote no record).
 *
 * Every function is given the environment to evaluate as an envp vector
 * ("NAME=value" strings, NULL-terminated) and never reads the process's own
 * behind the caller's back: the library passes environ, doctor may pass
 * another. libc only, no malloc, no stdio; system calls go through sys.h
 * (tests inject faults there). What the exit path uses (the destination,
 * the syslog socket) is async-signal-safe.
 *
 * The questions, in the order of a run:
 *   install prefix      our own file's name minus two components
 *   config file         $XALT_CONFIG, else <prefix>/etc/xalt.conf
 *   spool base          $XALT_SPOOL_BASE, /dev/shm, $TMPDIR, /tmp
 *   record destination  the transmission; file_prefix with "~/" from HOME,
 *                       its trust checks, creating it or saying what
 *                       creating it would do (paths-probe.c: doctor only)
 *   tracked child's env paths_child_env (paths-child.c: the CLI only, it
 *                       allocates)
 */
#ifndef XALT_PATHS_H
#define XALT_PATHS_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* The value of `name` in envp, or NULL when it is not there. envp may be NULL. */
const char *paths_getenv(char *const *envp, const char *name);

/* ---- the install prefix ---------------------------------------------------- */

/*
 * The length of the install prefix P in the absolute name of one of our
 * installed files, all two components below P (P/lib/libxalt_init.so,
 * P/bin/xalt, P/libexec/xalt_record_pkg): `file` minus its last two
 * components. 0 when that leaves nothing or "/". This function can't fail.
 */
size_t paths_prefix_len(const char *file);

/*
 * The prefix of `file` as *prefix and *len (not NUL-terminated: a prefix of
 * the name itself, so the preload library copies nothing on the SKIP path).
 * A relative `file` (a relative LD_PRELOAD entry) is first made absolute
 * with realpath into buf (cap >= PATH_MAX), and *prefix points there.
 * 0, or -1 with errno (EINVAL: no prefix; ENAMETOOLONG: cap too small).
 */
int paths_prefix_of(const char *file, char *buf, size_t cap, const char **prefix, size_t *len);

/*
 * The prefix of the running program (xalt, xalt_record_pkg), from
 * /proc/self/exe: NUL-terminated in out. 0, or -1 with errno.
 */
int paths_self_prefix(char *out, size_t cap);

/* ---- the config file --------------------------------------------------------- */

/*
 * The site config's file name: $XALT_CONFIG when set and not empty, else
 * "<prefix>/etc/xalt.conf" (prefix: its first prefix_len bytes) built in
 * buf. `site_only`: the user opted out (XALT_EXECUTABLE_TRACKING not
 * "yes"), so only the site's own file counts, never $XALT_CONFIG: a user
 * must not escape allow_opt_out = no with a config of their own. Returns
 * envp's string or buf, or NULL with ENAMETOOLONG.
 */
const char *paths_config(char *const *envp, const char *prefix, size_t prefix_len,
			 int site_only, char *buf, size_t cap);

/* ---- the spool base ------------------------------------------------------------ */

/*
 * The i-th candidate for the spool base, in order: $XALT_SPOOL_BASE,
 * /dev/shm, $TMPDIR, /tmp; "" for an unset or empty variable, NULL past the
 * last. The base is the first candidate that is a directory (stat: a link
 * to one counts, /tmp may be one); issue 10's fallbacks (read-only, full,
 * user dir taken) walk the same list.
 */
const char *paths_spool_candidate(char *const *envp, int i);

/* The spool base for envp: see above; "/tmp" when no candidate is a directory. */
const char *paths_spool_base(char *const *envp);

/* ---- the record destination ------------------------------------------------------ */

/* The transmission: $XALT_TRANSMISSION_STYLE when set and not empty, else the config's. */
const char *paths_transmission(char *const *envp, const struct xalt_config *cfg);

/* The file prefix as written: $XALT_FILE_PREFIX when set and not empty, else the config's. */
const char *paths_file_prefix(char *const *envp, const struct xalt_config *cfg);

/*
 * The directory records go to with file transmission: the file prefix,
 * "~/" replaced by $HOME, into out. 0, or -1 with errno: ENOENT the prefix
 * starts with "~/" and HOME is unset or not absolute; EINVAL a relative
 * prefix (it would depend on the working directory at exit); ENAMETOOLONG.
 */
int paths_record_dir(char *const *envp, const struct xalt_config *cfg, char *out, size_t cap);

/*
 * May records of `uid` go into dir? lstat: a real directory (a planted
 * symlink is refused) owned by uid, or by root with the sticky bit (a
 * site's shared drop box). 0, or -1 with errno: ENOENT, ELOOP (a link),
 * ENOTDIR, EPERM (owner); lstat's own errors.
 */
int paths_dir_trusted(const char *dir, uid_t uid);

/*
 * May `uid` create an entry in dir? Always, unless uid is root: root
 * creates only in a directory root owns (stat: the directory a link names),
 * never in a place named by the environment that another user owns and
 * could redirect (issue 12 item 1, docs/security.md). 0, or -1 with errno
 * EPERM, or stat's own errors.
 */
int paths_may_create_in(const char *dir, uid_t uid);

enum paths_outcome {
	PATHS_READY = 0,      /* there, trusted (probe: and writable) */
	PATHS_CREATE = 1,     /* missing: it would be created (probe only) */
};

/* One step of the walk below: mkdir(path, 0700), or the answer it would get. */
typedef int (*paths_mkdir_step)(char *path);

/*
 * The record directory's checks and creation, one walk for the library and
 * for doctor: dir trusted (paths_dir_trusted) is PATHS_READY; otherwise,
 * when it is missing or a parent is not a directory, `step` runs on each
 * component from the top (EEXIST passes), and what was made is checked
 * again. `probe`: step only says what mkdir would answer, and the first
 * "would be made" returns PATHS_CREATE. Returns PATHS_READY, PATHS_CREATE
 * or -1 with errno; `where` (size wcap, may be NULL) gets the path that
 * decided: the parent in which a directory would be made, the path in the
 * way or not writable, or dir itself when it is refused. dir is changed
 * while it runs and restored.
 */
int paths_record_dir_walk(char *dir, uid_t uid, paths_mkdir_step step, int probe,
			  char *where, size_t wcap);

/* The library, at exit: make dir ready for records (the walk, mkdir 0700).
 * PATHS_READY, or -1 with errno. */
int paths_record_dir_ready(char *dir, uid_t uid);

/*
 * Doctor (paths-probe.c, not in the library): the same walk, creating
 * nothing, then whether the real uid may write into what is there (the
 * library learns that when it creates its temp file). Returns PATHS_READY,
 * PATHS_CREATE (where = the nearest existing parent) or -1 with errno
 * (where = what stops it).
 */
int paths_record_dir_probe(char *dir, uid_t uid, char *where, size_t wcap);

/* What mkdir(path, 0700) would answer for the real uid, making nothing: 0,
 * or -1 with errno (EEXIST when something is there). paths-probe.c. */
int paths_would_mkdir(char *path);

/*
 * A datagram socket connected to the syslog daemon's socket at `path`
 * (non-blocking, close-on-exec): the fd, or -1 with errno (ENAMETOOLONG
 * for an empty or too long path, ENOENT/ECONNREFUSED: nobody listens).
 */
int paths_syslog_connect(const char *path);

/* ---- the environment of a tracked child (paths-child.c) -------------------------- */

/*
 * The environment `xalt run` execs a command in, and doctor runs its
 * self-tests in (docs/design.md, "xalt run and the env module"): envp with
 *   LD_PRELOAD                <prefix>/lib/libxalt_init.so first (not twice)
 *   PYTHONPATH                <prefix>/site first (not twice)
 *   R_PROFILE                 <prefix>/site/Rprofile.site; a different
 *                             earlier value moves to XALT_R_PROFILE_CHAIN
 *   XALT_EXECUTABLE_TRACKING  yes
 *   XALT_DIR                  <prefix>
 * Returns a new NULL-terminated vector owning all its strings (free it
 * with paths_env_free), or NULL when out of memory.
 */
char **paths_child_env(char *const *envp, const char *prefix);

/* Set name=value in a vector made by paths_child_env (replacing an earlier
 * value), or remove name when value is NULL. 0, or -1 when out of memory. */
int paths_env_set(char ***envp, const char *name, const char *value);

/* Free a vector made by paths_child_env. NULL is fine. */
void paths_env_free(char **envp);

#endif
