/*
 * What happens to a record file after `xalt ingest` has dealt with it:
 * moved into a directory (--archive once its batch is committed,
 * --reject-dir when it is rejected) or deleted (--delete).
 */
#ifndef XALT_FILE_MOVE_H
#define XALT_FILE_MOVE_H

/*
 * Move path into dir under its base name, adding .1, .2, ... when the name
 * is taken: rename(2), or across file systems a copy (created exclusively,
 * 0600, no symbolic link followed) then unlink. Returns 0, or -1 after
 * error() with the file left where it was.
 */
int file_move_into(const char *path, const char *dir);

/* Delete path; one already gone is fine. 0, or -1 after error(). */
int file_delete(const char *path);

#endif
