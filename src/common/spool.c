/*
 * The per-run spool (contract: docs/design.md, "Spool").
 *
 * Package hooks append one line per import to "<base>/xalt-<uid>/<uuid>.<pid>/pkgs";
 * the preload destructor reads it at exit and removes the directory. This file
 * creates, checks, finds, appends to and removes those directories. It runs in
 * the user's program, partly on the exit and fatal-signal path, so: libc only,
 * no malloc (no stdio, no opendir: directories are listed with getdents64 into
 * a stack buffer), no snprintf (paths are built with fmt.h), errno set on
 * every failure.
 *
 * Security (docs/design.md): the user dir is trusted only if lstat shows a real
 * directory owned by the caller with no group/other bits; we never chmod or
 * chown a directory we did not create, and every open uses O_NOFOLLOW.
 *
 * Sections: path building; the user dir; run dirs; appends; escaping; removal.
 * Dead runs' dirs are recovered, then removed, by src/preload/recover.c.
 */
#include "spool.h"
#include "fmt.h"
#include "paths.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* --- path building ------------------------------------------------------- */

/*
 * Append pieces to the NUL-terminated path in out (size len): one fmt
 * cursor started at its end. fmt_end's -1/ENAMETOOLONG is the only failure.
 */
static void path_extend(struct fmt *f, char *out, size_t len)
{
	size_t have = strlen(out);

	fmt_init(f, out + have, len - have);
}

/*
 * A uuid becomes a file name, and xalt_record_pkg takes it from its command
 * line: allow only [0-9A-Za-z-], 1..64 characters, so "../x" or "a/b" can
 * never leave the user dir.
 */
static int uuid_ok(const char *uuid)
{
	size_t n = 0;

	for (const char *p = uuid; *p; p++, n++) {
		char c = *p;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-'))
			return 0;
	}
	return n > 0 && n <= 64;
}

/* --- the user dir ---------------------------------------------------------- */

/*
 * Check an lstat result against the rules for a user dir: a directory, not a
 * link, owned by uid, no group/other bits. Returns 0, or -1 with errno ELOOP
 * (a link), ENOTDIR, or EPERM (owner or mode).
 */
