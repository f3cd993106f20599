/*
 * The progress bar of `xalt ingest` on stderr: "ingest [####    ] 512/2048",
 * redrawn at most 10 times a second, erased at the end. Drawn only when
 * enabled (the command enables it when stderr is a terminal and it is not
 * --quiet).
 */
#ifndef XALT_PROGRESS_H
#define XALT_PROGRESS_H

#include <stddef.h>
#include <time.h>

struct progress {
	int on;                  /* draw at all */
	size_t total;            /* files to do */
	struct timespec prev;    /* last redraw */
};

/* Show that done of total are done; last: the final call, erase the bar. */
void progress_draw(struct progress *p, size_t done, int last);

/* Erase the bar so a message can take the line (the next draw restores it). */
void progress_clear(const struct progress *p);

#endif
