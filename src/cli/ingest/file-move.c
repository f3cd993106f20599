/*
 * Moving and deleting record files (see file-move.h).
 */
#include "file-move.h"
#include "cli.h"
#include "walk.h"
#include "xbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The descriptor of file i's directory when its entry is still the file
 * that was read; -1 after error() otherwise (-2, silently, when the entry
 * is gone). */
static int still_there(struct walk *w, struct walk_cursor *c, size_t i, const char *what)
{
	const struct walk_file *f = &w->files[i];
	int dfd = walk_dirfd(w, c, f->dir);
	struct stat st;

	if (!f->dev && !f->ino)
		return error("cannot %s '%s': never opened (a symbolic link, or unreadable); left in place",
			     what, f->path);
	if (dfd < 0)
		return error_errno("cannot %s '%s': cannot reopen its directory", what, f->path);
	if (fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? -2 : error_errno("cannot %s '%s'", what, f->path);
	if (st.st_dev != f->dev || st.st_ino != f->ino)
		return error("cannot %s '%s': replaced since it was read; left in place", what,
			     f->path);
	return dfd;
}

/* Copy file i (open in dfd) to name in dstfd, created exclusively;
 * 0, or -1 with errno set (EEXIST: the name is taken). */
static int copy_to(struct walk *w, size_t i, int dfd, int dstfd, const char *name)
{
	const struct walk_file *f = &w->files[i];
	struct xbuf data = XBUF_INIT;
	struct stat st;
	int in, out, rc = -1, e;

	if ((in = openat(dfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(in, &st) || st.st_dev != f->dev || st.st_ino != f->ino) {
		close(in);
		errno = ESTALE;
		return -1;
	}
	if (!xbuf_read_fd(&data, in) &&
	    (out = openat(dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
		ssize_t n = write(out, data.buf, data.len);
		if (close(out) == 0 && n == (ssize_t)data.len) {
			rc = 0;
		} else {
			e = errno;
			unlinkat(dstfd, name, 0);
			errno = n >= 0 && n != (ssize_t)data.len ? ENOSPC : e;
		}
	}
	e = errno;
	close(in);
	xbuf_release(&data);
	errno = e;
	return rc;
}

int file_move_into(struct walk *w, struct walk_cursor *c, size_t i, int dstfd, const char *dst)
{
	const struct walk_file *f = &w->files[i];
	struct xbuf name = XBUF_INIT;
	int dfd = still_there(w, c, i, "move"), rc = -1, copied = 0;

	if (dfd < 0) {
		if (dfd == -2)
			error("cannot move '%s': gone", f->path);
		return -1;
	}
	xbuf_addstr(&name, f->name);
	for (int k = 1; k < 1000; k++) {
		if (!renameat2(dfd, f->name, dstfd, name.buf, RENAME_NOREPLACE)) {
			rc = 0;
			break;
		}
		/* EXDEV: another file system; EINVAL: one without RENAME_NOREPLACE */
		if ((errno == EXDEV || errno == EINVAL) && !copy_to(w, i, dfd, dstfd, name.buf)) {
			copied = 1;
			break;
		}
		if (errno != EEXIST)
			break;
		xbuf_reset(&name);
		xbuf_addf(&name, "%s.%d", f->name, k);
	}
	if (copied) {
		/* the copy is safe; remove the original only if it is still the one read */
		if (still_there(w, c, i, "remove") >= 0 && unlinkat(dfd, f->name, 0))
			error_errno("cannot remove '%s' after copying it to '%s/%s'", f->path, dst,
				    name.buf);
		rc = 0;
	} else if (rc) {
		error_errno("cannot move '%s' to '%s/%s'", f->path, dst, name.buf);
	}
	xbuf_release(&name);
	return rc;
}

int file_delete(struct walk *w, struct walk_cursor *c, size_t i)
{
	int dfd = still_there(w, c, i, "delete");

	if (dfd == -2)
		return 0;
	if (dfd < 0)
		return -1;
	if (unlinkat(dfd, w->files[i].name, 0) && errno != ENOENT)
		return error_errno("cannot delete '%s'", w->files[i].path);
	return 0;
}