static int user_dir_check(const struct stat *st, uid_t uid)
{
	if (S_ISLNK(st->st_mode)) {
		errno = ELOOP;
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (st->st_uid != uid || (st->st_mode & 077)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * Build and check "<base>/xalt-<uid>"; create it (0700) when `create` is set.
 * Returns 0 with the path in out, or -1 with errno (ENOENT: missing and not
 * created).
 */
static int user_dir_in(const char *base, char *out, size_t len, uid_t uid, int create)
{
	struct stat st;
	struct fmt f;

	fmt_init(&f, out, len);
	fmt_str(&f, base);
	fmt_str(&f, "/xalt-");
	fmt_dec(&f, uid, 0);
	if (fmt_end(&f) < 0)
		return -1;
	/* mkdir never follows a planted link: it fails with EEXIST, and lstat
	 * below then rejects the link. */
	/* Root: only in a base root owns (another owner could swap the dir). */
	if (paths_may_create_in(base, uid) < 0)
		return -1;
	if (create && sys_mkdir(out, 0700) != 0 && errno != EEXIST)
		return -1;
	if (sys_lstat(out, &st) != 0)
		return -1;
	return user_dir_check(&st, uid);
}

/* The same in this process's spool base (paths.c decides which it is). */
static int user_dir(char *out, size_t len, uid_t uid, int create)
{
	return user_dir_in(paths_spool_base(environ), out, len, uid, create);
}

int spool_user_dir(char *out, size_t len, uid_t uid)
{
	return user_dir(out, len, uid, 1);
}

int spool_user_dir_check(const char *base, uid_t uid, char *out, size_t len)
{
	return user_dir_in(base, out, len, uid, 0);
}

/* --- run dirs --------------------------------------------------------------- */

/* Room on the file system of dir for a run's package lines? 0, or -1 with
 * ENOSPC. A statvfs that fails says nothing: mkdir and the writes decide. */
static int has_room(const char *dir)
{
	struct statvfs sv;

	if (sys_statvfs(dir, &sv) < 0)
		return 0;
	if ((unsigned long long)sv.f_bavail * sv.f_frsize < SPOOL_MIN_FREE ||
	    (sv.f_files && sv.f_favail < SPOOL_MIN_INODES)) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* The run dir in one base: user dir, room, mkdir. 0, or -1 with errno. */
static int run_dir_in(const char *base, uid_t uid, const char *uuid, pid_t pid,
		      char *out, size_t len)
{
	struct fmt f;

	if (user_dir_in(base, out, len, uid, 1) < 0 || has_room(out) < 0)
		return -1;
	path_extend(&f, out, len);
	fmt_char(&f, '/');
	fmt_str(&f, uuid);
	fmt_char(&f, '.');
	fmt_dec(&f, (unsigned long long)pid, 0);
	if (fmt_end(&f) < 0)
		return -1;
	return sys_mkdir(out, 0700);   /* EEXIST is a failure: never reuse a dir */
}

int spool_create_at(char *const *envp, char *out, size_t len, const char *uuid, pid_t pid,
		    struct spool_tried *tried)
{
	const char *c;
	struct stat st;
	uid_t uid = getuid();
	int err = ENOENT, noted = 0;

	if (tried)
		tried->n = 0;
	if (!uuid_ok(uuid) || pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; (c = paths_spool_candidate(envp, i)); i++) {
		if (!*c)
			continue;
		/* Not a place at all (missing, a file): passed over, not noted. */
		if (sys_stat(c, &st) < 0) {
			if (!noted)
				err = errno;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (!noted)
				err = ENOTDIR;
			continue;
		}
		if (run_dir_in(c, uid, uuid, pid, out, len) == 0)
			return 0;
		err = errno;
		noted = 1;
		if (tried && tried->n < SPOOL_TRIED_MAX) {
			tried->at[tried->n].base = c;
			tried->at[tried->n].err = err;
			tried->n++;
		}
	}
	errno = err;
	return -1;
}

int spool_create(char *out, size_t len, const char *uuid, pid_t pid)
{
	return spool_create_at(environ, out, len, uuid, pid, NULL);
}

int spool_is_user_dir(char *const *envp, const char *dir, size_t dirlen, uid_t uid)
{
	char udir[SPOOL_PATH_MAX];
	const char *c;

	for (int i = 0; (c = paths_spool_candidate(envp, i)); i++)
		if (*c && spool_user_dir_check(c, uid, udir, sizeof(udir)) == 0 &&
		    strlen(udir) == dirlen && !memcmp(udir, dir, dirlen))
			return 1;
	return 0;
}

/*
 * If `name` is "<prefix>.<digits>" (prefix may be NULL: any prefix without a
 * '/'), return the pid, else 0.
 */
static pid_t run_dir_pid(const char *name, const char *prefix);

pid_t spool_run_dir_pid(const char *name)
{
	const char *dot = strrchr(name, '.');
	char uuid[72];

	if (!dot || (size_t)(dot - name) >= sizeof(uuid))
		return 0;
	memcpy(uuid, name, (size_t)(dot - name));
	uuid[dot - name] = '\0';
	return uuid_ok(uuid) ? run_dir_pid(name, uuid) : 0;
}

static pid_t run_dir_pid(const char *name, const char *prefix)
{
	const char *dot = strrchr(name, '.');
	unsigned long v = 0;

	if (!dot || dot == name || !dot[1])
		return 0;
	if (prefix && ((size_t)(dot - name) != strlen(prefix) ||
		       memcmp(name, prefix, (size_t)(dot - name)) != 0))
		return 0;
	for (const char *p = dot + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 0x7fffffffUL / 10)
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v > 0x7fffffffUL ? 0 : (pid_t)v;
}

/*
 * Directory listing without malloc: calls fn(dirfd, name, ctx) for each entry
 * but "." and "..", until fn returns nonzero (that value is returned). Returns
 * 0 after the last entry, -1 with errno if reading fails.
 */
typedef spool_entry_fn entry_fn;

int spool_each_entry(int dirfd, entry_fn fn, void *ctx)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;

	while ((n = sys_getdents64(dirfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			int r = fn(dirfd, d->d_name, ctx);
			if (r)
				return r;
		}
	}
	return n < 0 ? -1 : 0;
}

/* each_entry over the directory at `path`, opened without following a link. */
static int each_entry_in(const char *path, entry_fn fn, void *ctx)
{
	int fd = sys_open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0), r, e;

	if (fd < 0)
		return -1;
	r = spool_each_entry(fd, fn, ctx);
	e = errno;
	sys_close(fd);
	errno = e;
	return r;
}

struct find_ctx {
	const char *uuid;      /* what we look for */
	char *out;             /* user dir path on entry; run dir path on success */
	size_t len;            /* size of out */
};

static int find_one(int dirfd, const char *name, void *vctx)
{
	struct find_ctx *c = vctx;
	struct stat st;
	struct fmt f;

	if (!run_dir_pid(name, c->uuid))
		return 0;
	if (sys_fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return 0;
	path_extend(&f, c->out, c->len);
	fmt_char(&f, '/');
	fmt_str(&f, name);
	return fmt_end(&f) < 0 ? -1 : 1;
}

int spool_find(char *out, size_t len, const char *uuid)
{
	struct find_ctx c = { uuid, out, len };
	const char *base;
	int r;

	if (!uuid_ok(uuid)) {
		errno = EINVAL;
		return -1;
	}
	/* Never create a user dir here: a lookup must leave no trace. */
	for (int i = 0; (base = paths_spool_candidate(environ, i)); i++) {
		if (!*base || user_dir_in(base, out, len, getuid(), 0))
			continue;
		r = each_entry_in(out, find_one, &c);
		if (r == 1)
			return 0;
	}
	errno = ENOENT;
	return -1;
}

/* --- appends ------------------------------------------------------------------ */

int spool_append(const char *dir, const char *line, size_t len)
{
	char path[SPOOL_PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, e;

	if (fmt_join(path, sizeof(path), dir, "/" SPOOL_PKGS_FILE, "") < 0)
		return -1;
	fd = sys_open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (sys_fstat(fd, &st) != 0)
		st.st_size = -1;
	/* ONE write: appends of one write are not interleaved with another
	 * process's on tmpfs; a retry after a short write could be. */
	n = sys_write_once(fd, line, len);
	e = errno;
	if (n >= 0 && (size_t)n != len) {
		/* A short append (tmpfs full: it fills the last page, then
		 * ENOSPC) leaves half a line that the next append would run
		 * into. Cut it off, unless another writer appended meanwhile. */
		struct stat now;
		if (st.st_size >= 0 && sys_fstat(fd, &now) == 0 && now.st_size == st.st_size + n) {
			int r = sys_ftruncate(fd, st.st_size);
			(void)r;   /* failing, nothing more to do */
		}
		e = ENOSPC;
		n = -1;
	}
	sys_close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	return 0;
}

/* --- escaping ------------------------------------------------------------------ */

ssize_t spool_escape(char *out, size_t len, const char *field, size_t flen)
{
	size_t o = 0;

	for (size_t i = 0; i < flen; i++) {
		char c = field[i], e = 0;

		switch (c) {
		case '\\': e = '\\'; break;
		case '\t': e = 't'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		}
		if (o + (e ? 2 : 1) + 1 > len) {
			errno = ENOSPC;
			return -1;
		}
		if (e) {
			out[o++] = '\\';
			out[o++] = e;
		} else {
			out[o++] = c;
		}
	}
	if (o + 1 > len) {
		errno = ENOSPC;
		return -1;
	}
	out[o] = '\0';
	return (ssize_t)o;
}

size_t spool_unescape(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len) {
			switch (s[i + 1]) {
			case '\\': c = '\\'; i++; break;
			case 't': c = '\t'; i++; break;
			case 'n': c = '\n'; i++; break;
			case 'r': c = '\r'; i++; break;
			default: break;   /* unknown escape: kept as written */
			}
		}
		s[o++] = c;
	}
	return o;
}

/* --- removal ---------------------------------------------------------------------- */

static int unlink_one(int dirfd, const char *name, void *ctx)
{
	int *failed = ctx;

	if (sys_unlinkat(dirfd, name, 0) != 0)
		*failed = errno;
	return 0;
}

/*
 * Remove the files in `name` (relative to parent fd, or a path when parent is
 * AT_FDCWD), then the directory. Two passes at most: removing entries while
 * listing may hide some from the listing.
 */
int spool_remove_at(int parent, const char *name)
{
	int fd, failed = 0, e;

	fd = sys_openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		if (sys_lseek(fd, 0, SEEK_SET) < 0 || spool_each_entry(fd, unlink_one, &failed) < 0) {
			e = errno;
			sys_close(fd);
			errno = e;
			return -1;
		}
		if (sys_unlinkat(parent, name, AT_REMOVEDIR) == 0) {
			sys_close(fd);
			return 0;
		}
		if (errno != ENOTEMPTY && errno != EEXIST)
			break;
	}
	e = failed ? failed : errno;
	sys_close(fd);
	errno = e;
	return -1;
}

int spool_remove(const char *dir)
{
	return spool_remove_at(AT_FDCWD, dir);
}
