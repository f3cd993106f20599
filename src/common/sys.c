/*
 * The system-call table and its retry wrappers (see sys.h). The defaults are
 * the libc functions; open is wrapped because it is variadic.
 */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int real_open(const char *path, int flags, mode_t mode)
{
	return open(path, flags, mode);
}

static const struct xalt_sys sys_default = {
	real_open, read, write, close, rename, mkdir, unlink,
};

struct xalt_sys xalt_sys = {
	real_open, read, write, close, rename, mkdir, unlink,
};

void sys_reset(void)
{
	xalt_sys = sys_default;
}

int sys_open(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = xalt_sys.open(path, flags, mode);
	while (fd < 0 && errno == EINTR);
	return fd;
}

int sys_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = xalt_sys.write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {          /* no progress: do not spin */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t sys_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = xalt_sys.read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int sys_close(int fd)
{
	return xalt_sys.close(fd);
}

int sys_rename(const char *from, const char *to)
{
	int rc;

	do
		rc = xalt_sys.rename(from, to);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int sys_mkdir(const char *path, mode_t mode)
{
	int rc;

	do
		rc = xalt_sys.mkdir(path, mode);
	while (rc < 0 && errno == EINTR);
	return rc;
}

int sys_unlink(const char *path)
{
	int rc;

	do
		rc = xalt_sys.unlink(path);
	while (rc < 0 && errno == EINTR);
	return rc;
}
