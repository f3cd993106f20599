/*
 * The preload library's system calls, through one table (after SQLite's
 * aSyscall in os_unix.c) so unit tests can inject ENOSPC, EACCES, EEXIST and
 * EINTR into every caller. The retry wrappers below are the only route to
 * their system call: EINTR is retried, short writes are continued.
 *
 * Everything here is async-signal-safe (open, read, write, close, rename,
 * mkdir, unlink, fstat are all on the POSIX list), so the fatal-signal path
 * may use it.
 */
#ifndef XALT_PRELOAD_SYS_H
#define XALT_PRELOAD_SYS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct xalt_sys {
	int (*open)(const char *path, int flags, mode_t mode);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*close)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
};

/* The table in use; tests replace entries and call sys_reset() afterwards. */
extern struct xalt_sys xalt_sys;
void sys_reset(void);

/* open(2), EINTR retried. Returns the fd or -1 with errno. */
int sys_open(const char *path, int flags, mode_t mode);
/* Write all of buf (EINTR retried, short writes continued). 0, or -1 with errno. */
int sys_write_all(int fd, const void *buf, size_t len);
/* Read up to len bytes until EOF (EINTR retried). The count, or -1 with errno. */
ssize_t sys_read_all(int fd, void *buf, size_t len);
/* close(2); EINTR is not retried (Linux closes the fd anyway). 0 or -1. */
int sys_close(int fd);
int sys_rename(const char *from, const char *to);
/* mkdir(2), EINTR retried; EEXIST is returned as is. */
int sys_mkdir(const char *path, mode_t mode);
int sys_unlink(const char *path);

#endif
