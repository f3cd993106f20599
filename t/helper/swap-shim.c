/*
 * A test shim (LD_PRELOAD) that makes a file-system race deterministic:
 * just before the SWAP_NTH-th (default 1st) call of open, openat, stat,
 * lstat, fstatat, unlink or unlinkat whose path ends with SWAP_TRIGGER, it
 * renames SWAP_FROM to SWAP_TO and, with SWAP_SYMLINK, makes SWAP_FROM a
 * symbolic link to that target; then the call goes on. Built and used by
 * t/t4220-ingest-hostile-tree.sh, never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hits;

static void maybe_swap(const char *path)
{
	const char *trig = getenv("SWAP_TRIGGER"), *nth = getenv("SWAP_NTH");
	const char *from = getenv("SWAP_FROM"), *to = getenv("SWAP_TO"), *link = getenv("SWAP_SYMLINK");
	size_t n, t;

	if (!path || !trig || !from || !to)
		return;
	n = strlen(path);
	t = strlen(trig);
	if (n < t || strcmp(path + n - t, trig))
		return;
	if (__atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) != (nth ? atoi(nth) : 1))
		return;
	if (rename(from, to))
		perror("swap-shim: rename");
	if (link && symlink(link, from))
		perror("swap-shim: symlink");
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_swap(path);
	return REAL(open)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	maybe_swap(path);
	return REAL(openat)(dirfd, path, flags, mode);
}

int stat(const char *path, struct stat *st)
{
	maybe_swap(path);
	return REAL(stat)(path, st);
}

int lstat(const char *path, struct stat *st)
{
	maybe_swap(path);
	return REAL(lstat)(path, st);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	maybe_swap(path);
	return REAL(fstatat)(dirfd, path, st, flags);
}

int unlink(const char *path)
{
	maybe_swap(path);
	return REAL(unlink)(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
	maybe_swap(path);
	return REAL(unlinkat)(dirfd, path, flags);
}
