/*
 * Finding the record files `xalt ingest` reads: the paths named on its
 * command line, and the run.*.json files of the directories among them,
 * searched recursively.
 *
 * Every decision about which file is read and how (names, file types,
 * symbolic links, size) is made here, so that a change of the rules is
 * local to walk.c.
 */
#ifndef XALT_WALK_H
#define XALT_WALK_H

#include <stddef.h>

struct xbuf;

/* A growing list of file names. */
struct file_list {
	char **names;       /* the names, in order */
	size_t n, alloc;    /* used / allocated entries */
};

#define FILE_LIST_INIT { NULL, 0, 0 }

/* Append name (the list takes it as is). Dies on allocation failure. */
void file_list_add(struct file_list *l, char *name);
/* Empty the list; with free_names, free each name too. */
void file_list_clear(struct file_list *l, int free_names);

/*
 * Add to files, in order, each of the n paths that is not a directory
 * (followed if a symbolic link, read whatever its name), and the record
 * files under each one that is (sorted by name at each level; there,
 * only regular files named run.*.json, no symbolic link followed, names
 * starting with '.' skipped). Each path or directory entry that cannot be
 * examined is reported with error() and counted. Returns that count (the
 * caller counts them as rejected: a directory we cannot read loses data).
 */
size_t walk_paths(char *const *paths, size_t n, struct file_list *files);

/*
 * Read a file walk_paths found into text (reset first). NULL, or the reason
 * it cannot be a record (not a regular file, over 64 MiB, unreadable),
 * malloc'd. Safe on any thread.
 */
char *walk_read_file(const char *path, struct xbuf *text);

#endif
