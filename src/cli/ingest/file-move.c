/*
 * Moving and deleting record files (see file-move.h).
 */
#include "file-move.h"
#include "cli.h"
#include "xbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int file_move_into(const char *path, const char *dir)
{
	const char *base = strrchr(path, '/');
	struct xbuf dst = XBUF_INIT, data = XBUF_INIT;
	int rc = -1, fd;

	base = base ? base + 1 : path;
	xbuf_addf(&dst, "%s/%s", dir, base);
	for (int k = 1; !access(dst.buf, F_OK) && k < 1000; k++) {
		xbuf_reset(&dst);
		xbuf_addf(&dst, "%s/%s.%d", dir, base, k);
	}
	if (!rename(path, dst.buf)) {
		rc = 0;
	} else if (errno != EXDEV) {
		error_errno("cannot move '%s' to '%s'", path, dst.buf);
	} else if (xbuf_read_file(&data, path)) {
		error_errno("cannot read '%s'", path);
	} else if ((fd = open(dst.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) < 0) {
		error_errno("cannot create '%s'", dst.buf);
	} else {
		ssize_t w = write(fd, data.buf, data.len);
		if (close(fd) || w != (ssize_t)data.len) {
			error_errno("cannot write '%s'", dst.buf);
			unlink(dst.buf);
		} else if (unlink(path)) {
			error_errno("cannot remove '%s'", path);
		} else {
			rc = 0;
		}
	}
	xbuf_release(&dst);
	xbuf_release(&data);
	return rc;
}

int file_delete(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		return error_errno("cannot delete '%s'", path);
	return 0;
}
