/*
 * The system-call table and its wrappers (see sys.h for the EINTR policy).
 */
#include "sys.h"
#include "hot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * All NULL: every call goes to libc directly. A table of libc's addresses
 * would cost each exec a symbol lookup per entry when the library is
 * loaded (data relocations), SKIP'd runs included. XALT_HOT: in .data,
 * whose page the loader has written anyway (hot.h).
 */
struct xalt_sys xalt_sys XALT_HOT;

void sys_reset(void)
{
	memset(&xalt_sys, 0, sizeof(xalt_sys));
}

/* xalt_sys.fn if a test set it, else libc's fn. */
#define CALL(fn, ...) (xalt_sys.fn ? xalt_sys.fn(__VA_ARGS__) : fn(__VA_ARGS__))

/*
 * Evaluate `call` (an expression of type `type` that is negative on
 * failure) again while it fails with EINTR, at most SYS_EINTR_RETRIES more
 * times, and return its last result.
 */
#define RETRY(type, call) do { \
		type rc_; \
		int tries_ = 0; \
		do \
			rc_ = (call); \
		while (rc_ < 0 && errno == EINTR && tries_++ < SYS_EINTR_RETRIES); \
		return rc_; \
	} while (0)

int sys_open(const char *path, int flags, mode_t mode)
{
	RETRY(int, CALL(open, path, flags, mode));
}

int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	RETRY(int, CALL(openat, dirfd, path, flags, mode));
}

ssize_t sys_write_once(int fd, const void *buf, size_t len)
{
	RETRY(ssize_t, CALL(write, fd, buf, len));
}

int sys_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = sys_write_once(fd, p, len);

		if (n < 0)
			return -1;
		if (n == 0) {          /* no progress: do not spin */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_once(int fd, void *buf, size_t len)
{
	RETRY(ssize_t, CALL(read, fd, buf, len));
}

ssize_t sys_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read_once(fd, p + got, len - got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int sys_close(int fd)
{
	return CALL(close, fd);
}

int sys_rename(const char *from, const char *to)
{
	RETRY(int, CALL(rename, from, to));
}

int sys_link(const char *from, const char *to)
{
	RETRY(int, CALL(link, from, to));
}

int sys_mkdir(const char *path, mode_t mode)
{
	RETRY(int, CALL(mkdir, path, mode));
}

int sys_unlink(const char *path)
{
	RETRY(int, CALL(unlink, path));
}

int sys_unlinkat(int dirfd, const char *path, int flags)
{
	RETRY(int, CALL(unlinkat, dirfd, path, flags));
}

int sys_stat(const char *path, struct stat *st)
{
	RETRY(int, CALL(stat, path, st));
}

int sys_lstat(const char *path, struct stat *st)
{
	RETRY(int, CALL(lstat, path, st));
}

int sys_fstat(int fd, struct stat *st)
{
	RETRY(int, CALL(fstat, fd, st));
}

int sys_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	RETRY(int, CALL(fstatat, dirfd, path, st, flags));
}

ssize_t sys_getdents64(int fd, void *buf, size_t len)
{
	RETRY(ssize_t, CALL(getdents64, fd, buf, len));
}

int sys_ftruncate(int fd, off_t len)
{
	RETRY(int, CALL(ftruncate, fd, len));
}

off_t sys_lseek(int fd, off_t off, int whence)
{
	RETRY(off_t, CALL(lseek, fd, off, whence));
}

int sys_statvfs(const char *path, struct statvfs *sv)
{
	RETRY(int, CALL(statvfs, path, sv));
}
