/*
 * Finding the record files `xalt ingest` reads: the paths named on its
 * command line, and the run.*.json files of the directories among them,
 * searched recursively; then reading each one, by directory descriptor.
 *
 * Every decision about which file is read and how (names, file types,
 * symbolic links, size, the directories it may sit in) is made here, so
 * that a change of the rules is local to walk.c. The tree being walked may
 * be hostile (a drop box other users write into): nothing below a named
 * path is reached through a symbolic link, every entry is opened with
 * openat(2) relative to its directory's descriptor with O_NOFOLLOW, every
 * directory is checked on each reopening to be the one walked (device and
 * inode), and the files are examined with fstat(2) on the descriptor that
 * is read. docs/security.md, "Ingest".
 */
#ifndef XALT_WALK_H
#define XALT_WALK_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct xbuf;

#define WALK_ROOT ((size_t)-1)   /* walk_dir.parent of a directory named by the caller */

/* A directory the walk went through. */
struct walk_dir {
	size_t parent;      /* index in walk.dirs of the containing directory, or WALK_ROOT */
	char *name;         /* entry name in parent; for a root, the path as given */
	dev_t dev;          /* identity when walked: a reopening must find the same */
	ino_t ino;
	uid_t uid;          /* its owner */
};

/* A file to read. */
struct walk_file {
	size_t dir;         /* index in walk.dirs of the directory holding it */
	const char *name;   /* its entry name there (into path, or name_alloc) */
	char *name_alloc;   /* the name when path shows it escaped, else NULL */
	char *path;         /* the path for messages and the database's origin,
	                       shown visibly (visible.h): names are users' choice */
	dev_t dev;          /* set by walk_read_file once the file is open: the */
	ino_t ino;          /* file examined (0, 0: never opened) */
};

struct walk {
	struct walk_dir *dirs;    /* every directory, parents before children */
	size_t ndirs, adirs;
	struct walk_file *files;  /* the files, in order */
	size_t n, alloc;
	int clean_tmp;            /* remove writers' .run.*.tmp files older than a day */
};

#define WALK_INIT { NULL, 0, 0, NULL, 0, 0, 0 }

/* Free everything w holds and leave it empty. */
void walk_release(struct walk *w);

/*
 * Add to w, in order, each of the n paths that is not a directory (read
 * whatever its name, but not when it is a symbolic link), and the record
 * files under each one that is (sorted by name at each level; there, only
 * regular files named run.*.json, no symbolic link followed, names
 * starting with '.' skipped). A directory named by the caller may be
 * reached through symbolic links (the admin chose it); nothing below it
 * is. With w->clean_tmp, .run.*.tmp files (a writer's temporary file)
 * whose last change is more than a day old are deleted on the way: their
 * writer died. Each path or directory entry that cannot be examined is
 * reported with error() and counted. Returns that count (the caller
 * counts them as rejected: a directory we cannot read loses data).
 */
size_t walk_paths(struct walk *w, char *const *paths, size_t n);

/*
 * A thread's open directory: reading goes file by file in order, so one
 * descriptor, reopened when the directory changes, serves a whole
 * directory. Each thread uses its own; WALK_CURSOR_INIT, then
 * walk_cursor_release.
 */
struct walk_cursor {
	size_t dir;         /* the directory fd is open on, or WALK_ROOT */
	int fd;             /* -1 when none */
};
#define WALK_CURSOR_INIT { WALK_ROOT, -1 }
void walk_cursor_release(struct walk_cursor *c);

/*
 * A descriptor of directory `dir` of w, kept by c (do not close it). It
 * is reopened from its root, one component at a time with O_NOFOLLOW,
 * and must be the directory the walk saw (same device and inode).
 * Returns -1 with errno set (ESTALE: it was replaced since) otherwise.
 */
int walk_dirfd(const struct walk *w, struct walk_cursor *c, size_t dir);

/*
 * Read file i of w into text (reset first), through c: openat(2) with
 * O_NOFOLLOW, then fstat(2) on that descriptor (stored in *st, and its
 * device and inode in the file's entry, for file-move.c's checks).
 * Returns NULL, or the reason it cannot be a record (a symbolic link, not
 * a regular file, over 64 MiB, unreadable, its directory replaced),
 * malloc'd. Safe on any thread (each file's entry is written by one).
 */
char *walk_read_file(struct walk *w, struct walk_cursor *c, size_t i, struct xbuf *text,
		     struct stat *st);

#endif
