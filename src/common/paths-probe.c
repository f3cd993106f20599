/*
 * What the library would do with the record directory, asked without doing
 * it: `xalt doctor`'s side of paths_record_dir_walk (paths.c). The walk is
 * the library's; only its step differs: instead of mkdir, the answer mkdir
 * would give. Apart from paths.c because it asks access(2), which the
 * library has no use for (one imported symbol is one more lookup at every
 * exec, SKIP'd ones included).
 */
#include "paths.h"
#include "fmt.h"
#include "sys.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* access(2) for writing and searching: with the real uid, the user's. */
static int writable(const char *dir)
{
	return access(dir, W_OK | X_OK);
}

int paths_would_mkdir(char *path)
{
	struct stat st;
	char *slash;
	int rc;

	if (sys_lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;      /* ENOTDIR (a file above it), EACCES, ELOOP, ... */
	/* Missing: mkdir needs write and search permission in the parent (or
	 * fails with ENOENT there too, through a dangling link). */
	slash = strrchr(path, '/');
	if (!slash)
		return writable(".");
	if (slash == path)
		return writable("/");
	*slash = '\0';
	rc = writable(path);
	*slash = '/';
	return rc;
}

int paths_record_dir_probe(char *dir, uid_t uid, char *where, size_t wcap)
{
	int rc = paths_record_dir_walk(dir, uid, paths_would_mkdir, 1, where, wcap);

	/* There and trusted: the library would now create its temp file in it. */
	if (rc == PATHS_READY && writable(dir) < 0) {
		if (where && wcap)
			fmt_join(where, wcap, dir, "", "");   /* cut silently: a message */
		return -1;
	}
	return rc;
}
