/*
 * The record file walker (see walk.h): stat(2) for the named paths,
 * scandir(3) with the entries' d_type for the directories, stat(2) and
 * read(2) by path for the files.
 */
#include "walk.h"
#include "cli.h"
#include "xbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void file_list_add(struct file_list *l, char *name)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 64;
		l->names = xrealloc(l->names, l->alloc * sizeof(*l->names));
	}
	l->names[l->n++] = name;
}

void file_list_clear(struct file_list *l, int free_names)
{
	if (free_names)
		for (size_t i = 0; i < l->n; i++)
			free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = l->alloc = 0;
}

/* Hostile or broken input: a record is a few KiB; refuse to slurp a huge file. */
#define RECORD_FILE_MAX (64u << 20)

static int is_record_name(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && !strncmp(name, "run.", 4) && !strcmp(name + n - 5, ".json");
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Collect record files under dir into files; the number of entries that
 * could not be examined. */
static size_t walk_dir(const char *dir, struct file_list *files)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, name_cmp);
	size_t failed = 0;

	if (n < 0) {
		error_errno("cannot read directory '%s'", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct xbuf path = XBUF_INIT;
		struct stat st;

		if (name[0] == '.') {     /* ., .., and the writers' .run.*.tmp files */
			free(ents[i]);
			continue;
		}
		xbuf_addf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
		/* the directory entry's type when the file system gives it: an
		 * lstat per file was serial time before the threads start */
		if (ents[i]->d_type != DT_UNKNOWN)
			st.st_mode = ents[i]->d_type == DT_DIR ? S_IFDIR :
				     ents[i]->d_type == DT_REG ? S_IFREG : 0;
		if (ents[i]->d_type == DT_UNKNOWN && lstat(path.buf, &st)) {
			error_errno("cannot stat '%s'", path.buf);
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			failed += walk_dir(path.buf, files);
		} else if (S_ISREG(st.st_mode) && is_record_name(name)) {
			file_list_add(files, xbuf_detach(&path, NULL));
		} else {
			cli_trace("skipping '%s': not a regular run.*.json file", path.buf);
		}
		xbuf_release(&path);
		free(ents[i]);
	}
	free(ents);
	return failed;
}

size_t walk_paths(char *const *paths, size_t n, struct file_list *files)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st)) {
			error_errno("cannot access '%s'", paths[i]);
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			failed += walk_dir(paths[i], files);
		} else {
			file_list_add(files, xstrdup(paths[i]));
		}
	}
	return failed;
}

char *walk_read_file(const char *path, struct xbuf *text)
{
	struct xbuf why = XBUF_INIT;
	struct stat st;

	xbuf_reset(text);
	if (stat(path, &st))
		xbuf_addf(&why, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		xbuf_addstr(&why, "not a regular file");
	else if (st.st_size > RECORD_FILE_MAX)
		xbuf_addf(&why, "file larger than %u MiB", RECORD_FILE_MAX >> 20);
	else if (xbuf_read_file(text, path))
		xbuf_addf(&why, "cannot read: %s", strerror(errno));
	else
		return NULL;
	return xbuf_detach(&why, NULL);
}
