/*
 * What happens to a record file after `xalt ingest` has dealt with it:
 * moved into a directory (--archive once its batch is committed,
 * --reject-dir when it is rejected) or deleted (--delete).
 *
 * Both act by directory descriptor and name (walk.h), never by path, and
 * only when the entry is still the file that was read (same device and
 * inode, checked just before the rename or unlink): a hostile tree can
 * neither redirect them outside itself nor make them remove a file that
 * took the read one's place.
 */
#ifndef XALT_FILE_MOVE_H
#define XALT_FILE_MOVE_H

#include <stddef.h>

struct walk;
struct walk_cursor;

/*
 * Move file i of w (read by walk_read_file) into the directory open at
 * dstfd, named dst in messages, under its base name, adding .1, .2, ...
 * when the name is taken (never replacing a file): renameat2(2) with
 * RENAME_NOREPLACE, or across file systems a copy (created exclusively,
 * 0600) then unlink. Returns 0, or -1 after error() with the file left
 * where it was.
 */
int file_move_into(struct walk *w, struct walk_cursor *c, size_t i, int dstfd, const char *dst);

/* Delete file i of w (read by walk_read_file); one already gone is fine.
 * 0, or -1 after error() with the file left where it was. */
int file_delete(struct walk *w, struct walk_cursor *c, size_t i);

#endif
