/*
 * The reading thread of `xalt ingest`: reads and parses record files ahead
 * of the loading thread, in blocks, in the files' order.
 *
 * Why: parsing (jansson) and writing (SQLite) each take about half of an
 * ingest; on 2 cores they overlap. A block owns the arena (arena.h) its
 * JSON trees live in, dropped when the block is freed. At most
 * READER_QUEUE_MAX blocks wait, which bounds memory (16: the reader keeps
 * parsing through a commit; with 4 the loading thread waited 0.26 s of a
 * 100 k-run ingest, with 16 0.05 s, for 270 MB instead of 200 MB resident).
 */
#ifndef XALT_READER_H
#define XALT_READER_H

#include "arena.h"

#include <stddef.h>

#define READER_BLOCK_FILES 256
#define READER_QUEUE_MAX 16

struct ingest_parsed;
struct reader;
struct walk;

/* A block of parsed files: files[first .. first+n) of the reader's list. */
struct reader_block {
	struct reader_block *next;                         /* queue link */
	struct arena arena;                                /* the JSON trees of this block */
	size_t first, n;                                   /* which files */
	struct ingest_parsed *parsed[READER_BLOCK_FILES];  /* NULL when the file was not read */
	char *readerr[READER_BLOCK_FILES];                 /* why it was not read, or was
	                                                      refused after parsing (malloc'd) */
};

/*
 * Start reading the files of w (which must stay valid until
 * reader_finish) on a new thread, each checked against its owner
 * (validate_owner) once parsed. ingest_open must have run. Dies if the
 * thread cannot be started.
 */
struct reader *reader_start(struct walk *w);

/* The next block in order, waiting for it if need be; NULL after the last.
 * Free it with reader_block_free on this thread. */
struct reader_block *reader_next(struct reader *rd);

/* Free the block's parsed records, reasons and arena. */
void reader_block_free(struct reader_block *b);

/* Join the thread (every block must have been taken) and free rd; with
 * --verbose, trace both threads' CPU time and waits. */
void reader_finish(struct reader *rd);

#endif
