/*
 * The path rules (see paths.h): the install prefix, the config file, the
 * spool base, and the record destination with its trust checks, each
 * written once. The preload library calls the prefix and config functions
 * at every exec with tracking on (SKIP'd runs included: a few string
 * operations and no system call), and the destination ones at exit, in
 * the fatal-signal handler too (no malloc, async-signal-safe calls only).
 *
 * Sections: the environment, the prefix, the config, the spool base, the
 * record destination, the syslog socket. Doctor's probe of the record
 * destination, which asks access(2), is in paths-probe.c: the library
 * never links it (one symbol lookup less at every exec).
 */
#include "paths.h"
#include "fmt.h"
#include "sys.h"
#include "xalt-env.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- the environment ------------------------------------------------------- */

const char *paths_getenv(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	/* The first byte first: most entries differ there, and this runs at
	 * every exec with tracking on (as glibc's getenv does). */
	for (char *const *e = envp; e && *e; e++)
		if ((*e)[0] == name[0] && !strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* name's value when set and not empty, else NULL. */
static const char *getenv_set(char *const *envp, const char *name)
{
	const char *v = paths_getenv(envp, name);

	return v && *v ? v : NULL;
}

/* ---- the install prefix ------------------------------------------------------ */

size_t paths_prefix_len(const char *file)
{
	size_t n = strlen(file);

	for (int i = 0; i < 2; i++) {      /* "/libxalt_init.so", then "/lib" */
		while (n > 0 && file[n - 1] != '/')
			n--;
		if (n <= 1)
			return 0;
		n--;
	}
	return n;
}

int paths_prefix_of(const char *file, char *buf, size_t cap, const char **prefix, size_t *len)
{
	if (file[0] != '/') {
		if (cap < PATH_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (!realpath(file, buf))
			return -1;
		file = buf;
	}
	*len = paths_prefix_len(file);
	if (!*len) {
		errno = EINVAL;
		return -1;
	}
	*prefix = file;
	return 0;
}

int paths_self_prefix(char *out, size_t cap)
{
	ssize_t n = cap ? readlink("/proc/self/exe", out, cap - 1) : -1;
	size_t p;

	if (n < 0)
		return -1;
	if ((size_t)n >= cap - 1) {     /* maybe cut: readlink does not say */
		errno = ENAMETOOLONG;
		return -1;
	}
	out[n] = '\0';
	p = paths_prefix_len(out);
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	out[p] = '\0';
	return 0;
}

/* ---- the config file --------------------------------------------------------------- */

const char *paths_config(char *const *envp, const char *prefix, size_t prefix_len,
			 int site_only, char *buf, size_t cap)
{
	const char *env = site_only ? NULL : getenv_set(envp, XALT_ENV_CONFIG);
	struct fmt f;

	if (env)
		return env;
	fmt_init(&f, buf, cap);
	fmt_mem(&f, prefix, prefix_len);
	fmt_char(&f, '/');
	fmt_str(&f, XALT_CONFIG_RELPATH);
	return fmt_end(&f) < 0 ? NULL : buf;
}

/* ---- the spool base ------------------------------------------------------------------ */

const char *paths_spool_candidate(char *const *envp, int i)
{
	const char *v;

	switch (i) {
	case 0:
		v = paths_getenv(envp, XALT_ENV_SPOOL_BASE);
		return v ? v : "";
	case 1:
		return "/dev/shm";
	case 2:
		v = paths_getenv(envp, "TMPDIR");
		return v ? v : "";
	case 3:
		return "/tmp";
	default:
		return NULL;
	}
}

const char *paths_spool_base(char *const *envp)
{
	const char *c;
	struct stat st;

	for (int i = 0; (c = paths_spool_candidate(envp, i)); i++)
		if (*c && sys_stat(c, &st) == 0 && S_ISDIR(st.st_mode))
			return c;
	return "/tmp";
}

/* ---- the record destination ------------------------------------------------------------ */

const char *paths_transmission(char *const *envp, const struct xalt_config *cfg)
{
	const char *v = getenv_set(envp, XALT_ENV_TRANSMISSION);

	return v ? v : cfg->transmission;
}

const char *paths_file_prefix(char *const *envp, const struct xalt_config *cfg)
{
	const char *v = getenv_set(envp, XALT_ENV_FILE_PREFIX);

	return v ? v : cfg->file_prefix;
}

int paths_record_dir(char *const *envp, const struct xalt_config *cfg, char *out, size_t cap)
{
	const char *prefix = paths_file_prefix(envp, cfg);

	if (!strncmp(prefix, "~/", 2)) {
		const char *home = paths_getenv(envp, "HOME");

		if (!home || home[0] != '/') {
			errno = ENOENT;
			return -1;
		}
		return fmt_join(out, cap, home, "/", prefix + 2) < 0 ? -1 : 0;
	}
	if (prefix[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	return fmt_join(out, cap, prefix, "", "") < 0 ? -1 : 0;
}

int paths_dir_trusted(const char *dir, uid_t uid)
{
	struct stat sb;

	if (sys_lstat(dir, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = S_ISLNK(sb.st_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	if (sb.st_uid == uid || (sb.st_uid == 0 && (sb.st_mode & S_ISVTX)))
		return 0;
	errno = EPERM;
	return -1;
}

int paths_may_create_in(const char *dir, uid_t uid)
{
	struct stat sb;

	if (uid != 0)
		return 0;
	if (sys_stat(dir, &sb) < 0)
		return -1;
	if (sb.st_uid != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* paths_may_create_in for the directory that holds `path` (absolute, not "/"). */
static int may_create(char *path, uid_t uid)
{
	char *slash = strrchr(path, '/');
	int rc;

	if (uid != 0)
		return 0;
	if (slash == path)
		return paths_may_create_in("/", uid);
	*slash = '\0';
	rc = paths_may_create_in(path, uid);
	*slash = '/';
	return rc;
}

/* Copy s into where (size wcap) when wanted; cut silently (a message only). */
static void note(char *where, size_t wcap, const char *s)
{
	if (where && wcap)
		fmt_join(where, wcap, s, "", "");
}

/* The same for the directory that holds `path` (absolute). */
static void note_parent(char *where, size_t wcap, char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == path) {
		note(where, wcap, "/");
		return;
	}
	*slash = '\0';
	note(where, wcap, path);
	*slash = '/';
}

/*
 * mkdir -p for the record directory: `step` on each component in turn
 * (mkdir with mode 0700, or, probing, the answer it would give). Probing,
 * one "would be made" ends the walk: everything below it would be ours.
 * 0 done (or, probing, nothing missing), PATHS_CREATE, or -1 with errno.
 * `where`: the parent in which a directory would be made, or in which
 * making one failed (it is not a directory, not writable, a dangling
 * link, or, for root, owned by another user: paths_may_create_in).
 */
static int make_parents(char *path, uid_t uid, paths_mkdir_step step, int probe,
			char *where, size_t wcap)
{
	for (char *p = path + 1; ; p++) {
		struct stat st;
		char c;
		int rc, e;

		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		/* Root: a missing component only in a parent root owns. */
		if (uid == 0 && sys_lstat(path, &st) < 0 && errno == ENOENT &&
		    may_create(path, uid) < 0)
			rc = -1;
		else
			rc = step(path);
		e = errno;
		if ((rc == 0 && probe) || (rc < 0 && e != EEXIST))
			note_parent(where, wcap, path);
		*p = c;
		if (rc == 0 && probe)
			return PATHS_CREATE;
		if (rc < 0 && e != EEXIST) {
			errno = e;
			return -1;
		}
		if (!c)
			return 0;
	}
}

int paths_record_dir_walk(char *dir, uid_t uid, paths_mkdir_step step, int probe,
			  char *where, size_t wcap)
{
	struct stat st;
	int rc;

	if (paths_dir_trusted(dir, uid) == 0)
		return PATHS_READY;
	/* Missing, or a parent is not a directory: the walk finds which. */
	if (errno != ENOENT && (errno != ENOTDIR || sys_lstat(dir, &st) == 0)) {
		note(where, wcap, dir);
		return -1;
	}
	rc = make_parents(dir, uid, step, probe, where, wcap);
	if (rc != 0)
		return rc;
	/* Made (or, probing, found after all): check what is there now. */
	if (paths_dir_trusted(dir, uid) < 0) {
		note(where, wcap, dir);
		return -1;
	}
	return PATHS_READY;
}

/* The library's step: make it, owner only. */
static int mkdir_0700(char *path)
{
	return sys_mkdir(path, 0700);
}

int paths_record_dir_ready(char *dir, uid_t uid)
{
	return paths_record_dir_walk(dir, uid, mkdir_0700, 0, NULL, 0);
}

/* ---- the syslog socket ---------------------------------------------------------------------- */

int paths_syslog_connect(const char *path)
{
	struct sockaddr_un sa;
	size_t n = path ? strlen(path) : 0;
	int fd, e;

	if (!n || n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* connect(2) checks the socket exists now, before a record is built;
	 * nobody listening (ECONNREFUSED, ENOENT) costs nothing more. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		sys_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
