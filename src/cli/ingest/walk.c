/*
 * The record file walker (see walk.h): every directory below a named path
 * is opened with openat(2) and O_NOFOLLOW relative to its parent's
 * descriptor, read with fdopendir(3), and remembered by name, device and
 * inode; files are opened the same way and examined with fstat(2) on the
 * descriptor read.
 *
 * Directories are not kept open between the walk and the reading (a site's
 * tree can hold more directories than a process may open files): they are
 * reopened component by component from their root, and refused when what
 * is found is not what was walked.
 *
 * Sections: lists | the walk | reopening and reading
 */
#include "walk.h"
#include "cli.h"
#include "visible.h"
#include "xbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Hostile or broken input: a record is a few KiB; refuse to slurp a huge file. */
#define RECORD_FILE_MAX (64u << 20)

/* A writer's temporary file is this old at most while its run exits
 * (a record is written in milliseconds; a day leaves room for clocks). */
#define TMP_STALE_SECONDS (24 * 3600)

/* === lists ================================================================== */

void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].name);
	for (size_t i = 0; i < w->n; i++) {
		free(w->files[i].path);
		free(w->files[i].name_alloc);
	}
	free(w->dirs);
	free(w->files);
	w->dirs = NULL;
	w->files = NULL;
	w->ndirs = w->adirs = w->n = w->alloc = 0;
}

static size_t add_dir(struct walk *w, size_t parent, char *name, const struct stat *st)
{
	if (w->ndirs == w->adirs) {
		w->adirs = w->adirs ? 2 * w->adirs : 16;
		w->dirs = xrealloc(w->dirs, w->adirs * sizeof(*w->dirs));
	}
	w->dirs[w->ndirs] = (struct walk_dir){ parent, name, st->st_dev, st->st_ino, st->st_uid };
	return w->ndirs++;
}

/* The file `name` of dir, shown as path (visible.h; the list takes it). */
static void add_file(struct walk *w, size_t dir, const char *name, char *path)
{
	struct walk_file *f;

	if (w->n == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 64;
		w->files = xrealloc(w->files, w->alloc * sizeof(*w->files));
	}
	f = &w->files[w->n++];
	*f = (struct walk_file){ dir, NULL, NULL, path, 0, 0 };
	if (visible_is_plain(name))
		f->name = path + strlen(path) - strlen(name);
	else
		f->name = f->name_alloc = xstrdup(name);
}

/* Append name to a path being built, shown visibly. */
static void add_shown(struct xbuf *sb, const char *name)
{
	visible_add(sb, name, strlen(name));
}

/* path as shown in messages, malloc'd. */
static char *shown_path(const char *path)
{
	struct xbuf sb = XBUF_INIT;

	add_shown(&sb, path);
	return xbuf_detach(&sb, NULL);
}

/* === the walk =============================================================== */

static int is_record_name(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && !strncmp(name, "run.", 4) && !strcmp(name + n - 5, ".json");
}

/* The writers' temporary name (src/preload/transmit-file.c): .run.*.tmp */
static int is_tmp_name(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && !strncmp(name, ".run.", 5) && !strcmp(name + n - 4, ".tmp");
}

/* Delete the temporary file `name` in dirfd when it is a regular file not
 * changed for a day: its writer died before renaming it. */
static void clean_tmp(int dirfd, const char *name, const char *dir)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
	    st.st_mtime > time(NULL) - TMP_STALE_SECONDS)
		return;
	struct xbuf shown = XBUF_INIT;
	int rc = unlinkat(dirfd, name, 0), e = errno;

	visible_add(&shown, name, strlen(name));
	errno = e;
	if (rc && errno != ENOENT)
		error_errno("cannot remove stale temporary file '%s/%s'", dir, shown.buf);
	else
		cli_trace("removed stale temporary file '%s/%s'", dir, shown.buf);
	xbuf_release(&shown);
}

struct entry {
	char *name;
	unsigned char type;   /* d_type */
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* The entries of the directory open at fd, sorted by name, without . and
 * ..; NULL after error() (fd is left open either way). */
static struct entry *list_dir(int fd, const char *path, size_t *n)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct entry *v = NULL;
	struct dirent *e;
	size_t alloc = 0;

	*n = 0;
	if (!d) {
		error_errno("cannot read directory '%s'", path);
		if (dfd >= 0)
			close(dfd);
		return NULL;
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[(*n)++] = (struct entry){ xstrdup(e->d_name), e->d_type };
	}
	if (errno) {
		error_errno("cannot read directory '%s'", path);
		while (*n)
			free(v[--*n].name);
		free(v);
		closedir(d);
		return NULL;
	}
	closedir(d);
	if (!v)         /* an empty directory: qsort must not get NULL */
		return xmalloc(1);
	qsort(v, *n, sizeof(*v), entry_cmp);
	return v;
}

/* Collect the record files under directory idx of w, open at fd, whose
 * path is path; the number of entries that could not be examined. */
