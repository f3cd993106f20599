/*
 * The system calls of the code that runs inside users' programs (the
 * preload library, and spool.c, config.c and paths.c, which it shares with
 * xalt_record_pkg and the CLI), through one table (after SQLite's aSyscall
 * in os_unix.c) so unit tests can inject ENOSPC, EACCES, EEXIST and EINTR
 * into every caller. The wrappers below are the only route to their system
 * call.
 *
 * EINTR policy, one for all: every wrapper retries a call that failed with
 * EINTR, at most SYS_EINTR_RETRIES times in a row (a signal storm must not
 * hang the user's program: the call then fails with EINTR, and tracking
 * gives up on this step as for any other error), except sys_close, which
 * never retries: Linux releases the descriptor even when close reports
 * EINTR, and a second close could close another thread's new file. Short
 * writes: sys_write_all continues them; sys_write_once does not (one
 * write(2) is one atomic append to a file other processes append to, and a
 * continuation could land after theirs).
 *
 * Everything here is async-signal-safe (the wrapped calls are on the
 * POSIX list, getdents64 is a bare system call), so the fatal-signal path
 * may use it; statvfs, used at start only (spool.c), is not on the list.
 */
#ifndef XALT_SYS_H
#define XALT_SYS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#define SYS_EINTR_RETRIES 100

struct xalt_sys {
	int (*open)(const char *path, int flags, mode_t mode);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*close)(int fd);
	int (*rename)(const char *from, const char *to);
	int (*link)(const char *from, const char *to);
	int (*mkdir)(const char *path, mode_t mode);
	int (*unlink)(const char *path);
	int (*unlinkat)(int dirfd, const char *path, int flags);
	int (*stat)(const char *path, struct stat *st);
	int (*lstat)(const char *path, struct stat *st);
	int (*fstat)(int fd, struct stat *st);
	int (*fstatat)(int dirfd, const char *path, struct stat *st, int flags);
	ssize_t (*getdents64)(int fd, void *buf, size_t len);
	int (*ftruncate)(int fd, off_t len);
	off_t (*lseek)(int fd, off_t off, int whence);
	int (*statvfs)(const char *path, struct statvfs *sv);
};

/* The table in use: NULL entries (the default) call libc; tests set
 * entries to inject faults and call sys_reset() afterwards. */
extern struct xalt_sys xalt_sys;
void sys_reset(void);

/* open(2) / openat(2). Returns the fd, or -1 with errno. */
int sys_open(const char *path, int flags, mode_t mode);
int sys_openat(int dirfd, const char *path, int flags, mode_t mode);
/* Read up to len bytes, until EOF. The count, or -1 with errno. */
ssize_t sys_read_all(int fd, void *buf, size_t len);
/* Write all of buf (short writes continued). 0, or -1 with errno. */
int sys_write_all(int fd, const void *buf, size_t len);
/* One write(2): the count written (maybe short), or -1 with errno. */
ssize_t sys_write_once(int fd, const void *buf, size_t len);
/* close(2), never retried (see the top). 0 or -1. */
int sys_close(int fd);
/* The rest: 0 (lseek: the offset), or -1 with errno; EEXIST and the like
 * are returned as they are. */
int sys_rename(const char *from, const char *to);
int sys_link(const char *from, const char *to);
int sys_mkdir(const char *path, mode_t mode);
int sys_unlink(const char *path);
int sys_unlinkat(int dirfd, const char *path, int flags);
int sys_stat(const char *path, struct stat *st);
int sys_lstat(const char *path, struct stat *st);
int sys_fstat(int fd, struct stat *st);
int sys_fstatat(int dirfd, const char *path, struct stat *st, int flags);
/* getdents64(2): bytes of entries read into buf, 0 at the end, or -1. */
ssize_t sys_getdents64(int fd, void *buf, size_t len);
int sys_ftruncate(int fd, off_t len);
off_t sys_lseek(int fd, off_t off, int whence);
int sys_statvfs(const char *path, struct statvfs *sv);

#endif