static size_t walk_dir(struct walk *w, size_t idx, int fd, const char *path)
{
	size_t n, failed = 0;
	struct entry *v = list_dir(fd, path, &n);
	const char *sep = path[strlen(path) - 1] == '/' ? "" : "/";

	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i].name;
		struct xbuf sub = XBUF_INIT;
		unsigned char type = v[i].type;
		struct stat st;
		int cfd;

		if (name[0] == '.') {     /* hidden, and the writers' .run.*.tmp files */
			if (w->clean_tmp && is_tmp_name(name))
				clean_tmp(fd, name, path);
			free(v[i].name);
			continue;
		}
		xbuf_addf(&sub, "%s%s", path, sep);
		add_shown(&sub, name);
		/* the entry's type when the file system gives it: an lstat per
		 * file was serial time before the threads start */
		if (type == DT_UNKNOWN) {
			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
				error_errno("cannot stat '%s'", sub.buf);
				failed++;
				goto next;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type == DT_DIR) {
			/* O_NOFOLLOW: an entry swapped for a symlink since readdir is refused */
			cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0 || fstat(cfd, &st)) {
				error_errno("cannot open directory '%s'", sub.buf);
				failed++;
			} else {
				size_t c = add_dir(w, idx, xstrdup(name), &st);
				failed += walk_dir(w, c, cfd, sub.buf);
			}
			if (cfd >= 0)
				close(cfd);
		} else if (type == DT_REG && is_record_name(name)) {
			add_file(w, idx, name, xbuf_detach(&sub, NULL));
		} else {
			cli_trace("skipping '%s': not a regular run.*.json file", sub.buf);
		}
	next:
		xbuf_release(&sub);
		free(v[i].name);
	}
	free(v);
	return failed;
}

/* Open a root directory named by the caller (symbolic links followed:
 * the admin chose the path) and add it to w; its index, or WALK_ROOT
 * after error(). *fdp: the open descriptor (the caller closes it), or
 * -1 when not asked for. */
static size_t add_root(struct walk *w, const char *path, int *fdp)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	size_t idx;

	if (fd < 0 || fstat(fd, &st)) {
		char *shown = shown_path(path);
		error_errno("cannot open directory '%s'", shown);
		free(shown);
		if (fd >= 0)
			close(fd);
		return WALK_ROOT;
	}
	idx = add_dir(w, WALK_ROOT, xstrdup(path), &st);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return idx;
}

/* A file named by the caller: its directory becomes a root (shared with
 * the previous file's when it is the same path: `xalt ingest dir/run.*`). */
static size_t add_named_file(struct walk *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrdup(path) : xstrdup(".");
	size_t idx;

	if (slash)
		dir[slash == path ? 1 : slash - path] = '\0';
	if (w->ndirs && w->dirs[w->ndirs - 1].parent == WALK_ROOT &&
	    !strcmp(w->dirs[w->ndirs - 1].name, dir)) {
		idx = w->ndirs - 1;
	} else if ((idx = add_root(w, dir, NULL)) == WALK_ROOT) {
		free(dir);
		return 1;
	}
	free(dir);
	add_file(w, idx, slash ? slash + 1 : path, shown_path(path));
	return 0;
}

size_t walk_paths(struct walk *w, char *const *paths, size_t n)
{
	size_t failed = 0, idx;

	for (size_t i = 0; i < n; i++) {
		char *shown = shown_path(paths[i]);
		struct stat st;
		int fd;

		if (stat(paths[i], &st) && lstat(paths[i], &st)) {
			error_errno("cannot access '%s'", shown);
			failed++;
		} else if (!S_ISDIR(st.st_mode)) {
			failed += add_named_file(w, paths[i]);
		} else if ((idx = add_root(w, paths[i], &fd)) == WALK_ROOT) {
			failed++;
		} else {
			failed += walk_dir(w, idx, fd, shown);
			close(fd);
		}
		free(shown);
	}
	return failed;
}

/* === reopening and reading ================================================== */

void walk_cursor_release(struct walk_cursor *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dir = WALK_ROOT;
}

/* Open directory i of w afresh; -1 with errno set. */
static int open_dir(const struct walk *w, size_t i)
{
	const struct walk_dir *d = &w->dirs[i];
	struct stat st;
	int fd, pfd, e;

	if (d->parent == WALK_ROOT) {
		fd = open(d->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		if ((pfd = open_dir(w, d->parent)) < 0)
			return -1;
		fd = openat(pfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		e = errno;
		close(pfd);
		errno = e;
	}
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_dev != d->dev || st.st_ino != d->ino) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	return fd;
}

int walk_dirfd(const struct walk *w, struct walk_cursor *c, size_t dir)
{
	if (c->fd >= 0 && c->dir == dir)
		return c->fd;
	walk_cursor_release(c);
	if ((c->fd = open_dir(w, dir)) >= 0)
		c->dir = dir;
	return c->fd;
}

char *walk_read_file(struct walk *w, struct walk_cursor *c, size_t i, struct xbuf *text,
		     struct stat *st)
{
	struct walk_file *f = &w->files[i];
	struct xbuf why = XBUF_INIT;
	int dfd = walk_dirfd(w, c, f->dir), fd = -1;

	xbuf_reset(text);
	if (dfd < 0) {
		xbuf_addf(&why, "cannot open its directory: %s",
			  errno == ESTALE || errno == ELOOP || errno == ENOTDIR ?
			  "replaced since the walk" : strerror(errno));
	} else if ((fd = openat(dfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
						 O_CLOEXEC)) < 0) {
		xbuf_addstr(&why, errno == ELOOP ? "a symbolic link" : "cannot open: ");
		if (errno != ELOOP)
			xbuf_addstr(&why, strerror(errno));
	} else if (fstat(fd, st)) {
		xbuf_addf(&why, "cannot stat: %s", strerror(errno));
	} else {
		/* what --reject-dir, --archive and --delete will check for */
		f->dev = st->st_dev;
		f->ino = st->st_ino;
		if (!S_ISREG(st->st_mode))
			xbuf_addstr(&why, "not a regular file");
		else if (st->st_size > RECORD_FILE_MAX)
			xbuf_addf(&why, "file larger than %u MiB", RECORD_FILE_MAX >> 20);
		else if (xbuf_read_fd(text, fd))
			xbuf_addf(&why, "cannot read: %s", strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return why.len ? xbuf_detach(&why, NULL) : NULL;
}
